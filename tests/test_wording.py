"""Words a new user reads: counts agree with their nouns, calls are written as the user writes them, and
the table's header says the size its shapes are at. Real models, run through the CLI."""

from __future__ import annotations

import importlib.util
import json
import re

from click.testing import CliRunner

from shapelint.cli import main

FAST = ("--jobs", "0", "--sizes", "64")

MODELS = '''
    import keras
    L = keras.layers


    def one_feature():
        inputs = keras.Input((None, None, 3))
        pooled = L.GlobalAveragePooling2D()(L.Conv2D(1, 3, strides=8, padding="same")(inputs))
        return keras.Sequential([keras.Model(inputs, pooled, name="backbone"), L.Dense(3, name="logits")])


    def softmax_layer():
        inputs = keras.Input((None, None, 3))
        pooled = L.GlobalAveragePooling2D()(L.Conv2D(8, 3, strides=8, padding="same")(inputs))
        model = keras.Sequential([keras.Model(inputs, pooled, name="backbone"), L.Dense(3), L.Softmax(name="probs")])
        model.compile(loss="mse")
        return model
'''


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_counts_agree_with_their_nouns(factory_file):
    result = invoke("check", factory_file(MODELS, "one_feature"), "--num-classes", "1", *FAST)
    assert re.search(r"already pooled, 1 feature(?!s)", result.stdout)
    assert "but there is 1 class" in result.stdout and "there are 1 classes" not in result.stdout


def test_calls_and_losses_are_written_as_the_user_writes_them(factory_file):
    result = invoke("check", factory_file(MODELS, "softmax_layer"), *FAST)
    row = next(line for line in result.stdout.splitlines() if " probs " in line)
    assert "Softmax()" in row and "activation='softmax'" not in row
    assert "MeanSquaredError()" in result.stdout and "from_logits" not in result.stdout


def test_a_bare_backbone_table_says_its_size(fixtures_dir):
    result = invoke("check", fixtures_dir / "hub_feature_map", *FAST)
    header = next(line for line in result.stdout.splitlines() if line.startswith("line "))
    assert "output at 64" in header and "output at ?" not in header


def test_missing_packages_are_named_in_one_sentence(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("torch", "timm") else real(name, *a))
    from shapelint.adapters import missing
    from shapelint.sources import parse_source

    assert ": needs torch and timm, which are not installed (" in missing(parse_source("timm:resnet18"))


def test_inspect_reads_the_pooling_of_a_keras_head_from_its_tail(tmp_path):
    import keras

    inputs = keras.Input((None, None, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
    keras.Model(inputs, keras.layers.Dense(2)(x)).save(tmp_path / "good.keras")
    result = invoke("inspect", tmp_path / "good.keras", "--format", "json")
    (item,) = json.loads(result.stdout)["results"]
    assert item["inner_pooling"] == {"output": "mean"}


def test_inspect_declines_a_pytorch_file_without_promising_a_module_tree(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "traced.pt", "w") as archive:  # the layout torch.jit.save writes
        archive.writestr("traced/constants.pkl", b"")
        archive.writestr("traced/data.pkl", b"")
    result = invoke("inspect", tmp_path / "traced.pt")
    assert result.exit_code == 2
    assert "module tree" not in result.stderr and "shapelint probe" in result.stderr


def test_classes_mismatch_on_a_bare_backbone_says_to_add_a_classifier():
    result = invoke("check", "keras:MobileNetV2?alpha=0.35", "--num-classes", "1", *FAST)
    (fix,) = [line for line in result.stdout.splitlines() if line.strip().startswith("fix:") and "classifier" in line
              and "Dense(1" in line]
    assert "Make the last layer" not in result.stdout
    assert "Add a classifier after" in fix and "GlobalAveragePooling2D() → Dense(1)" in fix


def test_a_text_model_table_says_its_sequence_length(factory_file):
    source = factory_file('''
        import keras

        def build():
            inputs = keras.Input((None,), dtype="int32")
            x = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(100, 8)(inputs))
            return keras.Model(inputs, keras.layers.Dense(3)(x))
    ''')
    result = invoke("check", source, *FAST)
    header = next(line for line in result.stdout.splitlines() if line.startswith("line "))
    assert "output at length 64" in header
