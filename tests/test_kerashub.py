"""KerasHub sources: a backbone class built from arguments, a preset folder written by save_to_preset and read
back from its config without weights, the same preset found offline in a kagglehub cache, and Kaggle TF2
handles through either cache. Nothing is downloaded: every model here is a tiny ResNetBackbone with random
weights."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from shapelint.engine.run import Options, probe_source
from shapelint.sources import SourceError, parse_source

# Found, not imported: importing keras_hub imports TensorFlow, and shapelint must be the first to do that in
# this process (runtime.import_tensorflow sets TF_ENABLE_ONEDNN_OPTS=0, which other tests' shapes rely on).
pytestmark = pytest.mark.skipif(importlib.util.find_spec("keras_hub") is None, reason="keras_hub not installed")

# Two basic-block stages (64 then 32 filters, the second with stride 2) after a 3x3 stem: output stride 8.
ARGS = {"input_conv_filters": [64], "input_conv_kernel_sizes": [3], "stackwise_num_filters": [64, 32],
        "stackwise_num_blocks": [1, 1], "stackwise_num_strides": [1, 2], "block_type": "basic_block"}
SOURCE = ("keras_hub:ResNetBackbone?input_conv_filters=[64]&input_conv_kernel_sizes=[3]&stackwise_num_filters=64,32"
          "&stackwise_num_blocks=1,1&stackwise_num_strides=1,2&block_type=basic_block")
OPTIONS = Options(sizes=((64, 64), (32, 32)))
EXPECTED = {(64, 64): [1, 8, 8, 32], (32, 32): [1, 4, 4, 32]}
SHAPELINT = [sys.executable, "-m", "shapelint"]


@pytest.fixture(scope="session")
def preset(tmp_path_factory) -> Path:
    """A preset folder written by KerasHub itself (config.json, metadata.json, model.weights.h5)."""
    from shapelint.adapters.tensorflow.kerashub import import_keras_hub

    keras_hub = import_keras_hub()
    folder = tmp_path_factory.mktemp("kerashub") / "tiny_resnet"
    with warnings.catch_warnings():  # Keras' own numpy 2 DeprecationWarning while it writes the weights
        warnings.simplefilter("ignore", DeprecationWarning)
        keras_hub.models.ResNetBackbone(**ARGS).save_to_preset(str(folder))
    return folder


def shapes(result: dict) -> dict:
    assert result["error"] is None, result["error"]
    return {tuple(r["size"]): r["outputs"]["output"] for r in result["records"]}


def test_class_from_arguments_is_a_feature_map_that_an_image_classifier_pools():
    result = probe_source(SOURCE, OPTIONS).to_json()
    assert shapes(result) == EXPECTED
    verdict = result["verdict"]
    assert (verdict["pooling"], verdict["layout"], verdict["channels"], verdict["output_stride"]) == \
        ("required", "channels_last", 32, 8)
    assert (result["kind"], result["framework"]) == ("kerashub", "keras_hub")
    assert result["findings"][0]["fix"] == ("Add GlobalAveragePooling2D() before the classifier (or use "
                                            "keras_hub.models.ImageClassifier(backbone, num_classes), which pools with "
                                            "pooling='avg')")
    assert ("keras_hub.models.ImageClassifier(backbone, num_classes, pooling='avg') pools this output with "
            "GlobalAveragePooling2D (pooling='max': GlobalMaxPooling2D)") in verdict["notes"][0]


def test_preset_folder_is_built_from_its_config_with_or_without_weights(preset, tmp_path):
    assert sorted(p.name for p in preset.iterdir()) == ["config.json", "metadata.json", "model.weights.h5"]
    assert shapes(probe_source(str(preset), OPTIONS).to_json()) == EXPECTED
    without = shutil.copytree(preset, tmp_path / "config_only", ignore=shutil.ignore_patterns("*.h5"))
    assert shapes(probe_source(str(without), OPTIONS).to_json()) == EXPECTED


def kaggle_cache(root: Path, preset: Path, versions: dict) -> Path:
    """models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION as kagglehub lays it out, VERSION.complete when finished."""
    variation = root / "models" / "keras" / "tiny_resnet" / "keras" / "tiny_resnet_test"
    for version, complete in versions.items():
        shutil.copytree(preset, variation / str(version))
        if complete:
            (variation / f"{version}.complete").touch()
    return variation


def test_kaggle_handle_resolves_offline_from_the_kagglehub_cache(preset, tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path))
    variation = kaggle_cache(tmp_path, preset, {1: True, 2: True, 3: False})  # 3: a download that never finished
    source = parse_source("kaggle://keras/tiny_resnet/keras/tiny_resnet_test")
    assert (source.kind, source.location) == ("kerashub-preset", str(variation / "2"))
    assert parse_source("kaggle://keras/tiny_resnet/keras/tiny_resnet_test/1").location == str(variation / "1")
    result = probe_source("kaggle://keras/tiny_resnet/keras/tiny_resnet_test/2", OPTIONS).to_json()
    assert shapes(result) == EXPECTED

    with pytest.raises(SourceError) as missing:
        parse_source("kaggle://keras/tiny_resnet/keras/tiny_resnet_test/3")
    assert str(missing.value) == (
        f"kaggle://keras/tiny_resnet/keras/tiny_resnet_test/3: not in the kagglehub cache; place the downloaded model "
        f"at {variation / '3'} (KAGGLEHUB_CACHE; shapelint never downloads)")
    with pytest.raises(SourceError, match="expected a Kaggle model handle OWNER/MODEL/FRAMEWORK/VARIATION"):
        parse_source("kaggle://keras/../../etc/x")


def test_kaggle_tf2_handle_is_read_from_either_cache(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))
    handle = "https://www.kaggle.com/models/google/mobilenet-v2/tensorFlow2/035-224-feature-vector/2"
    with pytest.raises(SourceError) as missing:
        parse_source(handle)
    message = str(missing.value)
    assert "in neither cache" in message and str(tmp_path / "tfhub") in message
    assert f"{tmp_path / 'kagglehub'}/models/google/mobilenet-v2/tensorFlow2/035-224-feature-vector/2" in message

    folder = tmp_path / "kagglehub/models/google/mobilenet-v2/tensorFlow2/035-224-feature-vector/2"
    shutil.copytree(fixtures_dir / "mobilenet_v2_035_feature_vector", folder)
    (folder.parent / "2.complete").touch()
    assert (parse_source(handle).kind, parse_source(handle).location) == ("hub", str(folder))


def test_preset_config_goes_through_the_keras_config_scan(preset, tmp_path):
    """Payloads in config.json, each refused in one line before KerasHub reads it: a nested object from a
    module outside Keras, a nested Lambda layer, and a top-level model that is not a KerasHub Backbone."""
    config = json.loads((preset / "config.json").read_text())
    payloads = {
        "os_system": {"module": "os", "class_name": "system", "config": {"command": "touch pwned"}},
        "lambda": {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "payload", "function": "x"}},
    }
    folders = []
    for name, payload in payloads.items():
        folders.append(shutil.copytree(preset, tmp_path / name))
        (folders[-1] / "config.json").write_text(json.dumps({**config, "config": {**config["config"], "dtype": payload}}))
    folders.append(shutil.copytree(preset, tmp_path / "functional"))
    (folders[-1] / "config.json").write_text(json.dumps({"module": "keras", "class_name": "Functional", "config": {}}))

    run = subprocess.run(SHAPELINT + ["probe", "--format", "json", "--no-cache", "--sizes", "32", *map(str, folders)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2
    reasons = [line.split(": refused to load: ")[1] for line in run.stderr.splitlines()]
    assert reasons == [
        "class 'system' from module 'os' is not a Keras built-in (pass --unsafe-load to allow)",
        "Lambda layer 'payload' can run Python code (pass --unsafe-load to allow)",
        "config.json describes 'Functional' from 'keras', not a keras_hub.models Backbone (pass --unsafe-load to allow)",
    ]
    assert not (tmp_path / "pwned").exists()


def test_unknown_class_and_bad_arguments_are_one_line():
    error = probe_source("keras_hub:ResNetBackbon", OPTIONS).error
    assert error.startswith("keras_hub:ResNetBackbon: 'ResNetBackbon' is not a keras_hub.models Backbone class; "
                            "did you mean ResNetBackbone")
    error = probe_source("keras_hub:ResNetBackbone?block_type=basic_block", OPTIONS).error
    assert error.startswith("keras_hub:ResNetBackbone?block_type=basic_block: ResNetBackbone needs input_conv_filters, "
                            "input_conv_kernel_sizes, stackwise_num_filters, stackwise_num_blocks and "
                            "stackwise_num_strides; add them to the query (a list as 64,128 or [64]): "
                            "keras_hub:ResNetBackbone?block_type=basic_block&input_conv_filters=...&")


def test_an_argument_that_needs_a_list_is_named():
    source = SOURCE.replace("input_conv_filters=[64]", "input_conv_filters=64")
    error = probe_source(source, OPTIONS).error
    assert "input_conv_filters=64" in error and "a list: write input_conv_filters=[64]" in error


def test_the_readme_example_builds():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    (example,) = set(re.findall(r"`(keras_hub:ResNetBackbone\?[^`.]+)`", readme))
    result = probe_source(example, OPTIONS)
    assert result.error is None, result.error


def test_missing_extra_names_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "keras_hub" else real(name, *a))
    assert probe_source(SOURCE, OPTIONS).error == "keras_hub not installed: pip install 'shapelint[kerashub]'"


@pytest.fixture(scope="session")
def classifier_preset(tmp_path_factory) -> Path:
    """A preset saved from a ResNetImageClassifier: config.json (its backbone) and task.json (the classifier)."""
    from shapelint.adapters.tensorflow.kerashub import import_keras_hub

    keras_hub = import_keras_hub()
    folder = tmp_path_factory.mktemp("kerashub") / "tiny_resnet_classifier"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        backbone = keras_hub.models.ResNetBackbone(**ARGS)
        keras_hub.models.ResNetImageClassifier(backbone=backbone, num_classes=4).save_to_preset(str(folder))
    return folder


def test_a_classifier_preset_is_a_classifier_not_a_bare_backbone(classifier_preset):
    from shapelint.engine.check import check_source

    assert (classifier_preset / "task.json").is_file()
    result = probe_source(str(classifier_preset), OPTIONS).to_json()
    assert shapes(result) == EXPECTED  # its backbone is what is probed
    verdict = result["verdict"]
    assert verdict["classifier"] == {"width": 4, "features": None, "attribute": None, "library": "keras_hub",
                                     "pools": True}
    assert verdict["text"].startswith("A classifier with 4 outputs: its classifier sits on a backbone, probed here")
    assert verdict["suggested_head"] == "keras_hub.models.ImageClassifier.from_preset(preset, num_classes=num_classes)"
    assert [f["code"] for f in result["findings"]] == ["SL106"]  # no SL101: its own head pools
    checked = check_source(str(classifier_preset), Options(sizes=OPTIONS.sizes, num_classes=4))
    assert (checked.error, checked.findings) == (None, ())
    (mismatch,) = check_source(str(classifier_preset), Options(sizes=OPTIONS.sizes, num_classes=3)).findings
    assert mismatch.code == "SL106" and "num_classes=3" in mismatch.fix


KH_TINY = "num_layers=1&num_heads=2&hidden_dim=16"


@pytest.mark.parametrize("source, prefix, reference, pooling", [
    (f"keras_hub:ViTBackbone?image_shape=[32,32,3]&patch_size=8&mlp_dim=32&{KH_TINY}", ["class"], "class_token",
     "x[:, 0]"),
    (f"keras_hub:ViTBackbone?image_shape=[32,32,3]&patch_size=8&mlp_dim=32&use_class_token=false&{KH_TINY}", [], None,
     "GlobalAveragePooling1D()"),
    (f"keras_hub:DeiTBackbone?image_shape=[32,32,3]&patch_size=8&intermediate_dim=32&{KH_TINY}",
     ["class", "distillation"], "class_token", "x[:, 0]"),
    (f"keras_hub:DINOV2Backbone?image_shape=[28,28,3]&patch_size=14&intermediate_dim=32&num_register_tokens=4"
     f"&layer_scale_init_value=1.0&position_embedding_shape=[28,28]&{KH_TINY}", ["class"] + ["register"] * 4, None,
     "GlobalAveragePooling1D()(x[:, 5:])"),
])
def test_kerashub_vit_tokens(source, prefix, reference, pooling):
    """The prefix tokens a KerasHub ViT declares, and the pooling its ImageClassifier uses (pooling='token')."""
    result = probe_source(source, Options(sizes=((32, 32),))).to_json()
    assert result["error"] is None, result["error"]
    tokens = result["tokens"]
    assert (tokens["prefix"], tokens["reference"]) == (prefix, reference)
    assert result["verdict"]["suggested_head"].startswith(pooling)
