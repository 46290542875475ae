"""pytest plugin (entry point pytest11 = shapelint): the `shapelint` fixture and the `shapelint` marker.

Loading the plugin imports only pytest: TensorFlow is imported when a test first probes or checks a
model, so suites that never use the fixture pay nothing (hypothesis's plugin does the same).

Settings, later ones winning: ini options (shapelint_sizes, shapelint_fail_on), then
@pytest.mark.shapelint(...) on the module, class and test, then the arguments of each call.
"""

from __future__ import annotations

import contextlib
import os
import sys

import pytest

MARKER_KEYS = ("sizes", "num_classes", "fail_on", "select", "ignore")


def pytest_addoption(parser):
    parser.addini("shapelint_sizes", "Input sizes the shapelint fixture probes, e.g. 224,160 (default: shapelint's)",
                  default="")
    parser.addini("shapelint_fail_on", "Severity at or above which assert_clean() fails: error, warning or info",
                  default="warning")


def pytest_configure(config):
    # TensorFlow's C++ start-up lines (CUDA probes, oneDNN notices) are noise in a test run; an explicit
    # setting wins. Setting a variable imports nothing.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    config.addinivalue_line(
        "markers",
        "shapelint(sizes=None, num_classes=None, fail_on=None, select=None, ignore=None): "
        "settings for the shapelint fixture in this test, laid over the shapelint_* ini options",
    )


def settings(config, markers) -> dict:
    """ini options, then marker kwargs from the farthest marker (module) to the closest (test)."""
    chosen = {"sizes": config.getini("shapelint_sizes") or None, "fail_on": config.getini("shapelint_fail_on")}
    for marker in reversed(list(markers)):
        unknown = set(marker.kwargs) - set(MARKER_KEYS)
        if marker.args or unknown:
            raise pytest.UsageError(f"@pytest.mark.shapelint takes keyword arguments {', '.join(MARKER_KEYS)}; "
                                    f"got {', '.join(map(repr, marker.args)) or ', '.join(sorted(unknown))}")
        chosen.update(marker.kwargs)
    return chosen


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with _recording_layers():
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with _recording_layers():
        yield


def _recording_layers():
    """Record where the test's layers and torch modules are created (findings then point at those lines), for
    the frameworks already imported; the plugin never imports one itself, and the patch is undone after each
    phase."""
    stack = contextlib.ExitStack()
    if "keras" in sys.modules or "tf_keras" in sys.modules:
        from .adapters.tensorflow.origins import recording_loaded_layers

        stack.enter_context(recording_loaded_layers())
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(getattr(getattr(torch, "nn", None), "Module", None), type):
        from .adapters.origins import recording

        stack.enter_context(recording([torch.nn.Module]))
    return stack


@pytest.fixture
def shapelint(request):
    """Probe or check Keras models in a test: `shapelint.check(model, num_classes=5).assert_clean()`."""
    from .report import SEVERITIES
    from .testing import ShapeLint, as_sizes, patterns

    chosen = settings(request.config, request.node.iter_markers("shapelint"))
    if chosen["fail_on"] not in SEVERITIES:
        raise pytest.UsageError(f"shapelint fail_on must be error, warning or info, got {chosen['fail_on']!r}")
    return ShapeLint(
        sizes=as_sizes(chosen["sizes"]),
        num_classes=chosen.get("num_classes"),
        fail_on=chosen["fail_on"],
        select=patterns(chosen.get("select")),
        ignore=patterns(chosen.get("ignore")),
    )


def pytest_assertrepr_compare(op, left, right):
    """`assert result.findings == ()` explains itself: the findings as the CLI prints them."""
    if op != "==" or not all(isinstance(side, (tuple, list)) for side in (left, right)):
        return None
    from .formatters.table import finding_lines
    from .report import Finding

    items = (*left, *right)
    if not items or not all(isinstance(item, Finding) for item in items):
        return None
    return ["shapelint findings differ", "left:", *(finding_lines(left) or ["(none)"]),
            "right:", *(finding_lines(right) or ["(none)"])]
