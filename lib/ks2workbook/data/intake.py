"""Adding next year's DfE downloads: ``ks2workbook data add FILE``, ``data list`` and ``data remove``.

``add`` recognises the file's kind from its header (or takes ``kind``), takes its year from the file itself
(``_YY`` suffixes of last year's columns, an academic-year folder or file name) or from ``year`` and refuses a
contradiction, reads it with its reader and checks it (required columns, every value a number or a known
suppression code, LA codes we know, a plausible number of rows, school rows present, not a file already held),
then copies it byte-for-byte under ``data/raw/local/``, records it in the catalogue with its checksum and rebuilds
the tidy tables. Any failure refuses the file with one message and leaves everything as it was: the copy is made
to a temporary name first, and the catalogue is restored if the rebuild fails.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import RawFileError, WorkbookError
from ..core.paths import raw_dir
from . import catalogue, formats, tables
from .catalogue import Entry
from .readers import census, ees, header_of, ks2_school, neighbours_file, ofsted, read_text_table, school_lists
from .values import SUPPRESSION_CODES, parse_floats

MAX_FILE_BYTES = 2_000_000_000
LOCAL = "local"


class RefusedFile(WorkbookError):
    """A file ``data add`` will not take, and why."""


@dataclass
class Added:
    entry: Entry
    rows: dict[str, int]
    notes: list[str] = field(default_factory=list)


def _header(path: Path) -> list[str]:
    """The column names a file starts with: a CSV's first line, or the first cells of a workbook's sheet."""
    if path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        try:
            sheet = pd.read_excel(path, engine="calamine", header=None, nrows=30, dtype=str)
        except Exception as exc:  # noqa: BLE001 - calamine's own errors for damaged workbooks
            raise RefusedFile(f"{path.name}: not a readable workbook ({str(exc).splitlines()[0][:120]})") from None
        for _, row in sheet.iterrows():
            cells = [str(v).strip() for v in row if pd.notna(v)]
            if "URN" in {c.upper() for c in cells} or "la num" in {c.lower() for c in cells}:
                return cells
        return [str(v) for v in sheet.iloc[:, 0].dropna()]
    try:
        return header_of(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise RefusedFile(f"{path.name}: cannot be read as text ({exc})") from None


def recognise(path: Path, header: list[str], kind: str | None) -> formats.Format:
    """The format of a file: the one named (checked against the header), else the first that matches."""
    if kind is not None:
        if kind not in formats.ADDABLE:
            raise RefusedFile(f"unknown kind {kind!r}; a file can be added as: {', '.join(formats.ADDABLE)}")
        fmt = formats.FORMATS[kind]
        if fmt.recognise is not None and not _matches(fmt, path, header):
            raise RefusedFile(
                f"{path.name} does not look like {fmt.title}: its header starts "
                f"{', '.join(header[:6]) or '(nothing)'}; is the header cut off, or is it another kind of file?"
            )
        return fmt
    for name in formats.ADDABLE:
        fmt = formats.FORMATS[name]
        if fmt.recognise is not None and _matches(fmt, path, header):
            return fmt
    raise RefusedFile(
        f"{path.name}: not a file the workbook recognises (its header starts "
        f"{', '.join(header[:6]) or '(nothing)'}). Files it reads: "
        + "; ".join(formats.FORMATS[k].title for k in formats.ADDABLE)
        + ". If the header is cut off, download the file again; otherwise give --kind."
    )


def _matches(fmt: formats.Format, path: Path, header: list[str]) -> bool:
    if fmt.kind == "statistical_neighbours":
        return path.suffix.lower() == ".xlsx" and neighbours_file.recognise(header)
    return path.suffix.lower() in fmt.suffixes and bool(fmt.recognise(header))


def _year(fmt: formats.Format, path: Path, header: list[str], given: int | None) -> tuple[int, ...]:
    stated = fmt.year_stated(path, header) if fmt.year_stated else None
    if stated is not None and given is not None and stated != given:
        raise RefusedFile(
            f"{path.name} says it is for {stated} (from {_year_evidence(fmt, path, header)}), but --year says "
            f"{given}; give the year the file is for, or leave --year out"
        )
    year = given if given is not None else stated
    if year is None and fmt.needs_year:
        raise RefusedFile(f"{path.name}: the file does not say which year it is for; give --year YYYY")
    if year is not None and not 2000 <= year <= dt.date.today().year + 1:
        raise RefusedFile(f"{path.name}: year {year} is not a year the file can be for")
    return (year,) if year is not None else ()


def _year_evidence(fmt: formats.Format, path: Path, header: list[str]) -> str:
    suffixed = [c for c in header if c.upper()[-3:-2] == "_" and c[-2:].isdigit()]
    return f"its columns {', '.join(suffixed[:2])}" if suffixed and fmt.kind == "ks2_school_file" else "its name"


def _stage(name: str) -> str | None:
    low = name.lower()
    return next((s for s in ("provisional", "revised", "final") if s in low), None)


def unknown_markers(frame: pd.DataFrame) -> list[str]:
    """Columns of numbers (nine in ten of the values that are not suppression codes are numbers) holding a value
    that is neither a number nor a known code: ``PTRWM_EXP: '66%?'``. Such a marker could hide a figure.

    Each column is worked on as one Arrow array (a DfE file has some 300 columns, and a pandas step per column
    and operation made this a second and a half for a file of one council's schools). The columns are text as
    :func:`read_text_table` reads them; any other column is read as its text."""
    codes = pa.array(sorted(SUPPRESSION_CODES))
    found = []
    for column in frame.columns:
        try:
            values = pa.array(frame[column].to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # not text: its values as text
            values = pa.array(frame[column].astype("string").array, type=pa.string())
        text = pc.utf8_trim_whitespace(values.drop_null())
        text = text.filter(pc.not_equal(text, ""))
        if len(text) == 0:
            continue
        others = text.filter(pc.invert(pc.is_in(pc.utf8_upper(text), value_set=codes)))
        if len(others) == 0:
            continue
        numeric = parse_floats(pc.replace_substring(others, "%", "").to_pandas()).notna()
        if numeric.mean() >= 0.9 and not numeric.all():
            found.append(f"{column}: {others[int((~numeric).to_numpy().argmax())].as_py()!r}")
    return found


def _check(entry: Entry, fmt: formats.Format, known_las: set[int], name: str) -> tuple[Entry, list[str]]:
    """Read the file as its reader will and check it; return the entry (coverage settled) and notes. ``name``
    is the file's own name, for messages (the entry points at a temporary copy)."""
    notes: list[str] = []
    if entry.path.lower().endswith(".csv"):
        markers = unknown_markers(read_text_table(entry))
        if markers:
            raise RefusedFile(
                f"{name}: unrecognised non-numeric values in columns of numbers "
                f"({'; '.join(markers[:3])}); a value must be a number or a published suppression code"
            )
    try:
        if fmt.kind == "ks2_school_file":
            schools, area_rows = ks2_school.read(entry)
            if schools.empty:
                raise RefusedFile(f"{name}: no school rows (RECTYPE 1 or 2); nothing to add")
            las = set(schools["la_code"].dropna().astype(int))
            unknown = sorted(las - known_las)
            if unknown:
                raise RefusedFile(f"{name}: unknown LA codes {unknown[:5]} in the LEA column")
            coverage = "england" if len(las) > 20 else (las.pop() if len(las) == 1 else "england")
            entry = entry.model_copy(update={"coverage": coverage})
            rows = len(schools)
            check = ks2_school.crosscheck(schools, area_rows)
            for r in check[check["status"] == "differs"].itertuples():
                notes.append(
                    f"LA {r.la_code} {r.measure}: the file's LA row says {r.published:g}, its schools give "
                    f"{r.recomputed:.1f}"
                )
            if len(check):
                notes.append(
                    f"LA figures recomputed from the schools: {int((check['status'] == 'agrees').sum())} agree, "
                    f"{int((check['status'] == 'differs').sum())} differ, "
                    f"{int((check['status'] == 'not checkable').sum())} not checkable (suppressed schools)"
                )
            meta = [m for m in catalogue.load().of_kind("ks2_meta") if m.year == entry.year]
            if meta:
                extra = ks2_school.unknown_to_meta(header_of(entry.file), ks2_school.meta_columns(meta[0]))
                if extra:
                    notes.append(f"columns the {entry.year} metadata does not define: {', '.join(extra[:8])}")
        elif fmt.kind == "school_census":
            frame = census.read(entry)
            rows = len(frame)
            unknown = sorted(set(frame["la_code"].dropna().astype(int)) - known_las)
            if unknown:
                raise RefusedFile(f"{name}: unknown LA codes {unknown[:5]}")
        elif fmt.kind == "school_list":
            rows = len(school_lists.read_spine(entry))
        elif fmt.kind == "gias":
            rows = len(school_lists.read_gias(entry))
        elif fmt.kind == "ofsted_mi":
            rows = len(ofsted.read_mi(entry))
        elif fmt.kind == "ees_ks2_la":
            frame = ees.read(entry, {})
            rows = len(frame)
            years = tuple(sorted(int(y) for y in frame["year"].unique()))
            entry = entry.model_copy(update={"years": years})
        elif fmt.kind == "ks2_meta":
            rows = len(ks2_school.meta_columns(entry))
        elif fmt.kind == "statistical_neighbours":
            rows = neighbours_file.read(entry)["la_code"].nunique()
        else:  # pragma: no cover - every addable kind is handled above
            raise RefusedFile(f"kind {fmt.kind} cannot be added")
    except RefusedFile:
        raise
    except (RawFileError, ValueError, KeyError) as exc:
        raise RefusedFile(f"{name}: {str(exc).splitlines()[0][:300]}") from None
    low, high = fmt.rows
    if not low <= rows <= high:
        raise RefusedFile(f"{name}: {rows:,} rows, not a plausible {fmt.title} ({low:,} to {high:,} expected)")
    return entry, notes


def add(file: str | Path, *, year: int | None = None, kind: str | None = None, rebuild: bool = True) -> Added:
    """Add one downloaded file to the data (see the module docstring). Raises :class:`RefusedFile`."""
    source = Path(file).expanduser()
    if not source.is_file():
        raise RefusedFile(f"{source.name or source}: {'is a folder' if source.is_dir() else 'no such file'}")
    size = source.stat().st_size
    if size == 0 or size > MAX_FILE_BYTES:
        raise RefusedFile(f"{source.name}: {size:,} bytes; a data file is between 1 byte and {MAX_FILE_BYTES:,}")
    header = _header(source)
    fmt = recognise(source, header, kind)
    years = _year(fmt, source, header, year)
    sha = catalogue.sha256_of(source)
    cat = catalogue.load()
    held = cat.with_sha(sha)
    if held is not None:
        raise RefusedFile(f"{source.name} is already in the data, as data/raw/{held.path}; nothing added")
    folder = Path(LOCAL) / (str(years[0]) if years else "undated") / fmt.kind
    target = folder / source.name
    if (raw_dir() / target).exists():
        raise RefusedFile(f"data/raw/{target} already exists (a different file of the same name); rename yours")
    tmp = raw_dir() / folder / f".incoming-{os.getpid()}-{source.name}"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, tmp)
    try:
        entry = Entry(
            path=(folder / tmp.name).as_posix(),
            kind=fmt.kind,
            description=f"{fmt.title.split(':')[0].split(' (')[0]}{', ' + str(years[0]) if years else ''}",
            years=years,
            publisher="DfE" if fmt.kind != "ofsted_mi" else "Ofsted",
            rank="dfe",
            stage=_stage(source.name),
            via=f"added from {source.name}",
            sha256=sha,
            added=f"local {dt.date.today().isoformat()}",
        )
        known = set(tables.load("areas")["la_code"].astype(int))
        entry, notes = _check(entry, fmt, known, source.name)
        os.replace(tmp, raw_dir() / target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    entry = entry.model_copy(update={"path": target.as_posix()})
    catalogue.write(cat.model_copy(update={"files": (*cat.files, entry)}))
    rows: dict[str, int] = {}
    if rebuild:
        try:
            rows = tables.build_all()
        except WorkbookError as exc:
            catalogue.write(cat)
            (raw_dir() / target).unlink(missing_ok=True)
            tables.build_all()
            raise RefusedFile(
                f"{source.name}: the tables could not be rebuilt with it ({exc}); nothing added"
            ) from None
    return Added(entry, rows, notes)


def remove(path: str | Path, *, rebuild: bool = True) -> Entry:
    """Take a file out of the catalogue (undo an add: a local copy is deleted; a shipped file stays on disk)."""
    cat = catalogue.load()
    entry = cat.find(path)
    if entry is None:
        raise WorkbookError(f"{path} is not in the catalogue; `ks2workbook data list` shows the files held")
    catalogue.write(cat.model_copy(update={"files": tuple(e for e in cat.files if e is not entry)}))
    if entry.is_local:
        entry.file.unlink(missing_ok=True)
    if rebuild:
        tables.build_all()
    return entry


def listing() -> pd.DataFrame:
    """Per table and year, the files it rests on: ``table``, ``year``, ``file``, ``added``, ``rows`` (rows of
    the table from that file), ``match_rate`` (school results: share placed at a URN), ``note`` (where two files
    cover the same year, which wins)."""
    cat = catalogue.load()
    out = []
    results = tables.load("school_results")
    for year, part in results.groupby("year"):
        files = part.groupby("source")
        best = [e for e in tables.result_files(int(year)) if e.path in files.groups]
        for rank, entry in enumerate(best):
            rows = files.get_group(entry.path)
            overlaps = [
                e for e in best[rank + 1 :] if "england" in (e.coverage, entry.coverage) or e.coverage == entry.coverage
            ]
            note = (
                "wins over " + "; ".join(f"data/raw/{e.path}" for e in overlaps) + " for the schools it holds"
                if overlaps
                else ("the schools no better file holds" if rank else "")
            )
            out.append(
                {
                    "table": "school_results",
                    "year": int(year),
                    "file": entry.path,
                    "added": entry.added,
                    "rows": len(rows),
                    "match_rate": float(rows["urn"].notna().mean()),
                    "note": note,
                }
            )
    for table, kinds in (
        ("census", ("school_census",)),
        ("neighbours", ("statistical_neighbours",)),
        ("la_indicators", ("lait_timeseries", "ees_ks2_la")),
        ("schools", ("school_list", "gias")),
        ("ofsted", ("ofsted_history", "ofsted_latest_json", "ofsted_mi")),
    ):
        for entry in cat.of_kind(*kinds):
            label = entry.year if entry.year else (f"{entry.span[0]}-{entry.span[1]}" if entry.span else "")
            out.append(
                {
                    "table": table,
                    "year": label,
                    "file": entry.path,
                    "added": entry.added,
                    "rows": pd.NA,
                    "match_rate": pd.NA,
                    "note": entry.description,
                }
            )
    return pd.DataFrame(out, columns=["table", "year", "file", "added", "rows", "match_rate", "note"])
