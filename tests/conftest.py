"""Shared test set-up: quiet TensorFlow, the bundled fixtures, and a factory-file helper."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# as shapelint's own TensorFlow import sets it: a test that imports keras first must not get a TensorFlow
# whose oneDNN kernels run NCHW convolutions that shapelint's workers cannot (the host-limit notes differ)
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# The suite's own result cache, set before anything runs: session fixtures (built before any per-test
# fixture), pytester's subprocesses and the CLI's workers all inherit it, so nothing reaches the user's
# ~/.cache/shapelint. Each test still gets an empty folder of its own (_own_result_cache below).
_SUITE_CACHE = tempfile.mkdtemp(prefix="shapelint-test-cache-")
os.environ["SHAPELINT_CACHE_DIR"] = _SUITE_CACHE


def pytest_sessionfinish(session):
    shutil.rmtree(_SUITE_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _own_result_cache(tmp_path_factory, monkeypatch):
    """Each test starts from an empty result cache of its own: never the user's ~/.cache/shapelint, and
    never an answer another test cached (a cache hit would skip the very code a test means to run)."""
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(tmp_path_factory.mktemp("result-cache")))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def factory_file(tmp_path):
    """Write Python source to a file and return 'path.py:name' for it (a module:factory source)."""

    def write(source: str, name: str = "build", filename: str = "factory.py") -> str:
        path = tmp_path / filename
        path.write_text(textwrap.dedent(source))
        return f"{path}:{name}"

    return write
