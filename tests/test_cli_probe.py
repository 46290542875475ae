"""`shapelint probe` as a user runs it: the JSON document, the table, and exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from shapelint.cli import main


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_json_document(fixtures_dir):
    result = invoke("probe", str(fixtures_dir / "hub_feature_map"), "--sizes", "224,96x128", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["version"] == 1
    (item,) = doc["results"]
    assert item["error"] is None
    assert [r["input_shape"] for r in item["records"]] == [[1, 224, 224, 3], [1, 96, 128, 3]]
    assert item["records"][1]["outputs"] == {"output": [1, 24, 32, 16]}
    v = item["verdict"]
    assert {k: v[k] for k in ("pooling", "rank", "channels", "layout", "input_sizes", "min_size", "output_stride")} == {
        "pooling": "required", "rank": 4, "channels": 16, "layout": "channels_last",
        "input_sizes": "variable", "min_size": None, "output_stride": 4,
    }
    assert item["findings"] == [{
        "rule": "pooling-required", "code": "SL101", "severity": "info",
        "message": f"{fixtures_dir / 'hub_feature_map'} returns a channels_last output (N, 56, 56, 16) at 224; "
                   "the head must pool it",
        "fix": "Add GlobalAveragePooling2D() before the classifier (or build the backbone with pooling='avg')",
        "layer": None, "file": str(fixtures_dir / "hub_feature_map"), "line": None,
    }]


def test_table_side_by_side_answers_the_motivating_question(fixtures_dir):
    hub_module = str(fixtures_dir / "mobilenet_v2_035_feature_vector")
    result = invoke("probe", "keras:MobileNetV2?alpha=0.35", hub_module, "--sizes", "224,160")
    assert result.exit_code == 0
    out = result.stdout
    assert "(1, 7, 7, 1280)" in out and "(1, 1280)" in out
    assert "Pooling required" in out and "Pooling applied" in out
    assert "Do not add GlobalAveragePooling2D" in out


def test_a_bad_source_exits_2_and_the_others_are_still_reported(fixtures_dir, tmp_path):
    missing = tmp_path / "nope.keras"
    result = invoke("probe", str(missing), str(fixtures_dir / "hub_pooled_mean"), "--sizes", "224", "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["results"][0]["error"].endswith("no such file")
    assert doc["results"][1]["verdict"]["pooling"] == "applied"
    assert result.stderr.strip().splitlines() == [f"shapelint: {doc['results'][0]['error']}"]


def test_bad_sizes_are_a_usage_error():
    result = invoke("probe", "keras:MobileNetV2", "--sizes", "224x")
    assert result.exit_code == 2
    assert "bad size '224x'" in result.stderr


def test_sizes_nobody_asked_for_say_why_they_are_there(factory_file):
    """Bisection rows and the head table's second size are marked in the table and the JSON."""
    source = factory_file('''
        import keras

        def build():
            inputs = keras.Input((None, None, 3))
            return keras.Model(inputs, keras.layers.Conv2D(4, 7, padding="valid")(inputs))

        def head():
            return keras.Sequential([build(), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    ''')
    probed = invoke("probe", source, "--sizes", "4,32", "-j", "0", "--format", "json")
    whys = {tuple(r["size"]): r["why"] for r in json.loads(probed.stdout)["results"][0]["records"]}
    assert whys == {(4, 4): None, (32, 32): None, (6, 6): "bisected: the largest size that fails",
                    (7, 7): "bisected: the smallest size that works"}
    checked = invoke("check", source.replace(":build", ":head"), "--sizes", "32", "-j", "0", "--show-probe")
    assert "48       (1, 42, 42, 4)  inferred (the second size of the head table)" in checked.stdout


def test_a_probe_where_no_size_asked_for_works_does_not_exit_0():
    result = invoke("probe", "keras:MobileNetV2?alpha=0.35", "--sizes", "8", "-j", "0")
    assert result.exit_code == 2
    assert "SL104 input-too-small" in result.stdout and "the smallest size that works is 31" in result.stdout
    assert "shapelint: keras:MobileNetV2?alpha=0.35: no size asked for works (8); the smallest that works is 31\n" \
        == result.stderr


def test_a_load_error_is_one_line_on_stderr_and_not_on_stdout(tmp_path):
    missing = tmp_path / "missing.keras"
    result = invoke("probe", str(missing), "keras:MobileNetV2?alpha=0.35", "--sizes", "224", "-j", "0")
    assert result.exit_code == 2
    assert result.stderr == f"shapelint: {missing}: no such file\n"
    assert "no such file" not in result.stdout
    assert f"{missing}  load error" in result.stdout  # the summary still lists it


def test_inspect_reports_a_load_error_once_on_stderr(tmp_path):
    missing = tmp_path / "missing.keras"
    result = invoke("inspect", str(missing))
    assert result.exit_code == 2
    assert result.stderr == f"shapelint: {missing}: no such file\n" and result.stdout == ""


def test_help_of_check_and_probe_lists_every_kind_of_source():
    for command in ("check", "probe"):
        text = CliRunner().invoke(main, [command, "--help"]).output
        for kind in ("keras:", ".keras", "saved_model", "tfhub.dev", "timm:", "torchvision:", "hf:", ".pt2", ".pt ",
                     ".onnx", "keras_hub:", "preset", "kaggle://", "file.py:fn"):
            assert kind in text, (command, kind)
        timeout = text.split("--timeout")[1].split("--memory-limit")[0]
        assert "framework" in timeout and "torch" in timeout  # not TensorFlow's alone
