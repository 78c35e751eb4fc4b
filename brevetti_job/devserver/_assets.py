"""The dev platform's chart libraries (Vega, Vega-Lite, vega-embed), served to its pages.

`make assets` (or the wheel build) copies them from npm into ``_web/vendor/`` as
``_web/vendor.json`` lists; only the names listed there are ever served (a
`brevetti_schema.preview.VendorFolder`, as the form preview's own libraries are).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from brevetti_schema.preview import VendorFolder

__all__ = ["CHARTS"]

CHARTS: Final = VendorFolder(Path(__file__).resolve().with_name("_web"))
"""The chart libraries of the model pages."""
