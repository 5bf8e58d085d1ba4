"""Council-editable YAML files: one way to read them and one way to say what is wrong with them.

Scenario files (:mod:`ks2workbook.capacity_scenario`), floor rule files (:mod:`ks2workbook.floor_rules`) and
strand rule files (:mod:`ks2workbook.strands`) are edited by hand by council staff who will never read a pydantic
traceback. Every mistake must come back as a :class:`ConfigError` with one line per problem::

    scenarios/new.yaml: line 14: supply.employed[0].fte: Input should be greater than or equal to 0 (got -1)

naming the file, the line, the field and what was expected. Why one module: each of those modules used to carry
its own copy of this, and they drifted (one gave exact lines, one the line of the list entry, one none for most
errors). What is generic lives here: parsing with a key-path -> line map (so a line can be named for every field,
and duplicate keys, which PyYAML would silently collapse into the last one, are caught), and turning pydantic's
errors into those lines. What a file *means* (cross-field checks, hints about the format) stays in its module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ConfigError

#: A path into a file's data: mapping keys (str) and list positions (int), e.g. ("supply", "employed", 0, "fte").
Loc = tuple[str | int, ...]
#: One problem: where (a path, as pydantic gives it or a module builds it) and what is wrong, in words.
Problem = tuple[Loc, str]
M = TypeVar("M", bound=BaseModel)

_UNSET: Any = object()


def dotted(loc: Loc) -> str:
    """``("supply", "employed", 0, "fte")`` -> ``supply.employed[0].fte``: how a user finds the field."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


#: Bounds for a council file: far above any real rule or scenario file (a few kB, a few hundred keys), far below
#: what would tie up a machine. A file over them is refused before it is parsed.
MAX_BYTES = 1_000_000
MAX_NODES = 20_000
#: Levels of lists and mappings one inside another (a council file has three or four; thousands would exhaust
#: the parser's recursion).
MAX_DEPTH = 50
_TOO_DEEP = f"lists and mappings nested more than {MAX_DEPTH} deep; a rule or scenario file needs a few levels"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, but dates stay text: the file's models parse them, so ``2010-02-30`` is reported
    as a bad date on its line instead of escaping as a Python ValueError."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

#: The same loader on libyaml's parser (PyYAML's C extension, where it was built with it): the same nodes, lines
#: and values, several times faster (the catalogue and the rule files are read by every run and every kernel).
_FastLoader: type | None = None
if getattr(yaml, "CSafeLoader", None) is not None:

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """:class:`_Loader` on libyaml's parser."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def excerpt(value: object, n: int = 60) -> str:
    """A short, single-line quotation of a value from a file, for error messages (never the whole file): text
    quoted, other values as Python writes them, both cut to ``n`` characters."""
    flat = " ".join((value if isinstance(value, str) else repr(value)).split())
    short = flat if len(flat) <= n else flat[: n - 1] + "…"
    return repr(short) if isinstance(value, str) else short


def _check_bounds(text: str, shown: str, max_bytes: int, max_nodes: int) -> None:
    """Refuse, in one pass over PyYAML's events, what a hand-edited file never needs and an attack does: a
    file over ``max_bytes``, anchors and aliases (the "billion laughs" expand a few hundred bytes into
    gigabytes), and more than ``max_nodes`` keys and values."""
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise ConfigError(f"{shown}: the file is {size:,} bytes; a rule or scenario file is at most {max_bytes:,}")
    lines = text.count("\n")
    if lines > max_nodes:  # every key or item is on a line of its own in a hand-written file
        raise ConfigError(f"{shown}: the file has {lines:,} lines; a rule or scenario file needs far fewer")
    nodes = depth = 0

    def refuse(event: yaml.Event, problem: str) -> ConfigError:
        return ConfigError(f"{shown}: line {event.start_mark.line + 1}: {problem}")

    try:
        for event in yaml.parse(text, Loader=_FastLoader or _Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise refuse(event, _TOO_DEEP)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise refuse(event, "anchors and aliases (& and *) are not allowed; write the value out")
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > max_nodes:
                    raise refuse(
                        event, f"more than {max_nodes:,} keys and values; a rule or scenario file needs far fewer"
                    )
    except yaml.YAMLError:
        return  # the parse below reports it with its line


def _compose_fast(text: str) -> tuple[yaml.Node | None, Any] | None:
    """The node tree and the data by libyaml, for text it reads as the pure-Python parser does; None otherwise (no
    libyaml, a character the pure-Python reader refuses, something libyaml reads more leniently, or any error),
    and :func:`_compose` then reads the file and words what is wrong, as it always has."""
    if _FastLoader is None or yaml.reader.Reader.NON_PRINTABLE.search(text) or _LENIENT.search(text):
        return None
    loader = _FastLoader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    except (yaml.YAMLError, *_UNREADABLE):
        return None
    finally:
        loader.dispose()


#: What libyaml accepts and PyYAML's own parser refuses or reads otherwise (tabs as spacing, ``?`` in a bracketed
#: value, a byte-order mark after the start, a bare ``!`` tag): text holding any of them takes the pure-Python path,
#: so a file is valid, and means the same, whichever parser PyYAML was built with. No shipped file holds one.
_LENIENT = re.compile(r"[\t?!]|(?!^)\ufeff")  # a byte-order mark first is read alike

#: Errors PyYAML raises, outside its own error types, when it builds a value it cannot read (``!!int x``,
#: ``!!bool x``, ``0x_``).
_UNREADABLE = (ValueError, KeyError, IndexError, TypeError)


def _compose(text: str, shown: str) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data by PyYAML's pure-Python parser, whose messages name the line and the problem."""
    loader = None
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    except RecursionError:  # brackets inside brackets beyond libyaml's limit, which the bounds could not count
        raise ConfigError(f"{shown}: {_TOO_DEEP}") from None
    except _UNREADABLE as exc:  # a tagged value PyYAML cannot build, e.g. "!!int x"
        raise ConfigError(f"{shown}: not valid YAML (a value that cannot be read: {excerpt(str(exc))})") from None
    except yaml.reader.ReaderError as exc:  # a character no YAML file may hold: its line, not the reader's words
        line = text[: exc.position].count("\n") + 1
        raise ConfigError(
            f"{shown}: line {line}: a control character (#x{exc.character:04x}), which a YAML file may not hold; "
            "remove it"
            if isinstance(exc.character, int)
            else f"{shown}: line {line}: {exc.reason}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc)
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and mark is not None and start.line != mark.line:
            problem += f"; {context} on line {start.line + 1}"  # an unclosed bracket: where it was opened
        raise ConfigError(f"{shown}: {where}: not valid YAML ({problem})") from None
    finally:
        if loader is not None:
            loader.dispose()


def parse_yaml(text: str, shown: str, *, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES) -> YamlFile:
    """Parse YAML text and record the 1-based line of every key and list item, by path.

    Bounds first (:func:`_check_bounds`); then the node tree is composed, because only nodes carry line numbers,
    and constructed into the data. Duplicate keys are refused (PyYAML would keep the last one, hiding a mistyped
    override).
    """
    _check_bounds(text, shown, max_bytes, max_nodes)
    root, data = _compose_fast(text) or _compose(text, shown)
    lines: dict[Loc, int] = {(): 1}

    def walk(node: yaml.Node, path: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ConfigError(
                        f"{shown}: line {line}: '{dotted((*path, key))}' appears twice "
                        f"(first on line {seen[key]}); keep one"
                    )
                seen[key] = line
                lines[(*path, key)] = line
                walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return YamlFile(shown, data, lines)


def read_yaml(path: str | Path, *, shown: str | None = None, kind: str = "YAML file", hint: str = "") -> YamlFile:
    """Read and parse one file. ``shown`` is the name messages use (e.g. relative to the project); ``kind`` and
    ``hint`` make the not-found message say what file was expected and where to get one."""
    path = Path(path)
    shown = shown or path.name
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "not found"
        raise ConfigError(f"{kind} {shown} {what}" + (f" ({hint})" if hint else ""))
    if path.stat().st_size > MAX_BYTES:
        raise ConfigError(f"{shown}: the file is {path.stat().st_size:,} bytes; a {kind} is at most {MAX_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: cannot be read as a UTF-8 text file (a {kind} is YAML text)") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot be read ({exc.strerror})") from None
    return parse_yaml(text, shown)


def _tag(part: str | int) -> bool:
    """pydantic's own labels in an error path, not keys of the file: '[key]', 'function-plain[...]'."""
    return isinstance(part, str) and "[" in part


def describe(err: Mapping[str, Any], unknown_field: Callable[[Loc], str] | None = None) -> str:
    """What a pydantic error means, in the words a file editor needs (with the value they wrote).

    ``unknown_field`` lets a module say what an unknown key should be instead (the allowed fields, its README).
    """
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        return unknown_field(tuple(err.get("loc", ()))) if unknown_field else "unknown field (check the spelling)"
    if kind in ("model_type", "dict_type"):
        return f"expected a mapping of fields (key: value lines), got {excerpt(value)}"
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if kind != "value_error" and not isinstance(value, dict | list) and value is not None:
        msg += f" (got {excerpt(value)})"
    return msg


@dataclass(frozen=True)
class YamlFile:
    """A parsed file: the name messages show, its data, and the line of every key path (empty when the data did
    not come from a file, e.g. a scenario built from sliders: messages then name the field without a line)."""

    shown: str
    data: Any
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def mapping(self, example: str) -> dict[Any, Any]:
        """The data as a mapping of fields, or a :class:`ConfigError` (an empty file, a bare list or value)."""
        if self.data is None:
            raise ConfigError(f"{self.shown}: line 1: the file is empty; expected a mapping of fields ({example})")
        if not isinstance(self.data, dict):
            raise ConfigError(
                f"{self.shown}: line 1: expected a mapping of fields ({example}), got {excerpt(self.data)}"
            )
        return self.data

    def locate(self, loc: Loc) -> tuple[Loc, Loc]:
        """Map an error path to (path present in the file, path to name in the message).

        Walks the file's own data, so whatever pydantic adds is dropped: its tags ('[key]', union member names)
        and keys a validator made up (a plain number stored as ``{"all": n}``). A missing field is not in the
        file: it is placed on its parent's line, but the message names the field.
        """
        node, found = self.data, ()
        for part in loc:
            if isinstance(node, dict):
                key = next((k for k in node if k == part or str(k) == str(part)), _UNSET)
                if key is not _UNSET:
                    node, found = node[key], (*found, str(key))
                    continue
                if _tag(part):
                    continue
                return found, (*found, part)
            if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node, found = node[part], (*found, part)
                continue
            if isinstance(node, list) and _tag(part):
                continue
            break  # below a single value: the rest of the path is pydantic's, not the file's
        return found, found

    def line(self, loc: Loc) -> int:
        """Line of ``loc`` in the file, else of its nearest parent that has one (a key PyYAML spelled differently)."""
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return 1

    def error(self, problems: Iterable[Problem]) -> ConfigError:
        """One line per problem, ``file: line N: field.path: what is wrong``; a count first when there are several."""
        out = []
        for loc, msg in problems:
            found, report = self.locate(loc)
            where = f"line {self.line(found)}: " if self.lines else ""
            out.append(f"{self.shown}: {where}{dotted(report)}: {msg}")
        if len(out) == 1:
            return ConfigError(out[0])
        return ConfigError(f"{self.shown}: {len(out)} problems:\n  " + "\n  ".join(out))

    def validate(self, model: type[M], data: Any = _UNSET, *, unknown_field: Callable[[Loc], str] | None = None) -> M:
        """``model`` validated from the file's data (or ``data``, derived from it), every problem reported at once.

        Lines and field paths always come from the file's own data, so a value a module filled in (a count from
        the analysis) is reported at the line of the key that asked for it.
        """
        try:
            return model.model_validate(self.data if data is _UNSET else data)
        except ValidationError as exc:
            problems = [(tuple(e["loc"]), describe(e, unknown_field)) for e in exc.errors()]
            raise self.error(problems) from None
