"""`shapelint check`, `rules` and `explain` as a user runs them: JSON findings, exit codes, one-line errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapelint.cli import main

ROOT = Path(__file__).resolve().parent.parent
FAST = ("--sizes", "64,32", "--jobs", "0", "--no-cache")  # in this process: TensorFlow is already imported

MODELS = '''
import keras, tf_keras, tensorflow_hub as hub
L = keras.layers

def backbone():
    inputs = keras.Input((None, None, 3))
    x = L.Conv2D(16, 3, strides=32, padding="same")(inputs)  # (N, 2, 2, 16) at 64
    return keras.Model(inputs, x, name="backbone")

def good():
    return keras.Sequential([backbone(), L.GlobalAveragePooling2D(), L.Dense(5, name="logits")])

def dense_on_map():
    return keras.Sequential([backbone(), L.Dense(1, activation="softmax", name="head")])

def flatten():
    return keras.Sequential([keras.Input((64, 64, 3)), backbone(), L.Flatten(name="flatten"), L.Dense(5)])

def double_pooling():
    inputs = keras.Input((None, None, 3))
    features = L.GlobalAveragePooling2D()(backbone()(inputs))
    return keras.Model(inputs, L.Dense(5)(L.GlobalMaxPooling2D(name="pool_again")(features)))

def broken():
    raise RuntimeError("no GPU found")

def hub_head():
    return tf_keras.Sequential([hub.KerasLayer(HUB), tf_keras.layers.Dense(5, name="logits")])
'''


@pytest.fixture(scope="session")
def models(tmp_path_factory, fixtures_dir) -> str:
    path = tmp_path_factory.mktemp("check") / "models.py"
    path.write_text(MODELS + f"\nHUB = {str(fixtures_dir / 'hub_feature_map')!r}\n")
    return str(path)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def check(models, *names, args=()):
    return invoke("check", *(f"{models}:{n}" for n in names), *args, *FAST)


def findings(result) -> list[tuple[str, str | None]]:
    return [(f["code"], f["layer"]) for r in json.loads(result.stdout)["results"] for f in r["findings"]]


def test_json_document_lists_findings(models):
    result = check(models, "dense_on_map", args=("--format", "json"))
    assert result.exit_code == 1
    (item,) = json.loads(result.stdout)["results"]
    assert item["error"] is None
    assert [r["size"] for r in item["records"]] == [[64, 64], [32, 32]]  # the backbone inside, probed
    assert item["verdict"]["pooling"] == "required"
    codes = [f["code"] for f in item["findings"]]
    assert codes == ["SL101", "SL201", "SL204"]
    dense = item["findings"][1]
    assert set(dense) == {"rule", "code", "severity", "message", "fix", "layer", "file", "line"}
    assert dense == {
        "rule": "dense-on-feature-map", "code": "SL201", "severity": "error", "layer": "head",
        "file": models, "line": 14,
        "message": "Dense(1, activation='softmax') 'head' receives a (None, 2, 2, 16) feature map and returns (None, 2, 2, 1)",
        "fix": "Add GlobalAveragePooling2D() before Dense(1, activation='softmax') 'head'",
    }


def test_a_correct_model_exits_0_and_info_fails_only_when_asked(models):
    clean = check(models, "good")
    assert clean.exit_code == 0, clean.output
    # quiet when correct: SL101 is not repeated when the head pools; the head table shows the pooling instead
    assert "all checks passed" in clean.stdout.splitlines()[0] and "SL101" not in clean.stdout
    assert "averages the 2×2 map" in clean.stdout
    assert check(models, "dense_on_map", args=("--fail-on", "info", "--select", "SL101")).exit_code == 1


def test_fail_on_sets_the_threshold(models):
    warned = check(models, "flatten")
    assert warned.exit_code == 1
    assert ": warning SL202 flatten-fixes-input-size: Flatten 'flatten'" in warned.stdout
    assert "into 64 features at 64 but 16 at 32" in warned.stdout
    assert check(models, "flatten", args=("--fail-on", "error")).exit_code == 0


@pytest.mark.parametrize("args, expected", [
    (("--select", "SL204"), [("SL204", "head")]),
    (("--select", "SL2", "--ignore", "dense-on-feature-map"), [("SL204", "head")]),
    (("--ignore", "SL1,SL204"), [("SL201", "head")]),
    (("--select", "SL20", "--ignore", "SL2"), [("SL201", "head"), ("SL204", "head")]),  # the longer match wins
])
def test_select_and_ignore(models, args, expected):
    assert findings(check(models, "dense_on_map", args=(*args, "--format", "json"))) == expected


def test_num_classes(models):
    result = check(models, "good", args=("--num-classes", "3", "--format", "json", "--select", "SL2"))
    assert result.exit_code == 1
    assert findings(result) == [("SL206", "logits")]
    assert check(models, "good", args=("--num-classes", "5", "--select", "SL2")).exit_code == 0


def test_a_model_keras_cannot_build_is_double_pooling_not_a_crash(models):
    result = check(models, "double_pooling", args=("--format", "json"))
    assert result.exit_code == 1
    assert findings(result) == [("SL203", "pool_again")]
    assert "Traceback" not in result.output


def test_unloadable_sources_exit_2_with_one_line_each(models, tmp_path):
    result = invoke("check", tmp_path / "missing.keras", f"{models}:broken", f"{models}:good", *FAST, "--format", "json")
    assert result.exit_code == 2
    missing, broken, good = json.loads(result.stdout)["results"]
    assert missing["error"].endswith("no such file")
    assert broken["error"].endswith("factory failed: RuntimeError: no GPU found")
    assert good["error"] is None and good["records"]
    assert result.stderr.strip().splitlines() == [f"shapelint: {missing['error']}", f"shapelint: {broken['error']}"]


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_rule_is_a_usage_error(models, option):
    result = check(models, "good", args=(option, "SL9,dense-on-map"))
    assert result.exit_code == 2
    assert "no rule matches 'SL9', 'dense-on-map'" in result.stderr


def test_tf_keras_model_with_a_hub_layer(models):
    result = check(models, "hub_head", args=("--format", "json"))
    assert result.exit_code == 1
    (item,) = json.loads(result.stdout)["results"]
    assert [(f["code"], f["layer"]) for f in item["findings"]] == [("SL101", None), ("SL201", "logits")]
    assert item["findings"][1]["message"].startswith("Dense(5) 'logits' receives a (None, 16, 16, 16) feature map")


def test_a_savedmodel_is_checked_as_an_opaque_backbone(fixtures_dir):
    result = invoke("check", fixtures_dir / "hub_pooled_mean", *FAST, "--format", "json")
    assert result.exit_code == 0
    assert findings(result) == [("SL102", None)]


def test_check_reports_carry_the_notes_probe_reports(fixtures_dir):
    """The adapter's notes (here: the endpoint a SavedModel is probed through) reach check's verdict too."""
    checked, probed = (invoke(command, fixtures_dir / "hub_pooled_mean", *FAST, "--format", "json")
                       for command in ("check", "probe"))
    notes = json.loads(checked.stdout)["results"][0]["verdict"]["notes"]
    assert notes == json.loads(probed.stdout)["results"][0]["verdict"]["notes"]
    assert any("endpoint" in note for note in notes)


def test_worker_processes_share_one_start_up_across_sources(models):
    """The default schedule: sources run in a worker process that imports TensorFlow once for all of them."""
    result = invoke("check", f"{models}:good", f"{models}:flatten", "--sizes", "64,32", "--jobs", "1", "--no-cache",
                    "--format", "json", "--select", "SL2")
    assert result.exit_code == 1, result.output
    assert findings(result) == [("SL202", "flatten")]


def test_rules_lists_the_registry_and_explain_prints_the_docs():
    listed = invoke("rules")
    assert listed.exit_code == 0
    for code in ("SL101", "SL201", "SL202", "SL203", "SL204", "SL205", "SL206"):
        assert code in listed.stdout
    by_code, by_name = invoke("explain", "sl202"), invoke("explain", "flatten-fixes-input-size")
    assert by_code.stdout == by_name.stdout
    assert by_code.stdout.startswith("SL202 flatten-fixes-input-size (warning)\n")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in by_code.stdout
    unknown = invoke("explain", "dense-on-featuremap")
    assert unknown.exit_code == 2 and "did you mean dense-on-feature-map" in unknown.stderr


def test_rules_and_explain_do_not_import_tensorflow():
    code = ("import sys; from click.testing import CliRunner; from shapelint.cli import main; "
            "r = CliRunner(); assert r.invoke(main, ['rules']).exit_code == 0; "
            "assert r.invoke(main, ['explain', 'SL201']).exit_code == 0; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_readme_rules_section_is_generated_from_the_rule_docs():
    spec = importlib.util.spec_from_file_location("rule_docs", ROOT / "scripts" / "rule_docs.py")
    rule_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rule_docs)
    assert rule_docs.main(["--check"]) == 0, "README is stale: run python scripts/rule_docs.py"


def test_saved_keras_files(fixtures_dir, tmp_path):
    """A saved model with a head is linted; a saved model with no classifier is probed as a backbone."""
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    import_tensorflow()
    import keras

    inputs = keras.Input((None, None, 3))
    features = keras.layers.Conv2D(8, 3, strides=8, padding="same")(inputs)
    keras.Model(inputs, keras.layers.Dense(3, name="probs")(features)).save(tmp_path / "head.keras")
    result = invoke("check", tmp_path / "head.keras", fixtures_dir / "tiny_map.keras", *FAST, "--format", "json")
    assert result.exit_code == 1
    head, backbone = json.loads(result.stdout)["results"]
    assert [(f["code"], f["layer"]) for f in head["findings"]] == [("SL201", "probs")]
    assert [f["code"] for f in backbone["findings"]] == ["SL101"] and backbone["records"]


def test_a_check_at_a_size_too_small_does_not_claim_the_backbone_resizes(factory_file):
    """31 and 32 both give MobileNetV2 a 1×1 map because of its stride, not because it resizes its input."""
    source = factory_file('''
        import keras

        def build():
            backbone = keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights=None,
                                                      input_shape=(None, None, 3))
            return keras.Sequential([backbone, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    ''')
    result = CliRunner().invoke(main, ["check", source, "--sizes", "1", "--jobs", "0", "--format", "json"])
    assert result.exit_code == 2
    (item,) = json.loads(result.stdout)["results"]
    assert item["verdict"]["min_size"] == [31, 31]
    assert "resizes or crops internally" not in item["verdict"]["text"]


UNBUILDABLE = '''
    import keras, tf_keras, tensorflow_hub as hub
    L = keras.layers


    def backbone():
        inputs = keras.Input((None, None, 3))
        return keras.Model(inputs, L.Conv2D(16, 3, strides=32, padding="same")(inputs), name="backbone")


    def double_pool():
        inputs = keras.Input((None, None, 3))
        features = L.GlobalAveragePooling2D()(backbone()(inputs))
        pooled = L.GlobalMaxPooling2D(name="pool_again")(features)
        return keras.Model(inputs, L.Dense(5)(pooled))


    def reshape():
        inputs = keras.Input((64, 64, 3))
        x = backbone()(inputs)
        x = L.Reshape((10, 10), name="bad_reshape")(x)
        return keras.Model(inputs, L.Dense(5)(x))


    def hub_double():
        return tf_keras.Sequential([
            hub.KerasLayer(HUB, input_shape=(64, 64, 3)),
            tf_keras.layers.GlobalAveragePooling2D(name="gap"),
            tf_keras.layers.Dense(5),
        ])


    def ops_mean():
        inputs = keras.Input((None, None, 3))
        x = backbone()(inputs)
        x = keras.ops.mean(x, axis=(1, 2))
        return keras.Model(inputs, L.Dense(5)(x))
'''


@pytest.mark.parametrize("factory, code, line", [("double_pool", "SL203", 14), ("reshape", "SL215", 21),
                                                 ("hub_double", "SL203", 28)])
def test_a_model_that_cannot_be_built_keeps_the_line_of_its_layer(factory_file, fixtures_dir, factory, code, line):
    source = factory_file(UNBUILDABLE + f"    HUB = {str(fixtures_dir / 'mobilenet_v2_035_feature_vector')!r}\n",
                          factory)
    path = source.rpartition(":")[0]
    result = invoke("check", source, *FAST)
    assert result.exit_code == 1, result.output
    assert f"{path}:{line}: error {code}" in result.stdout


def test_keras_ops_mean_pools_the_head(factory_file):
    result = invoke("check", factory_file(UNBUILDABLE, "ops_mean"), *FAST)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "mean" in line.split())
    assert "factory.py:36" in row and "averages the 2×2 map" in row
    assert "the head must pool it" not in result.stdout


@pytest.mark.parametrize("factory", ["sequential", "functional"])
def test_a_hub_layer_in_a_keras_3_model_says_to_use_tf_keras(factory_file, fixtures_dir, factory):
    source = factory_file(f'''
        import keras, tensorflow_hub as hub
        HUB = {str(fixtures_dir / "hub_feature_map")!r}

        def sequential():
            return keras.Sequential([hub.KerasLayer(HUB), keras.layers.Dense(5)])

        def functional():
            inputs = keras.Input((224, 224, 3))
            return keras.Model(inputs, keras.layers.Dense(5)(hub.KerasLayer(HUB)(inputs)))
    ''', factory)
    result = invoke("check", source, *FAST)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "hub.KerasLayer is a tf_keras layer" in line and "tf_keras.Sequential" in line


def test_github_annotations_stay_within_what_github_shows_and_say_what_was_left_out(models):
    """GitHub shows 10 annotations of each level per step: the most severe are kept, one notice counts the rest."""
    result = check(models, *["dense_on_map"] * 6, "good", args=("--format", "github", "--num-classes", "3"))
    lines = result.stdout.splitlines()
    levels = [line.split(" ", 1)[0] for line in lines]
    assert levels.count("::error") == 10 and levels.count("::notice") <= 10
    assert levels[:10] == ["::error"] * 10  # the most severe first
    assert "9 more findings were not annotated" in lines[-1] and lines[-1].startswith("::notice")
    assert "step summary" in lines[-1]
    sarif = json.loads(check(models, *["dense_on_map"] * 6, "good", args=("--format", "sarif", "--num-classes", "3"))
                       .stdout)
    run = sarif["runs"][0]  # SARIF stays complete (files outside the tree are notifications)
    assert len(run["results"]) + len(run["invocations"][0]["toolExecutionNotifications"]) == 6 * 3 + 6 + 1


def test_a_size_nobody_asked_for_says_why_it_is_there(factory_file):
    source = factory_file('''
        import keras

        def build():
            inputs = keras.Input((None, None, 3))
            x = keras.layers.Conv2D(4, 3, strides=8, padding="same")(inputs)
            backbone = keras.Model(inputs, x, name="backbone")
            return keras.Sequential([keras.Input((96, 96, 3)), backbone, keras.layers.Flatten(name="flat"),
                                     keras.layers.Dense(2)])
    ''')
    result = invoke("check", source, "--sizes", "96", "--jobs", "0")
    header = next(line for line in result.stdout.splitlines() if line.startswith("line "))
    assert "at 80 (second size, to test size dependence)" in header
    (sl202,) = [line for line in result.stdout.splitlines() if "SL202" in line and ": warning" in line]
    assert "400 at 80 (a second size shapelint probes: the features depend on the input size)" in sl202
    asked = invoke("check", source, "--sizes", "96,128", "--jobs", "0")
    assert "second size" not in asked.stdout
