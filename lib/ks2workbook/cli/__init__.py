"""The ``ks2workbook`` command line: build and add data, run the report pack, export tables for Excel users.

Each command lives in a module of its own (``data``, ``report``, ``export``, ``capacity``); importing this
package registers them all on :data:`app`, the entry point ``ks2workbook``.
"""

from __future__ import annotations

import sys

from . import capacity, data, export, report  # noqa: F401 - each module registers its commands
from .common import app

app.command("capacity")(capacity.capacity_command)


def main() -> None:  # pragma: no cover - entry point for `python -m ks2workbook`
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
