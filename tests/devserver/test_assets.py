"""The dev platform's own chart libraries: built beside its pages, only listed names served."""

from __future__ import annotations

import json

import pytest

from brevetti_job.devserver._assets import (
    VENDOR_DIR,
    missing_chart_assets,
    vendor_files,
    vendor_response,
)
from brevetti_schema.preview import vendor_files as form_vendor_files


def test_the_charts_are_the_dev_platforms_and_the_form_keeps_its_own() -> None:
    charts = {"vega.min.js", "vega-lite.min.js", "vega-embed.min.js"}
    assert charts <= set(vendor_files())
    assert not charts & set(form_vendor_files())
    assert {"vue.min.js", "vfg.js"} <= set(form_vendor_files())
    assert not {"vue.min.js", "vfg.js", "ajv2020.min.js"} & set(vendor_files())


def test_serves_a_built_library_and_its_versions() -> None:
    if missing_chart_assets():
        pytest.skip(f"the web assets are not built in {VENDOR_DIR} (make assets)")
    response = vendor_response("vega-lite.min.js")
    assert response is not None and response.status_code == 200
    assert response.mimetype == "text/javascript" and len(response.data) > 1000
    versions = vendor_response("versions.json")
    assert versions is not None
    assert set(json.loads(versions.data)) == {"vega", "vega-lite", "vega-embed"}
    licence = vendor_response("licenses/vega.txt")
    assert licence is not None and licence.mimetype == "text/plain"


@pytest.mark.parametrize(
    "name", ["vendor.json", "../_assets.py", "../vendor.json", "vue.min.js", "", "licenses/"]
)
def test_serves_nothing_else(name: str) -> None:
    assert vendor_response(name) is None


def test_a_listed_file_not_built_names_make_assets(monkeypatch: pytest.MonkeyPatch) -> None:
    from brevetti_job.devserver import _assets

    monkeypatch.setattr(_assets, "VENDOR_DIR", VENDOR_DIR / "no-such-folder")
    assert "vega.min.js" in _assets.missing_chart_assets()
    response = _assets.vendor_response("vega.min.js")
    assert response is not None and response.status_code == 503
    assert "make assets" in json.loads(response.data)["error"]
