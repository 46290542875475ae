"""Bad input: every source or size a user can get wrong ends in one line on stderr and exit 2, with no
traceback and no TensorFlow log noise, and a bad source never stops the good ones next to it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from shapelint.engine.run import Options, probe_source

SHAPELINT = [sys.executable, "-m", "shapelint"]
SIZES = ((32, 32),)
# Our own quieting must hold: no TF_CPP_MIN_LOG_LEVEL from the test environment.
ENV = {key: value for key, value in os.environ.items() if not key.startswith(("TF_CPP", "TFHUB"))}


@pytest.fixture(scope="session")
def bad(tmp_path_factory, fixtures_dir):
    """Source text -> a fragment its one-line error must contain."""
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    d = tmp_path_factory.mktemp("bad")
    (d / "not_a_savedmodel").mkdir()
    (d / "empty.keras").write_bytes(b"")
    (d / "empty.h5").write_bytes(b"")
    (d / "corrupt.keras").write_bytes(os.urandom(2048))
    (d / "corrupt.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(2048))
    with zipfile.ZipFile(d / "no_config.keras", "w") as archive:
        archive.writestr("metadata.json", "{}")
    (d / "bad_pb").mkdir()
    (d / "bad_pb" / "saved_model.pb").write_bytes(os.urandom(512))
    shutil.copytree(fixtures_dir / "hub_pooled_mean", d / "no_variables", ignore=shutil.ignore_patterns("variables"))

    tokens = keras.Input((None,), dtype="int32")
    text_model = keras.Model(tokens, keras.layers.Embedding(10, 4)(tokens))
    text_model.save(d / "text.keras")
    tiny = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
    tiny.save_weights(d / "weights_only.weights.h5")

    class TextModule(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            return tf.strings.length(text)

    tf.saved_model.save(TextModule(), str(d / "text_savedmodel"))
    (d / "factories.py").write_text(
        "import keras\n"
        "def two_inputs():\n"
        "    a, b = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))\n"
        "    return keras.Model([a, b], keras.layers.Add()([a, b]))\n"
        "def raises():\n"
        "    raise RuntimeError('boom')\n"
    )
    return {
        f"{d}/missing.keras": "no such file",
        f"{d}/missing_dir": "no such file or directory",
        f"{d}/empty.keras": "empty file",
        f"{d}/empty.h5": "empty file",
        f"{d}/corrupt.keras": "neither a Keras archive",
        f"{d}/corrupt.h5": "cannot load",
        f"{d}/no_config.keras": "not a Keras archive",
        f"{d}/weights_only.weights.h5": "no model_config",
        f"{d}/not_a_savedmodel": "not a SavedModel",
        f"{d}/bad_pb": "cannot parse saved_model.pb",
        f"{d}/no_variables": "cannot load SavedModel",
        "keras:MobileNetV9": "unknown keras.applications name 'MobileNetV9'; did you mean MobileNetV2",
        "no_such_module_for_shapelint:build": "cannot import no_such_module_for_shapelint",
        f"{d}/factories.py:missing": "has no attribute 'missing'",
        f"{d}/factories.py:raises": "RuntimeError: boom",
        "https://tfhub.dev/google/no/such/module/1": "not in the TF Hub cache",
        f"{d}/text.keras": "expected one image input (N, H, W, C), found (None, None)",
        f"{d}/factories.py:two_inputs": "expected one image input (N, H, W, C), found (None, 8, 8, 3), (None, 8, 8, 3)",
        f"{d}/text_savedmodel": "no endpoint takes one image tensor",
    }


def test_each_bad_source_is_one_line(bad, tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))  # an empty cache: the handle is not there
    for text, fragment in bad.items():
        result = probe_source(text, Options(sizes=SIZES))
        assert result.backbone is None and result.error, text
        assert "\n" not in result.error and "Traceback" not in result.error
        assert result.error.startswith(f"{text}: ") and fragment in result.error, result.error


def test_cli_reports_every_bad_source_and_still_probes_the_good_one(bad, fixtures_dir, tmp_path):
    good = str(fixtures_dir / "hub_pooled_mean")
    sources = list(bad)[:8] + [good] + list(bad)[8:]
    given = Path(next(text for text in bad if text.endswith("empty.keras"))).parent
    before = tree_digest(given)
    run = subprocess.run(SHAPELINT + ["probe", "--format", "json", "--no-cache", "--jobs", "2", "--sizes", "32",
                                      *sources], capture_output=True, text=True,
                         env={**ENV, "TFHUB_CACHE_DIR": str(tmp_path)})
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == len(bad), run.stderr  # one line each, nothing else (no TensorFlow start-up chatter)
    for text, fragment in bad.items():
        mine = [line for line in lines if line.startswith(f"shapelint: {text}: ")]
        assert len(mine) == 1 and fragment in mine[0], (text, run.stderr)
    results = {r["source"]: r for r in json.loads(run.stdout)["results"]}
    assert list(results) == sources
    assert results[good]["error"] is None and results[good]["verdict"]["pooling"] == "applied"
    assert all(results[text]["error"] for text in bad)
    assert tree_digest(given) == before  # nothing the user gave was modified


def tree_digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("sizes, message", [
    ("0", "bad size '0': height and width must be positive"),
    ("-5", "bad size '-5': height and width must be positive"),
    ("0x224", "height and width must be positive"),
    ("abc", "bad size 'abc': expected N or HxW"),
    ("224x", "bad size '224x': expected N or HxW"),
    ("224,,160", "bad size '': expected N or HxW"),
    ("5000", "size '5000' is larger than --max-size 4096"),
    ("9" * 400, "is larger than --max-size 4096"),
])
def test_bad_sizes_are_one_line(sizes, message):
    run = subprocess.run(SHAPELINT + ["probe", "keras:MobileNetV2", "--sizes", sizes], capture_output=True,
                         text=True, env=ENV)
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --sizes: ") and message in lines[0], run.stderr


def test_max_size_is_one_line():
    run = subprocess.run(SHAPELINT + ["probe", "keras:MobileNetV2", "--sizes", "300", "--max-size", "256"],
                         capture_output=True, text=True, env=ENV)
    assert run.returncode == 2
    assert run.stderr.splitlines() == ["Error: --sizes: size '300' is larger than --max-size 256"]
    run = subprocess.run(SHAPELINT + ["probe", "keras:MobileNetV2", "--max-size", "0"], capture_output=True,
                         text=True, env=ENV)
    assert run.returncode == 2 and run.stderr.splitlines() == ["Error: --max-size must be at least 1, got 0"]
