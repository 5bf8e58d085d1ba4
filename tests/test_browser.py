"""A real browser reads a generated report: headless Chromium (Debian's package, installed by `make test`)
opens the HTML, takes a screenshot, and we check what a reader would see: no code, no errors, every image
loaded, the expected headings, and no sideways scrolling on a phone-sized screen."""

from __future__ import annotations

import shutil

import pytest
from ks2workbook.reporting import pack

pytestmark = pytest.mark.slow

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    run = pack.run_pack([831], out_root=out, jobs=1, progress=False, date="2026-03-01")
    assert not run.failed, [r.error for r in run.results if not r.ok]
    return out / "2026-03-01" / "831"


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.fail("chromium and chromedriver are needed: `make test` installs Debian's chromium packages")
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


def _pages(folder):
    return sorted(folder.glob("*.html"))


def test_reports_read_correctly_in_chromium(rendered, browser, tmp_path):
    pages = _pages(rendered)
    assert pages
    for page in pages:
        browser.set_window_size(1280, 2000)
        browser.get(page.as_uri())
        state = browser.execute_script("""
            const imgs = Array.from(document.images);
            return {
              title: document.title,
              h1: Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim()),
              h2: Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim()),
              images: imgs.length,
              broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
              noAlt: imgs.filter(i => !i.alt || i.alt.startsWith('No description')).length,
              code: document.querySelectorAll('.jp-InputArea-editor, .highlight, .jp-InputPrompt').length,
              errors: document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
              text: document.body.innerText,
              banner: (document.querySelector('.ks2-banner') || {}).innerText || '',
            };""")
        assert browser.save_screenshot(str(tmp_path / f"{page.stem}.png"))
        assert (tmp_path / f"{page.stem}.png").stat().st_size > 10_000
        assert state["code"] == 0, f"{page.name}: code cells visible"
        assert state["errors"] == 0 and "Traceback" not in state["text"], f"{page.name}: error output"
        assert state["images"] >= 1 and state["broken"] == 0, f"{page.name}: {state['broken']} images not loaded"
        assert state["noAlt"] == 0, f"{page.name}: charts without alt text"
        assert len(state["h1"]) >= 1 and state["h2"], f"{page.name}: missing headings"
        assert "Derby" in state["title"] and "Derby (LA 831)" in state["banner"] and "ks2workbook" in state["banner"]
        # On a phone-sized screen the page itself must not scroll sideways (wide tables scroll in their box).
        browser.set_window_size(390, 844)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
        )
        assert overflow <= 2, f"{page.name}: page scrolls sideways by {overflow}px on a phone"


def test_trends_report_headings(rendered, browser):
    browser.get((rendered / "trends.html").as_uri())
    h2 = browser.execute_script("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim());")
    expected = [
        "The headline against the region",
        "Subjects and the higher standard",
        "How widely the LA",
        "The disadvantaged gap",
        "Appendix: the data behind this report",
    ]
    for heading in expected:
        assert any(heading in h for h in h2), f"missing heading {heading!r} in {h2}"
