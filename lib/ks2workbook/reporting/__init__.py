"""reporting: running the notebooks, the HTML and Excel outputs, the pack.

nbformat imports jsonschema, whose optional "iri" format checker imports ``rfc3987_syntax``; that module builds a
grammar at import time (about 3 s, in every process that runs a pack). Notebook validation never checks an "iri"
field, so the checker is left out: jsonschema skips it when the import fails (its own ``suppress(ImportError)``).
"""

import sys

if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import fails fast; see the docstring
