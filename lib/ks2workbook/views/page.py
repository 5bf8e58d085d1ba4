"""The pieces every report page is made of: the pack opened from a notebook's parameters, escaped paragraphs
and tables, headline cards, collapsible detail, the glossary and the notes on the data.

Why one module: a report is read by a councillor, so every page must escape what a council's file may put in it
(names, labels), show a missing value as a dash, never show an empty table, and mark each shared figure so a test
can check it is the same on every page of the pack (``data-fact``). Notebooks call these and nothing else to put
text on a page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import pandas as pd

from ..analyses import pack
from ..analyses.pack import PackFacts
from ..core.errors import WorkbookError
from ..core.formats import missing
from ..core.paths import package_dir
from ..core.safe_yaml import read_yaml
from ..data.coverage import describe
from ..rules.pack import PARAMETERS
from . import style


class ReportStop(WorkbookError):
    """A pack that cannot be made, said in one line in the notebook (no traceback for a reader)."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"This report cannot be made: {self}"]


def open_pack(namespace: Mapping[str, Any]) -> PackFacts:
    """The pack's facts from a notebook's parameters (its globals): every parameter checked first, the chart
    style set, the facts computed once per kernel and shared by the notebooks of the pack."""
    style.apply_style()
    params = {k: namespace.get(k, v) for k, v in PARAMETERS.items() if k != "interactive"}
    try:
        return pack.facts(pack.define(**params))
    except WorkbookError as exc:
        raise ReportStop(str(exc)) from None


# ------------------------------------------------------------------------------------------------------------
# Text
# ------------------------------------------------------------------------------------------------------------


class Html(str):
    """HTML made here (everything in it escaped): shown as HTML by Jupyter."""

    def _repr_html_(self) -> str:
        return str(self)


def esc(value: object) -> str:
    """Text for HTML: a missing value is a dash; everything else escaped."""
    return "–" if missing(value) else html.escape(str(value), quote=True)


def fact(key: str, text: str) -> str:
    """A figure that may appear on several pages of the pack, marked so a test can check it agrees everywhere."""
    return f'<span class="fact" data-fact="{html.escape(key)}">{esc(text)}</span>'


def para(*parts: str, cls: str = "") -> Html:
    """A paragraph of already-escaped parts (``esc`` text, ``fact`` figures, ``<strong>`` from :func:`bold`)."""
    klass = f' class="{cls}"' if cls else ""
    return Html(f"<p{klass}>{''.join(parts)}</p>")


def say(text: str, cls: str = "") -> Html:
    """A plain-text paragraph, escaped."""
    return para(esc(text), cls=cls)


def bold(text: str) -> str:
    return f"<strong>{esc(text)}</strong>"


def takeaway(*parts: str) -> Html:
    """The one line of interpretation under a table or chart."""
    return para("<strong>What it means:</strong> ", *parts, cls="ks2-takeaway")


def heading(text: str, level: int = 2, anchor: str = "") -> Html:
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    return Html(f"<h{level}{ident}>{esc(text)}</h{level}>")


def note(text: str) -> Html:
    """A caveat the reader must see (small numbers, an illustration, a missing part)."""
    return Html(f'<div class="ks2-note" role="note">{esc(text)}</div>')


def missing_part(what: str, reason: str) -> Html:
    """What a section would show, and in words why it cannot for this council or year."""
    return Html(f'<div class="ks2-note ks2-missing" role="note"><strong>{esc(what)}:</strong> {esc(reason)}</div>')


def section(title: str, *, part: str = "", intro: str = "", say_missing: bool = False, level: int = 2):
    """A report section: its heading and one line of introduction above what the function returns. When the
    pack's ``part`` is missing, the section says why in one line (``say_missing``, for the first section of a
    part) or is left out; a section with nothing to show is left out, heading and all (no empty headings)."""
    from functools import wraps

    def wrap(fn):
        @wraps(fn)
        def inner(facts: PackFacts, *args, **kwargs) -> list:
            held = getattr(facts, part) if part else None
            if held is not None and not held.ok:
                return [heading(title, level), note_missing(held.reason)] if say_missing else []
            body = fn(facts, *args, **kwargs)
            if not body:
                return []
            return [heading(title, level), *([say(intro)] if intro else []), *body]

        return inner

    return wrap


def note_missing(reason: str) -> Html:
    """Why a section has nothing to show, as a sentence."""
    text = reason[0].upper() + reason[1:] if reason else reason
    return Html(f'<div class="ks2-note ks2-missing" role="note">{esc(text.rstrip(".") + ".")}</div>')


def bullets(items: Iterable[str]) -> Html:
    return Html("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


def cards(items: Sequence[tuple[str, str, str]]) -> Html:
    """Headline figures as large numbers with a plain label under each: (fact key or "", number, label)."""
    out = []
    for key, number, label in items:
        if number.strip() == "1":  # "1 school below 65%", not "1 schools": labels are written for many
            label = re.sub(r"\bschools\b", "school", label, count=1)
        shown = fact(key, number) if key else esc(number)
        out.append(
            f'<div class="ks2-card"><div class="ks2-card-number">{shown}</div>'
            f'<div class="ks2-card-label">{esc(label)}</div></div>'
        )
    return Html(f'<div class="ks2-cards">{"".join(out)}</div>')


def details(summary: str, *inner: object, open_: bool = False) -> Html:
    """Detail a reader opens when they want it (a full list, the method); a chart inside is drawn as an image."""
    flag = " open" if open_ else ""
    parts = [figure(i) if hasattr(i, "savefig") else str(i) for i in inner]
    return Html(f"<details{flag}><summary>{esc(summary)}</summary>{''.join(parts)}</details>")


def figure(fig) -> Html:
    """A chart as an image inside our HTML (with its alt text), the figure closed after."""
    import base64
    import io

    buffer = io.BytesIO()
    style.lay_out(fig)
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": style.PNG_COMPRESSION})  # as the inline charts
    _close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Html(f'<img src="data:image/png;base64,{data}" alt="{esc(style.alt_text(fig))}" style="max-width:100%">')


# ------------------------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------------------------


#: Rows beyond which a list meant for the analyst is folded (a reader opens it when they want it).
LONG_LIST = 15


def table(
    frame: pd.DataFrame,
    caption: str,
    *,
    empty: str,
    numeric: Iterable[str] = (),
    facts: Mapping[str, str] | None = None,
    highlight: pd.Series | None = None,
    collapsible: str = "",
) -> Html:
    """An escaped HTML table of already formatted cells; ``empty`` is said instead when it has no rows (a page
    never shows an empty table). ``numeric`` columns are right-aligned; ``facts`` marks a column's cells as
    shared figures (column -> key prefix, the row's first cell ends the key); ``highlight`` (bool per row) bolds
    rows (this LA); ``collapsible`` puts the table in a closed section with that summary."""
    if frame is None or frame.empty:
        return say(empty)
    numeric = set(numeric)
    head = "".join(f'<th scope="col"{_num(c, numeric)}>{esc(c)}</th>' for c in frame.columns)
    rows = []
    marks = highlight.to_numpy() if highlight is not None else [False] * len(frame)
    # Each row as the frame's values (what iterrows reads, without making a Series of every row: a tenth of a
    # second a pack).
    for values, strong in zip(frame.to_numpy(), marks, strict=True):
        cells = []
        for col, value in zip(frame.columns, values, strict=True):
            text = esc(value)
            if facts and col in facts:
                text = fact(f"{facts[col]}:{values[0]}", "–" if missing(value) else str(value))
            cells.append(f"<td{_num(col, numeric)}>{text}</td>")
        klass = ' class="ks2-this"' if strong else ""
        rows.append(f"<tr{klass}>{''.join(cells)}</tr>")
    body = (
        f'<div class="ks2-scroll"><table class="ks2-table"><caption>{esc(caption)}</caption><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
    return details(collapsible, body) if collapsible else Html(body)


def _num(col: object, numeric: set) -> str:
    return ' class="num"' if col in numeric else ""


def show(*items: object) -> None:
    """Display each item in order: our HTML, a figure, or text (escaped)."""
    from IPython.display import HTML, display

    for item in items:
        if item is None:
            continue
        if isinstance(item, Html):
            display(HTML(str(item)))
        elif isinstance(item, str):
            display(HTML(str(say(item))))
        elif hasattr(item, "savefig") or (isinstance(item, tuple) and len(item) == 2 and hasattr(item[0], "savefig")):
            fig = item[0] if isinstance(item, tuple) else item
            style.lay_out(fig)
            display(fig)
            _close(fig)
        else:
            display(item)


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


# ------------------------------------------------------------------------------------------------------------
# Glossary and notes on the data
# ------------------------------------------------------------------------------------------------------------


@cache
def _glossary() -> dict[str, str]:
    file = read_yaml(package_dir() / "views" / "glossary.yaml", shown="glossary", kind="glossary")
    return {str(k): str(v) for k, v in file.mapping("term: meaning").items()}


def glossary(terms: Iterable[str]) -> Html:
    """The words a report uses, explained (every report ends with its own)."""
    words = _glossary()
    unknown = [t for t in terms if t not in words]
    if unknown:
        raise KeyError(f"no glossary entry for {unknown}")
    items = "".join(f"<dt>{esc(t)}</dt><dd>{esc(words[t])}</dd>" for t in terms)
    return Html(f'<h2 id="glossary">Words used</h2><dl class="ks2-glossary">{items}</dl>')


def about_the_data(facts: PackFacts, extra: Sequence[str] = ()) -> Html:
    """Where the figures come from and what they cannot show (every report ends with this section)."""
    d = facts.data
    lines = [
        "Results: the DfE's KS2 performance tables (school level) and its Local Authority Interactive Tool (LA "
        "level). Pupil numbers and free school meals: the school census. Inspections: Ofsted's published "
        "outcomes. Statistical neighbours: the DfE's published lists.",
        "No KS2 tests were sat in 2020 and 2021. Progress scores need the pupils' results at age 7, which do not "
        "exist for the pupils who took KS2 in 2024 and 2025.",
        "A figure the DfE suppresses (too few pupils to publish without identifying them) is shown as a dash and "
        "never counted as zero.",
    ]
    if d.ok:
        lines.append(
            f"Years with KS2 results held: {describe(d['ks2_years'])}; with school results: "
            f"{describe(d['attainment_years'])}; with progress scores: {describe(d['progress_years'])}."
        )
    lines.extend(extra)
    items = "".join(f"<li>{esc(t)}</li>" for t in lines)
    return Html(f'<h2 id="about-the-data">About the data</h2><ul>{items}</ul>')


def header(facts: PackFacts, what: str) -> Html:
    """The top of a report, under its title: the council and year, what the report shows, and the pack's
    definitions in one line (the same line in every report of the pack)."""
    a, d = facts.area, facts.definition
    place = f"{a.name}, {a.region}" if a.region else a.name
    return Html(
        f'<p class="ks2-subtitle">{esc(place)}: {fact("year", str(d.year))} results</p>'
        f'<p class="ks2-what"><strong>What this shows.</strong> {esc(what)}</p>'
        f'<p class="ks2-definitions">{esc(definitions(facts))}</p>'
    )


def created_note(facts: PackFacts) -> Html | None:
    """For a council created since the tests began: when, from which councils, and what that means for its figures."""
    import datetime as dt

    from ..data import areas, tables

    names = areas.names()
    for change in tables.la_changes():
        if facts.area.code in change["successors"]:
            when = dt.date.fromisoformat(str(change["date"]))
            old = " and ".join(str(names.get(c, c)) for c in change["ended"])
            return note(
                f"{facts.area.name} was created in {when:%B %Y} from {old}. The DfE's council figures for "
                f"{facts.area.name} start then; its schools' earlier results are shown wherever a report follows the "
                "schools."
            )
    return None


def definitions(facts: PackFacts) -> str:
    """The pack's choices in words: the floor, the bar and what "at risk" means, and the date of the Ofsted
    figures."""
    from ..analyses.accountability import as_of_label

    d = facts.definition
    if facts.floor.ok:
        rule = facts.floor["rule"]
        floor_text = f"the floor is the {rule.kind} floor for {d.year} ({rule.rule.label})"
    else:
        floor_text = f"no floor standard applies to {d.year}"
    return (
        f"In this pack {floor_text}; the bar is {d.threshold:g}% of pupils at the expected standard in reading, "
        f"writing and maths ({d.threshold_basis}); a school is at risk when its chance of being below the bar next "
        f"year is at least {d.at_risk_chance:.0%}; Ofsted figures are as at {as_of_label(d.as_of)}."
    )
