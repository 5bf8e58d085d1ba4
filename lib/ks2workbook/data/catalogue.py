"""The raw-file catalogue (``data/catalogue.yaml``): every published file the workbook reads, as data.

Why: the files and their years used to be written into the code; next year's DfE download then needed a code
change. Now a file is an entry (path, kind, years, origin, licence, checksum, shipped or added locally), the
readers are chosen by ``kind`` (:mod:`ks2workbook.data.formats`), and every question about which files exist or
which years have data is answered from the entries and the tables built from them.

Checksums are the guard against a changed file: a build refuses a raw file whose content differs from the
checksum recorded here, naming it, until the change is restored or recorded (``ks2workbook data accept``).
Hashes are remembered by (path, size, modification time) so that a process hashes each file once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..core.errors import ConfigError, RawFileError
from ..core.paths import project_root, raw_dir
from ..core.safe_yaml import read_yaml

#: Precedence where two files hold the same school and year (a higher tuple wins): the DfE's own file over a
#: reduced copy made by someone else; a national file over one for a single LA; revised and final over
#: provisional.
RANK_ORDER = {"third_party": 0, "dfe": 1}
STAGE_ORDER = {"provisional": 0, None: 1, "final": 2, "revised": 2}

RESTORE_HINT = (
    "Restore the published file with `git checkout -- data/raw` (shipped files are committed byte-for-byte) or "
    "from the source named in the catalogue; `ks2workbook verify-data` checks every file."
)


class Entry(BaseModel):
    """One raw file. ``years`` are the data years it holds (KS2 test years, census years, SN edition years);
    ``span`` the first and last year of a file that covers many (LAIT, inspection histories)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    kind: str
    description: str = ""
    years: tuple[int, ...] = ()
    span: tuple[int, int] | None = None
    coverage: Literal["england"] | int = "england"
    publisher: str = ""
    rank: Literal["dfe", "third_party"] = "dfe"
    stage: Literal["final", "revised", "provisional"] | None = None
    via: str = ""
    licence: str = "OGL-3.0"
    encoding: str | None = None  # text files: None = UTF-8 (a byte-order mark is allowed)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    added: str = "shipped"
    as_at: str | None = None
    accepted: str | None = None
    note: str = ""

    @field_validator("path")
    @classmethod
    def _inside_raw(cls, value: str) -> str:
        parts = Path(value).parts
        if Path(value).is_absolute() or ".." in parts or not parts:
            raise ValueError("a catalogue path is relative to data/raw/ and stays inside it")
        return Path(value).as_posix()

    @property
    def file(self) -> Path:
        return raw_dir() / self.path

    @property
    def year(self) -> int | None:
        """The single data year of a one-year file (a KS2 results file, a census), else None."""
        return self.years[0] if len(self.years) == 1 else None

    @property
    def is_local(self) -> bool:
        return self.added != "shipped"

    @property
    def precedence(self) -> tuple[int, int, int]:
        """Sort key: a higher key wins where files overlap (see :data:`RANK_ORDER`)."""
        national = 1 if self.coverage == "england" else 0
        return (RANK_ORDER[self.rank], national, STAGE_ORDER[self.stage])

    @property
    def label(self) -> str:
        """How a report names the file's source: description and origin, never a path."""
        return self.description or self.kind


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    files: tuple[Entry, ...]

    def of_kind(self, *kinds: str) -> list[Entry]:
        """Entries of the given kinds, in catalogue order."""
        return [e for e in self.files if e.kind in kinds]

    def find(self, path: str | Path) -> Entry | None:
        """The entry for a path under data/raw/ (as written in the catalogue, or an absolute path)."""
        key = _relative(path)
        return next((e for e in self.files if e.path == key), None)

    def with_sha(self, sha256: str) -> Entry | None:
        return next((e for e in self.files if e.sha256 == sha256), None)


def catalogue_path() -> Path:
    return project_root() / "data" / "catalogue.yaml"


def _relative(path: str | Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(raw_dir().resolve()).as_posix()
        except ValueError:
            return p.as_posix()
    text = p.as_posix()
    return text.removeprefix("data/raw/")


def load() -> Catalogue:
    """The catalogue as it is on disk now (re-read when the file changes)."""
    path = catalogue_path()
    if not path.is_file():
        raise RawFileError(f"the raw-file catalogue data/catalogue.yaml is missing. {RESTORE_HINT}")
    stat = path.stat()
    return _load_cached(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _load_cached(path: str, size: int, mtime_ns: int) -> Catalogue:
    file = read_yaml(path, shown="data/catalogue.yaml", kind="raw-file catalogue")
    file.mapping("version:, files:")
    catalogue = file.validate(Catalogue)
    paths = [e.path for e in catalogue.files]
    dupes = sorted({p for p in paths if paths.count(p) > 1})
    if dupes:
        raise ConfigError(f"data/catalogue.yaml lists {', '.join(dupes)} more than once")
    return catalogue


def write(catalogue: Catalogue) -> None:
    """Write the catalogue atomically, keeping its header comment (a crash leaves the old one whole)."""
    path = catalogue_path()
    header = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            header.append(line)
    files = [
        {k: v for k, v in e.model_dump(mode="json", exclude_none=True).items() if v not in ("", [])}
        for e in catalogue.files
    ]
    body = yaml.dump(
        {"version": catalogue.version, "files": files},
        Dumper=_Dumper,
        sort_keys=False,
        width=120,
        allow_unicode=True,
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(header) + ("\n" if header else "") + body, encoding="utf-8")
    os.replace(tmp, path)
    _load_cached.cache_clear()


class _Dumper(yaml.SafeDumper):
    """Short lists of years on one line (``years: [2017]``), everything else in block style."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = len(data) <= 6 and all(isinstance(x, int | float | str) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(tuple, _represent_list)


# ------------------------------------------------------------------------------------------------------------
# Checksums
# ------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hashed once per process for the same size and modification time."""
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


def require(entry: Entry) -> Path:
    """The entry's file, present and unchanged since it was recorded, else a :class:`RawFileError` naming it."""
    path = entry.file
    if not path.is_file():
        raise RawFileError(f"raw file missing: data/raw/{entry.path} ({entry.label}). {RESTORE_HINT}")
    if sha256_of(path) != entry.sha256:
        raise RawFileError(
            f"raw file data/raw/{entry.path} ({entry.label}) has changed since it was recorded in the catalogue "
            "(its checksum differs), so nothing is built from it. If the change is deliberate, record it with "
            f"`ks2workbook data accept data/raw/{entry.path}`; otherwise restore the published file "
            f"(`git checkout -- data/raw/{entry.path}`)."
        )
    return path


def verify(entries: Iterable[Entry] | None = None) -> list[str]:
    """Every catalogued file checked: the list of problems (empty when all are present and unchanged)."""
    problems = []
    for entry in entries if entries is not None else load().files:
        if not entry.file.is_file():
            problems.append(f"missing: data/raw/{entry.path}")
        elif sha256_of(entry.file) != entry.sha256:
            problems.append(f"changed: data/raw/{entry.path}")
    return problems


def accept(path: str | Path) -> Entry:
    """Record the current content of a catalogued file as the one to build from (a deliberate change)."""
    catalogue = load()
    entry = catalogue.find(path)
    if entry is None:
        raise RawFileError(f"{path} is not in the raw-file catalogue; add a new file with `ks2workbook data add`")
    if not entry.file.is_file():
        raise RawFileError(f"raw file missing: data/raw/{entry.path}. {RESTORE_HINT}")
    new = entry.model_copy(update={"sha256": sha256_of(entry.file), "accepted": dt.date.today().isoformat()})
    write(catalogue.model_copy(update={"files": tuple(new if e is entry else e for e in catalogue.files)}))
    return new
