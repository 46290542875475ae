"""The pytest plugin, tested the way its users meet it: pytester runs in a subprocess with the installed entry point."""

from __future__ import annotations

import re
import textwrap

import pytest

pytest_plugins = ["pytester"]

MODELS = '''
import keras
import pytest


@pytest.fixture(scope="session")
def backbone():
    """A tiny variable-size conv net: (N, H/4, W/4, 8), like an include_top=False backbone."""
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model(inputs, x, name="tiny_backbone")


@pytest.fixture(scope="session")
def good_head(backbone):
    return keras.Sequential([keras.Input((None, None, 3)), backbone, keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(5, activation="softmax")], name="good_head")


@pytest.fixture(scope="session")
def bad_head(backbone):
    return keras.Sequential([keras.Input((None, None, 3)), backbone, keras.layers.Dense(5, activation="softmax")],
                            name="bad_head")
'''

PROBE_TESTS = '''
import pytest


def test_probe_uses_the_ini_sizes(shapelint, backbone):
    result = shapelint.probe(backbone)
    assert [r.size for r in result.report.backbone.records] == [(32, 32), (64, 64)]
    assert result.verdict["pooling"] == "required"
    assert [f.code for f in result.findings] == ["SL101"]
    result.assert_clean()  # SL101 is info, below the default fail_on


@pytest.mark.shapelint(sizes=[48, (40, 56)])
def test_marker_sizes_win_over_ini(shapelint, backbone):
    assert [r.size for r in shapelint.probe(backbone).report.backbone.records] == [(48, 48), (40, 56)]


def test_call_sizes_win_over_everything(shapelint, backbone):
    assert [r.size for r in shapelint.probe(backbone, sizes="96").report.backbone.records] == [(96, 96)]


@pytest.mark.shapelint(fail_on="info")
def test_probe_fails_at_info(shapelint, backbone):
    shapelint.probe(backbone).assert_clean()


def test_unloadable_source_fails(shapelint):
    shapelint.probe("keras:NoSuchNet").assert_clean()


def test_findings_compare_readably(shapelint, backbone):
    assert shapelint.probe(backbone).findings == ()
'''

CHECK_TESTS = '''
import pytest

from shapelint.testing import assert_valid_head


def test_good_head_passes(shapelint, good_head):
    shapelint.check(good_head, num_classes=5).assert_clean()


def test_bad_head_fails(shapelint, bad_head):
    shapelint.check(bad_head, num_classes=5).assert_clean()


def test_assert_valid_head_good(good_head):
    assert_valid_head(good_head, num_classes=5, sizes=[32])


def test_assert_valid_head_bad(bad_head):
    assert_valid_head(bad_head, sizes=[32])


@pytest.mark.shapelint(ignore=["SL201"])
def test_ignore_from_marker(shapelint, bad_head):
    assert "SL201" not in [f.code for f in shapelint.check(bad_head).findings]
'''


@pytest.fixture
def suite(pytester):
    pytester.makeini("[pytest]\nshapelint_sizes = 32,64\n")
    pytester.makeconftest(MODELS)
    pytester.makepyfile(test_probe=PROBE_TESTS, test_check=CHECK_TESTS)
    return pytester


def test_loading_the_plugin_imports_no_tensorflow(pytester):
    pytester.makepyfile(textwrap.dedent('''
        import sys

        def test_plugin_loaded_light(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("shapelint")
            assert "shapelint.pytest_plugin" in sys.modules
            heavy = [name for name in ("tensorflow", "keras", "tf_keras") if name in sys.modules]
            assert heavy == []
    '''))
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=1)


def test_marker_is_registered(pytester):
    result = pytester.runpytest_subprocess("--markers", "-p", "no:xdist")
    result.stdout.fnmatch_lines(["@pytest.mark.shapelint(sizes=None, num_classes=None, *"])


def test_bad_marker_is_a_usage_error(pytester):
    pytester.makepyfile('''
        import pytest

        @pytest.mark.shapelint(224)
        def test_x(shapelint):
            pass
    ''')
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.shapelint takes keyword arguments sizes, num_classes*"])


def test_fixture_on_real_models_under_xdist(suite):
    """One run over two workers: passing and failing tests, readable failures, no plugin frames."""
    result = suite.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=6, failed=5)
    out = result.stdout.str()
    # workers finish in any order: match each failure's lines as a group
    for group in (
        ["*shapelint: 1 finding at or above info in tiny_backbone*",
         "*tiny_backbone: info SL101 pooling-required: tiny_backbone returns a channels_last output (N, 8, 8, 8) at 32*",
         "*fix: Add GlobalAveragePooling2D() before the classifier*"],
        ["*shapelint findings differ*", "*left:*", "*info    SL101 pooling-required: tiny_backbone returns*",
         "*right:*", "*(none)*"],
        ["*shapelint could not load keras:NoSuchNet: unknown keras.applications name 'NoSuchNet'*"],
    ):
        result.stdout.fnmatch_lines(group)
    for name in ("test_bad_head_fails", "test_assert_valid_head_bad"):
        # the headline counts what fails, and what fails comes right under it, before the head table
        result.stdout.fnmatch_lines([f"*_ {name} _*", "E * shapelint: 1 finding at or above warning in bad_head",
                                     "E * conftest.py:*: error SL201 dense-on-feature-map*",
                                     "E * fix: Add GlobalAveragePooling2D()*", "E *", "E * bad_head: 1 error, 1 info",
                                     "E * line * call * layer * output at 32 * at * what it does * findings"])
    # the fixture built the model in conftest.py: the plugin recorded that line while the test was set up
    assert re.search(r"conftest.py:2[23]: error SL201 dense-on-feature-map", out)
    assert "shapelint/testing.py" not in out and "pytest_plugin.py" not in out
    assert "Traceback" not in out
