"""KS2 school-improvement analytics workbook for English local authorities.

The package holds every rule, model and transformation, in layers whose imports only point down:
``core`` (errors, paths, the safe YAML loader, number formats, facts of the world), ``data`` (the raw-file
catalogue, readers, tidy tables), ``rules`` (floor standards, strands, scenarios: YAML a council edits),
``analyses`` (pure functions over frames), ``views`` (charts, sentences, display tables, widgets),
``reporting`` (notebook runs, HTML, Excel, the report pack) and ``cli``. The notebooks in ``notebooks/`` only
load data, call these functions and explain the results.
"""

from importlib.metadata import PackageNotFoundError, version

from . import _compat

try:
    __version__ = version("ks2workbook")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

_compat.install()

__all__ = ["__version__"]
