"""KS2 school-improvement analytics workbook for English local authorities.

The package holds every rule, model and transformation; the notebooks in ``notebooks/`` only load data,
call these functions and explain the results.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ks2workbook")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
