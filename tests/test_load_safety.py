"""Hostile PyTorch, Hugging Face, KerasHub and ONNX sources (tests/hostile_loads.py): every payload fires when
loaded the ordinary way, and none fires through `shapelint probe` with default flags, which refuses it in one
line (exit 2) or, where the source is an architecture that needs nothing from the host, builds it untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_loads  # noqa: E402

pytest.importorskip("torch")
SHAPELINT = [sys.executable, "-m", "shapelint"]


@pytest.fixture(scope="session")
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("loads")
    host, fired = root / "host", root / "fired"
    host.mkdir()
    fired.mkdir()
    return root, host, fired


@pytest.fixture(scope="session")
def torch_corpus(places):
    root, host, fired = places
    return hostile_loads.torch_cases(root / "torch", host, fired)


def probe(cases, *flags, env=None):
    """One `shapelint probe` run over the cases' sources (a worker, no cache): exit code and results by source."""
    for case in cases:
        case.arm()
    run = subprocess.run(SHAPELINT + ["probe", "--format", "json", "--no-cache", "--jobs", "1", "--sizes", "32",
                                      *flags, *(case.text for case in cases)],
                         capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=900)
    results = {item["source"]: item for item in json.loads(run.stdout)["results"]} if run.stdout else {}
    return run, results


def assert_contained(cases):
    """Fired without shapelint; through it, nothing fired and each hostile source is refused in one line."""
    assert hostile_loads.fired(cases) == {case.name: True for case in cases}
    env = {}
    for case in cases:
        env.update(case.env)
    run, results = probe(cases, env=env)
    assert run.returncode == 2, run.stderr
    problems = {}
    for case in cases:
        error = results[case.text]["error"] or ""
        if case.went_off():
            problems[case.name] = "fired"
        elif case.refusal and (case.refusal not in error or "refused to load" not in error or "\n" in error):
            problems[case.name] = error or "loaded"
        elif not case.refusal and error:
            problems[case.name] = error
    assert problems == {}


def test_torch_files(torch_corpus):
    """TorchScript is code (refused without --trust, routed by its bytes whatever its name); a .pt2 archive
    whose pickles torch.export.load would unpickle without weights_only is refused before torch opens it."""
    assert_contained([case for case in torch_corpus if case.family in ("torchscript", "pt2 pickle")])


def test_trust_loads_torchscript(torch_corpus):
    """The payload is real: with --trust the scripted forward writes its file."""
    case = next(case for case in torch_corpus if case.name == "torchscript-from-file-in-forward")
    run, results = probe([case], "--trust")
    try:
        assert results[case.text]["error"] is None and case.went_off()
    finally:
        case.arm()


def test_a_clean_pt2_still_loads(torch_corpus):
    clean = torch_corpus[0].path.parent / "clean.pt2"
    run, results = probe([hostile_loads.Case("clean", "pt2", clean, "")])
    assert run.returncode in (0, 1) and results[str(clean)]["error"] is None, run.stderr
