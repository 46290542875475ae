"""The notebook API: shapelint.probe / shapelint.check on live models, shown as the CLI's tables (HTML and repr)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import shapelint


@pytest.fixture(scope="module")
def backbone():
    import keras

    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, keras.layers.Conv2D(8, 3, strides=8, padding="same")(inputs), name="tiny")


def test_check_shows_the_head_in_html_and_as_text(backbone):
    import keras

    model = keras.Sequential([backbone, keras.layers.Dense(3, name="logits")], name="classifier")
    result = shapelint.check(model, num_classes=3, sizes=[64])
    assert [f.code for f in result.findings][-1] == "SL201"
    html = result._repr_html_()
    assert html.startswith("<p><b>classifier</b>: 1 error, 1 info</p>") and "<table>" in html
    assert re.search(r"<td>\s*Dense\(3\)\s*</td>", html) and "SL201" in html
    text = repr(result)
    assert text.splitlines()[0] == "classifier: 1 error, 1 info"
    # built inside this test: the plugin recorded the line, so the finding points at it
    assert "tests/test_notebook.py:25: error SL201 dense-on-feature-map: Dense(3) 'logits'" in text


def test_probe_shows_the_evidence(backbone):
    result = shapelint.probe(backbone, sizes="64,32")
    assert result.verdict["pooling"] == "required"
    assert re.search(r"<td>\s*\(1, 8, 8, 8\)\s*</td>", result._repr_html_())
    assert repr(result).splitlines()[:2] == ["tiny", "input    output        how"]


def test_html_escapes_what_the_user_named():
    from shapelint.formatters.html import format_html
    from shapelint.report import SourceReport

    assert "&lt;b&gt;" in format_html(SourceReport("<b>", error="<b>: no such file"))


def test_importing_shapelint_imports_no_framework():
    code = "import shapelint, sys; print([m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
