"""The result cache: keys follow everything that decides a result; a warm run never starts TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pytest

from shapelint.engine import cache, runner
from shapelint.engine.cache import Cache, cache_key, factory_file, versions
from shapelint.engine.run import Options
from shapelint.sources import parse_source

TASK = "shapelint.engine.run:probe_source"
FACTORY = """
from pathlib import Path

def build():
    with open(Path(__file__).with_suffix(".calls"), "a") as calls:
        calls.write("called\\n")
    import keras
    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, keras.layers.Conv2D(4, 3, strides=2)(inputs))
"""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("SHAPELINT_CACHE_DIR", str(directory))
    return directory


def key(text: str, **options) -> str:
    return cache_key(TASK, parse_source(text), Options(**options))


def test_key_follows_file_content_and_options(tmp_path):
    model = tmp_path / "model.keras"
    model.write_bytes(b"first")
    first = key(str(model))
    assert key(str(model)) == first
    assert key(str(model), sizes=((64, 64),)) != first
    assert key(str(model), batch=2) != first
    assert key(str(model), select=("SL1",)) != first
    assert cache_key("shapelint.engine.check:check_source", parse_source(str(model)), Options()) != first
    model.write_bytes(b"second")
    assert key(str(model)) != first


def test_key_follows_versions(monkeypatch):
    before = key("keras:MobileNetV2")
    monkeypatch.setattr(cache, "versions", lambda: {**versions(), "tensorflow": "0.0.0"})
    assert key("keras:MobileNetV2") != before


def test_versions_come_from_metadata_not_imports():
    assert versions()["tensorflow"] == metadata.version("tensorflow")
    assert versions()["keras"] == metadata.version("keras")


def test_keras_names_are_keyed_by_name_and_options():
    assert key("keras:MobileNetV2") != key("keras:MobileNetV2?alpha=0.35") != key("keras:MobileNetV3Small")


def test_savedmodel_directory_hashes_every_file(tmp_path):
    model = tmp_path / "saved"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    (model / "variables" / "variables.index").write_bytes(b"a")
    first = key(str(model))
    (model / "variables" / "variables.index").write_bytes(b"b")
    second = key(str(model))
    (model / "variables" / "variables.data-00000-of-00001").write_bytes(b"")
    assert len({first, second, key(str(model))}) == 3


def test_factory_module_is_found_without_importing_it(tmp_path, monkeypatch):
    package = tmp_path / "zoo_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('importing runs code')\n")
    (package / "nets.py").write_text("def build(): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert factory_file("zoo_pkg.nets") == package / "nets.py"
    assert "zoo_pkg" not in sys.modules
    first = key("zoo_pkg.nets:build")
    (package / "nets.py").write_text("def build(): return None\n")
    assert key("zoo_pkg.nets:build") != first
    assert factory_file("no_such_module_here") is None
    assert key("no_such_module_here:build") is None  # unknown code is never cached


def test_unreadable_entries_are_misses(tmp_path):
    store = Cache(tmp_path)
    store.put("ab" * 32, {"source": "x"})
    assert store.get("ab" * 32) == {"source": "x"}
    (tmp_path / "ab" / f"{'ab' * 32}.json").write_text("{truncated")
    assert store.get("ab" * 32) is None


def test_cache_dir_honours_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("SHAPELINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "shapelint"


def probe(sources, *flags) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shapelint", "probe", *sources, "--sizes", "32,48",
                           "--format", "json", *flags], capture_output=True, text=True, timeout=300)


WARM_RUN = """
import json, sys
from shapelint.engine.run import Options, probe_all
report = probe_all(sys.argv[1:], Options(sizes=((32, 32), (48, 48))))
print(json.dumps({"report": report.to_json(), "tensorflow": "tensorflow" in sys.modules}))
"""


def test_warm_run_reuses_results_without_tensorflow(tmp_path, cache_dir, factory_file):
    sources = [factory_file(FACTORY, filename="net.py"), "keras:NoSuchNet"]
    calls = tmp_path / "net.calls"

    cold = probe(sources)
    assert cold.returncode == 2 and calls.read_text().count("called") == 1
    assert len(list(cache_dir.rglob("*.json"))) == 1  # the load error is not cached

    warm = subprocess.run([sys.executable, "-c", WARM_RUN, sources[0]], capture_output=True, text=True,
                          timeout=120, check=True)
    answer = json.loads(warm.stdout)
    assert answer["tensorflow"] is False
    warm_results = [{k: v for k, v in r.items() if k != "model"} for r in answer["report"]["results"]]
    printed = json.loads(cold.stdout)["results"][:1]  # --format json leaves the layer graph out, adds where findings point
    for finding in printed[0]["findings"]:
        del finding["file"], finding["line"]
    assert warm_results == printed
    assert calls.read_text().count("called") == 1

    bypass = probe(sources[:1], "--no-cache")
    assert bypass.returncode == 0 and calls.read_text().count("called") == 2


def test_reports_round_trip_through_json_with_every_field():
    """Workers and the cache hand reports over as JSON: nothing may be lost on the way."""
    from dataclasses import fields

    from shapelint.records.backbone import BackboneRecord, InputSpec, Layout, ProbeRecord
    from shapelint.records.facts import ClassifierRecord, SizeRule, TokenRecord
    from shapelint.records.layers import LayerRecord, ModelRecord
    from shapelint.report import Finding, SourceReport

    records = (ProbeRecord((224, 224), (1, 224, 224, 3), {"output": (1, 7, 7, 8)}, None, True),
               ProbeRecord((16, 16), (1, 16, 16, 3), {}, "ValueError: too small", False))

    backbone = BackboneRecord("m.keras", InputSpec("float16", Layout.NCHW, 1, 64, 48), records, "tf_keras",
                              (("__call__", ("ReadFile", "PyFunc")),), "tf_keras", Layout.NCHW,
                              TokenRecord(("class", "register"), (16, 16), 14, "class_token", "global_pool='token'"),
                              ClassifierRecord(1000, 512, "fc", "torchvision"), SizeRule(multiple_of=14, evidence="patch 14"))
    for field in fields(BackboneRecord):  # a new field must be filled here, and serialised, to pass
        assert getattr(backbone, field.name) != field.default, field.name
    report = SourceReport("m.keras", backbone, {"pooling": "required", "notes": ["n"]},
                          (Finding("pooling-required", "SL101", "info", "message", "fix", "conv"),), "m.keras: partly",
                          "m.keras",
                          ModelRecord("m.keras", (LayerRecord("conv", "Conv2D", ((None, 7, 7, 8),), ((None, 7, 7, 4),),
                                                              origin=("models/m.py", 12)),), ("conv",), backbone=backbone),
                          3)
    for field in fields(SourceReport):
        assert getattr(report, field.name) != field.default, field.name
    assert SourceReport.from_json(json.loads(json.dumps(report.to_json()))) == report
    failed = SourceReport("x", error="x: no such file")
    assert SourceReport.from_json(failed.to_json()) == failed


def test_key_follows_shapelint_code(monkeypatch):
    """A developer's editable install changes without a version bump: its results must not be reused."""
    before = key("keras:MobileNetV2")
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "edited")
    assert key("keras:MobileNetV2") != before


def test_the_code_fingerprint_covers_every_part_of_shapelint():
    """A rule or an allowlist that changes must change the key, not only the engine's own files."""
    from pathlib import Path

    import shapelint.adapters.tensorflow as tensorflow_adapter
    import shapelint.rules.head as head_rules

    files = cache.code_files()
    assert Path(head_rules.__file__).resolve() in files
    assert Path(tensorflow_adapter.__file__).resolve().with_name("allowed_ops.json") in files


STALE_PROJECT = {  # its own package name: other tests import a `models` package of theirs in this process
    "zoo/__init__.py": "",
    "zoo/classifier.py": """
import keras
from zoo.heads import head


def build():
    inputs = keras.Input((None, None, 3))
    features = keras.layers.Conv2D(4, 3, strides=8, padding="same")(inputs)
    return keras.Model(inputs, head(features))
""",
    "zoo/heads.py": """
import keras


def head(x):
    return keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(x))
""",
}
BROKEN_HEAD = """
import keras


def head(x):
    return keras.layers.Dense(2)(x)
"""


def test_a_factory_is_keyed_on_every_project_file_it_imported(tmp_path, monkeypatch, cache_dir):
    """The issue's project: break the head in a module the factory imports, fix it again; no run may be stale."""
    from click.testing import CliRunner

    from shapelint.cli import main

    for name, text in STALE_PROJECT.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)

    def check(*extra):
        for name in [m for m in sys.modules if m == "zoo" or m.startswith("zoo.")]:
            monkeypatch.delitem(sys.modules, name)  # each command is a new process in real use
        result = CliRunner().invoke(main, ["check", "zoo.classifier:build", "--sizes", "32", "-j", "0", *extra])
        return result.exit_code

    monkeypatch.setattr(sys, "path", list(sys.path))  # the factory puts the project first; undone after
    assert check() == 0
    (tmp_path / "zoo/heads.py").write_text(BROKEN_HEAD)
    assert check() == 1  # the cached 0 is not reused: heads.py changed
    assert check() == 1
    (tmp_path / "zoo/heads.py").write_text(STALE_PROJECT["zoo/heads.py"])
    assert check() == 0
    entries = list(cache_dir.rglob("*.json"))
    dependencies = json.loads(entries[0].read_text())["dependencies"]
    assert sorted(Path(p).name for p in dependencies) == ["__init__.py", "classifier.py", "heads.py"]


def test_no_cache_overwrites_the_entry(tmp_path, monkeypatch, cache_dir):
    factory = tmp_path / "net.py"
    factory.write_text(FACTORY)
    calls = tmp_path / "net.calls"
    schedule = runner.Schedule(jobs=0)
    options = Options(sizes=((32, 32),))
    source = f"{factory}:build"
    runner.run_sources(TASK, [source], options, schedule)
    entry = next(cache_dir.rglob("*.json"))
    entry.write_text(json.dumps({"source": source, "error": None, "verdict": {"pooling": "stale"}}))
    assert runner.run_sources(TASK, [source], options, schedule).results[0].verdict["pooling"] == "stale"
    fresh = runner.run_sources(TASK, [source], options, runner.Schedule(jobs=0, refresh=True))
    assert fresh.results[0].verdict["pooling"] == "required" and calls.read_text().count("called") == 2
    assert runner.run_sources(TASK, [source], options, schedule).results[0].verdict["pooling"] == "required"


def test_cache_info_and_clear(tmp_path, cache_dir):
    from click.testing import CliRunner

    from shapelint.cli import main

    Cache().put("ab" + "0" * 62, {"source": "x"})
    (cache_dir / "unrelated.txt").write_text("kept")
    info = CliRunner().invoke(main, ["cache", "info"])
    assert info.exit_code == 0 and f"directory: {cache_dir}" in info.output and "results: 1 " in info.output
    cleared = CliRunner().invoke(main, ["cache", "clear"])
    assert cleared.exit_code == 0 and "removed 1 cached result " in cleared.output
    assert Cache().entries() == [] and (cache_dir / "unrelated.txt").read_text() == "kept"


def test_project_imports_skip_modules_that_name_no_real_file(tmp_path, monkeypatch):
    """torch._ops says its __file__ is '_ops.py': such a module must not make every factory uncacheable."""
    import types

    monkeypatch.chdir(tmp_path)
    (tmp_path / "real.py").write_text("")
    for name, file in (("fake_relative", "_ops.py"), ("fake_real", str(tmp_path / "real.py"))):
        module = types.ModuleType(name)
        module.__file__ = file
        monkeypatch.setitem(sys.modules, name, module)
    found = cache.project_imports()
    assert found == [str((tmp_path / "real.py").resolve())]
    assert cache.digests(found) is not None


@pytest.fixture(scope="session")
def cached_by_a_session_fixture(tmp_path_factory):
    """A session fixture that runs the CLI (with its cache) before any test's own fixtures exist."""
    from click.testing import CliRunner

    from shapelint.cli import main

    CliRunner().invoke(main, ["probe", "keras:MobileNetV2?alpha=0.35", "--sizes", "64", "-j", "0"])
    return cache.cache_dir()


def test_the_suite_never_writes_into_the_users_cache(cached_by_a_session_fixture):
    """Session fixtures run before the per-test cache fixture: the suite's own folder must already be set."""
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shapelint"
    assert cached_by_a_session_fixture.resolve() != user.resolve()
    assert Path(tempfile.gettempdir()).resolve() in cached_by_a_session_fixture.resolve().parents
