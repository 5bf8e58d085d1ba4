"""A real browser reads a generated report: headless Chromium (Debian's package, installed by `make browser`)
opens the HTML of a pack rendered here (two reports for Derby, so the render stays short), takes a screenshot, and
we check what a reader would see: no code, no errors, no script that runs, every image loaded with alt text, the
expected headings and the provenance, and no sideways scrolling on a phone-sized screen."""

from __future__ import annotations

import shutil

import pytest
from ks2workbook.reporting import pack

pytestmark = pytest.mark.slow

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
#: Two reports: trends (charts over time) and capacity (wide tables, the plan's charts).
NOTEBOOKS = ["trends", "capacity"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    run = pack.run_pack([831], notebooks=NOTEBOOKS, out_root=out, jobs=1, progress=False, date="2026-03-01")
    assert not run.failed, [o.reason for o in run.failed]
    return out / "2026-03-01" / "831"


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.fail("chromium and chromedriver are needed: `make browser` installs Debian's chromium packages")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1280,2000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


READ_PAGE = """
    const imgs = Array.from(document.images);
    const handlers = Array.from(document.querySelectorAll('*')).filter(
        el => Array.from(el.attributes).some(a => a.name.startsWith('on')));
    const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));
    return {
      title: document.title,
      h1: Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim()),
      h2: Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim()),
      images: imgs.length,
      broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
      noAlt: imgs.filter(i => !i.alt || i.alt === 'Chart' || i.alt.startsWith('No description')).length,
      scripts: document.scripts.length,
      handlers: handlers.length,
      scriptLinks: links.filter(h => h.trim().toLowerCase().startsWith('javascript:')).length,
      code: document.querySelectorAll('.jp-InputArea-editor, .highlight, .jp-InputPrompt').length,
      errors: document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
      text: document.body.innerText,
      banner: (document.querySelector('.ks2-banner') || {}).innerText || '',
      footer: (document.querySelector('.ks2-footer') || {}).innerText || '',
    };"""

#: An inline script put into the page after it loaded: the page's Content-Security-Policy must stop it.
INJECT = """
    window.__ks2_ran = false;
    const s = document.createElement('script');
    s.textContent = 'window.__ks2_ran = true;';
    document.body.appendChild(s);
    return window.__ks2_ran;"""


def test_the_pack_has_the_two_reports(rendered):
    assert sorted(p.name for p in rendered.glob("*.html")) == ["capacity.html", "trends.html"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_report_reads_correctly_in_chromium(rendered, browser, tmp_path, name):
    page = rendered / f"{name}.html"
    browser.set_window_size(1280, 2000)
    browser.get(page.as_uri())
    state = browser.execute_script(READ_PAGE)
    assert browser.save_screenshot(str(tmp_path / f"{name}.png"))
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000  # a page was drawn, not a blank one
    assert state["code"] == 0, f"{name}: code cells visible"
    assert state["errors"] == 0 and "Traceback" not in state["text"], f"{name}: error output"
    # No script runs: none in the page, no event handler or javascript: link, and the page's policy refuses one
    # put in after loading.
    assert (state["scripts"], state["handlers"], state["scriptLinks"]) == (0, 0, 0), name
    assert browser.execute_script(INJECT) is False, f"{name}: an injected script ran"
    assert state["images"] >= 1 and state["broken"] == 0, f"{name}: {state['broken']} images not loaded"
    assert state["noAlt"] == 0, f"{name}: charts without their own alt text"
    assert len(state["h1"]) == 1 and state["h2"], f"{name}: missing headings"
    assert state["title"].endswith(": Derby") and "Derby, East Midlands" in state["banner"]
    assert "KS2 workbook, version" in state["footer"] and "Open Government Licence" in state["footer"]
    # On a phone-sized screen the page itself must not scroll sideways (wide tables scroll in their box).
    browser.set_window_size(390, 844)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
    )
    assert overflow <= 2, f"{name}: page scrolls sideways by {overflow}px on a phone"


def test_trends_report_headings(rendered, browser):
    browser.get((rendered / "trends.html").as_uri())
    h2 = browser.execute_script("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim());")
    # views/trends.py sections, then the notes on the data and the glossary every report ends with.
    assert h2 == [
        "The headline against the region, England and similar councils",
        "Subjects and the higher standard",
        "How widely the council's schools differ",
        "The disadvantaged gap",
        "About the data",
        "Words used",
    ]
    alts = browser.execute_script("return Array.from(document.images).map(i => i.alt);")
    # The first chart's alt text names what it shows (views/style.py alt_text).
    assert alts[0].startswith("Chart: Derby: % of pupils at the expected standard in reading, writing and maths")
