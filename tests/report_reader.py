"""Read a rendered report as a reader would, and list what no reader should see.

Stricter than a generic checker: besides missing values shown as text, code names, reprs and file names, it
looks for tracebacks, paths of a machine, empty sections, charts without alt text, sentences that count nothing
("0 of 0"), money or shares made of NaN, and the names of councils that have no business in this council's pack.
Standard library only, so it reads exactly what a browser would be given.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

PATTERNS: list[tuple[str, re.Pattern]] = [
    ("missing value shown as text", re.compile(r"(?<![\w-])(None|nan|NaN|NaT|inf|-inf|<NA>|null)(?![\w-])")),
    ("raw indicator code", re.compile(r"\b(KS[1-5]|EYFS|DAP|NonDAP)[A-Za-z0-9]*_[A-Za-z0-9_]+\b")),
    ("snake_case identifier", re.compile(r"(?<![\w@/.:-])[a-z][a-z0-9]*(_[a-z0-9]+)+(?![\w@/.-])")),
    ("list or dict repr", re.compile(r"\[\s*(\d+|'[^']*')(\s*,\s*(\d+|'[^']*'))*\s*\]|\{\s*'[^']+'\s*:")),
    ("file name", re.compile(r"\b[\w./-]+\.(md|py|ya?ml|ipynb|parquet|csv|json|pkl)\b")),
    ("float with a long tail", re.compile(r"\b\d+\.\d{4,}\b")),
    ("traceback or error", re.compile(r"Traceback|Error:|Exception|KeyError|ValueError|TypeError")),
    ("path of a machine", re.compile(r"(/work/|/tmp/|/home/|/root/|[A-Z]:\\\\)")),
    ("counting nothing", re.compile(r"\b0 of 0\b|\(\s*–\s*\)|£nan|nan%|–%|£–")),
    ("a code-like flag", re.compile(r"(?<!\w)--[a-z][a-z-]+")),
    ("a numpy or pandas repr", re.compile(r"np\.(int|float)\d*\(|dtype|Timestamp\(")),
    ("doubled words", re.compile(r"\b(the|of|a|in|and|to)\s+\1\b", re.IGNORECASE)),
    (
        "one of a plural noun",
        re.compile(r"(?<![\d.,+\-−])1 (schools|pupils|councils|days|years|advisers|pairs|inspections|months)\b"),
    ),
    ("one point as plural", re.compile(r"(?<![\d.,])[+\-−]?1 points\b")),
    ("a signed zero", re.compile(r"(?<![\w.,])[+\-−]0(\.0+)?(?![\d.,])")),
]

#: Councils whose plans or figures were worked examples: named only in their own pack (or as a neighbour).
EXAMPLE_COUNCILS = ("Derby", "Sefton", "Walsall", "Peterborough", "Hampshire", "Surrey")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.text: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.tables: list[int] = []
        self._rows: list[int] = []
        self.images: list[str] = []
        self.headings: list[tuple[int, str]] = []  # (position in text, heading level)
        self.facts: list[tuple[str, str]] = []
        self._fact: str | None = None
        self._fact_text: list[str] = []
        self.scripts = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag in ("style", "script"):
            self.skip += 1
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.handlers.append(f"{tag} {name}")
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and (a.get("href") or "").startswith("#") and len(a["href"]) > 1:
            self.links.append(a["href"][1:])
        if tag == "table":
            self._rows.append(0)
        if tag == "tr" and self._rows:
            self._rows[-1] += 1
        if tag == "img":
            self.images.append(a.get("alt") or "")
        if tag in ("h1", "h2", "h3"):
            self.headings.append((len("".join(self.text)), int(tag[1])))
        if tag == "span" and a.get("data-fact"):
            self._fact, self._fact_text = a["data-fact"], []
        if tag in ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "dt", "dd", "caption"):
            self.text.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script") and self.skip:
            self.skip -= 1
        if tag == "table" and self._rows:
            self.tables.append(self._rows.pop())
        if tag == "span" and self._fact is not None:
            self.facts.append((self._fact, "".join(self._fact_text).strip()))
            self._fact = None

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)
            if self._fact is not None:
                self._fact_text.append(data)


@dataclass
class Reading:
    path: Path
    text: str
    problems: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)


def read(path: Path, council: str, allowed_names: set[str] = frozenset()) -> Reading:
    """The page's text and every problem a reader would notice."""
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    text = html.unescape("".join(page.text))
    found: list[str] = []

    def where(m: re.Match) -> str:
        return " ".join(text[max(0, m.start() - 50) : m.end() + 50].split())

    for label, pattern in PATTERNS:
        for m in pattern.finditer(text):
            found.append(f"{label}: {m.group(0)!r} in …{where(m)}…")
    for name in EXAMPLE_COUNCILS:
        if name == council or name in allowed_names:
            continue
        for m in re.finditer(rf"\b{name}\b", text):
            found.append(f"another council's name: {name!r} in …{where(m)}…")
    if page.scripts:
        found.append(f"{page.scripts} script element(s)")
    if page.handlers:
        found.append(f"live handlers or javascript links: {page.handlers[:3]}")
    empty = sum(1 for rows in page.tables if rows <= 1)
    if empty:
        found.append(f"{empty} table(s) with no data rows")
    for target in page.links:
        if target not in page.ids:
            found.append(f"link to a section that does not exist: #{target}")
    for alt in page.images:
        if not alt.startswith("Chart:"):
            found.append(f"a chart without a description: alt={alt!r}")
    for (here, level), (there, next_level) in zip(page.headings, page.headings[1:], strict=False):
        if level == 2 and next_level <= 2 and not text[here:there].strip().replace("\n", "").split(maxsplit=8)[8:]:
            found.append(f"an empty section: …{' '.join(text[here:there].split())[:60]}…")
    return Reading(path, text, found, page.facts)
