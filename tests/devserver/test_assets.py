"""The dev platform's own chart libraries: built beside its pages, only listed names served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brevetti_job.devserver._assets import CHARTS
from brevetti_schema.preview import VENDOR, VendorFolder


def test_the_charts_are_the_dev_platforms_and_the_form_keeps_its_own() -> None:
    charts = {"vega.min.js", "vega-lite.min.js", "vega-embed.min.js"}
    assert charts <= set(CHARTS.names)
    assert not charts & set(VENDOR.names)
    assert {"vue.min.js", "vfg.js"} <= set(VENDOR.names)
    assert not {"vue.min.js", "vfg.js", "ajv2020.min.js"} & set(CHARTS.names)


def test_serves_a_built_library_and_its_versions() -> None:
    if CHARTS.missing():
        pytest.skip(f"the web assets are not built in {CHARTS.path} (make assets)")
    response = CHARTS.response("vega-lite.min.js")
    assert response is not None and response.status_code == 200
    assert response.mimetype == "text/javascript" and len(response.data) > 1000
    versions = CHARTS.response("versions.json")
    assert versions is not None
    assert set(json.loads(versions.data)) == {"vega", "vega-lite", "vega-embed"}
    licence = CHARTS.response("licenses/vega.txt")
    assert licence is not None and licence.mimetype == "text/plain"


@pytest.mark.parametrize(
    "name", ["vendor.json", "../_assets.py", "../vendor.json", "vue.min.js", "", "licenses/"]
)
def test_serves_nothing_else(name: str) -> None:
    assert CHARTS.response(name) is None


def test_a_listed_file_not_built_names_make_assets(tmp_path: Path) -> None:
    (tmp_path / "vendor.json").write_text('{"lib.js": "lib/dist/lib.js"}')
    folder = VendorFolder(tmp_path)
    assert folder.missing() == ["lib.js", "versions.json"]
    response = folder.response("lib.js")
    assert response is not None and response.status_code == 503
    assert "make assets" in json.loads(response.data)["error"]
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.js").write_text("x")
    built = folder.response("lib.js")
    assert built is not None and built.status_code == 200 and built.data == b"x"
