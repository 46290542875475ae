"""The probe on real architectures (weights=None), SavedModel fixtures, Hub layers and Hub handles."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from shapelint.engine.run import Options, probe_source
from shapelint.sources import SourceError, parse_source

SIZES = ((224, 224), (160, 160), (192, 256))


def run(text: str, sizes=SIZES):
    result = probe_source(text, Options(sizes=sizes))
    assert result.error is None, result.error
    return result


def rules_of(result) -> set[str]:
    return {f.rule for f in result.findings}


@pytest.mark.parametrize(
    "source, pooling, channels, stride",
    [
        ("keras:MobileNetV2", "required", 1280, 32),
        ("keras:MobileNetV2?pooling=avg&alpha=0.35", "applied", 1280, None),
        ("keras:ResNet50", "required", 2048, 32),
        ("keras:ResNet50?pooling=max", "applied", 2048, None),
        ("keras:EfficientNetB0", "required", 1280, 32),
        ("keras:EfficientNetB0?pooling=avg", "applied", 1280, None),
    ],
)
def test_keras_applications(source, pooling, channels, stride):
    result = run(source)
    v = result.verdict
    assert (v["pooling"], v["channels"], v["output_stride"], v["input_sizes"]) == (pooling, channels, stride, "variable")
    assert v["layout"] == ("channels_last" if pooling == "required" else "vector")
    assert rules_of(result) == {f"pooling-{pooling}"}
    # one real batch settles the truth; the other sizes come from shape inference
    assert sum(r.executed for r in result.backbone.records) == 1
    if pooling == "required":
        assert result.backbone.records[2].outputs["output"] == (1, 6, 8, channels)
        assert v["pooling_makes_sizes_safe"] is True
        assert f"GlobalAveragePooling2D() gives (N, {channels}) at every size" in v["text"]
        assert f"Flatten() would give {7 * 7 * channels} at 224 and {5 * 5 * channels} at 160" in v["text"]
        assert v["suggested_head"] == "GlobalAveragePooling2D() → Dense(num_classes)"
    else:
        assert v["suggested_head"] == "Dense(num_classes)"


def test_fixed_input_model_works_only_at_its_declared_size():
    result = run("keras:ResNet50?include_top=true", sizes=((160, 160), (320, 320)))
    v = result.verdict
    assert v["input_sizes"] == "fixed"
    assert v["working_sizes"] == [[224, 224]]  # the declared size is probed even when not asked for
    assert (v["pooling"], v["channels"]) == ("applied", 1000)
    assert {"fixed-input-size", "whole-classifier"} == rules_of(result)  # a classifier: re-head it, no Dense after
    assert all(r.error for r in result.backbone.records if r.size != (224, 224))


def test_densenet_at_16_pixels_is_reported_too_small():
    result = run("keras:DenseNet121", sizes=((16, 16), (224, 224)))
    tiny, normal, *boundary = result.backbone.records
    assert tiny.executed and tiny.outputs["output"] == (1, 0, 0, 1024)  # execution wins over inference
    assert tiny.empty and not tiny.ok
    assert normal.outputs["output"] == (1, 7, 7, 1024)
    # the minimum is bisected and both sides of it are kept as evidence: 28 leaves nothing, 29 leaves 1×1
    assert [(r.size, r.outputs["output"]) for r in boundary] == [((28, 28), (1, 0, 0, 1024)), ((29, 29), (1, 1, 1, 1024))]
    assert result.verdict["min_size"] == [29, 29]
    (finding,) = [f for f in result.findings if f.rule == "input-too-small"]
    assert "16, 28 too small" in finding.message and finding.fix == "Resize inputs to at least 29"
    assert result.verdict["input_sizes"] == "variable"
    assert "Every probed size from 29 up works." in result.verdict["text"]


TOKENS = """
import keras
from keras import layers

def vit(fixed):
    inputs = keras.Input((224, 224, 3) if fixed else (None, None, 3))
    x = layers.Conv2D(32, 16, strides=16)(inputs)
    x = layers.Reshape((196, 32) if fixed else (-1, 32))(x)
    if fixed:
        x = x + layers.Embedding(196, 32)(keras.ops.arange(196))
    x = layers.LayerNormalization()(x)
    x = x + layers.MultiHeadAttention(2, 16)(x, x)
    return keras.Model(inputs, x)

def fixed():
    return vit(True)

def variable():
    return vit(False)
"""


def test_token_backbone_with_variable_length(factory_file):
    result = run(factory_file(TOKENS, "variable"))
    v = result.verdict
    assert (v["pooling"], v["layout"], v["rank"], v["channels"]) == ("required", "tokens", 3, 32)
    assert v["suggested_head"] == "GlobalAveragePooling1D() → Dense(num_classes)"
    assert v["pooling_makes_sizes_safe"] is True
    assert result.backbone.records[0].outputs["output"] == (1, 196, 32)


def test_vit_like_backbone_with_position_embedding_is_fixed(factory_file):
    result = run(factory_file(TOKENS, "fixed"))
    v = result.verdict
    assert (v["pooling"], v["layout"], v["input_sizes"]) == ("required", "tokens", "fixed")
    assert "fixed-input-size" in rules_of(result)


@pytest.mark.parametrize(
    "name, pooling, layout, shape_224",
    [
        ("mobilenet_v2_035_feature_vector", "applied", "vector", (1, 1280)),
        ("hub_pooled_mean", "applied", "vector", (1, 16)),
        ("hub_pooled_max", "applied", "vector", (1, 16)),
        ("hub_feature_map", "required", "channels_last", (1, 56, 56, 16)),
        ("tiny_map.keras", "required", "channels_last", (1, 56, 56, 16)),
        ("tiny_pooled.h5", "applied", "vector", (1, 16)),
    ],
)
def test_fixtures(fixtures_dir, name, pooling, layout, shape_224):
    result = run(str(fixtures_dir / name))
    assert (result.verdict["pooling"], result.verdict["layout"]) == (pooling, layout)
    assert result.backbone.records[0].outputs["output"] == shape_224
    assert result.verdict["input_sizes"] == "variable"


def test_dict_outputs_are_all_recorded(fixtures_dir):
    result = run(str(fixtures_dir / "hub_dict_outputs"))
    assert result.backbone.records[0].outputs == {"pooled": (1, 16), "feature_map": (1, 56, 56, 16)}
    outputs = result.verdict["outputs"]
    assert outputs["pooled"]["pooling"] == "applied"
    assert outputs["feature_map"]["pooling"] == "required"
    assert outputs["feature_map"]["output_stride"] == 4
    # the verdict describes the first output and says what to do with every other one
    assert result.verdict["pooling"] == "required"
    assert "'pooled' (N, 16) is already pooled: Dense(num_classes) goes right after it." in result.verdict["text"]


def test_fixed_signature_savedmodel(fixtures_dir):
    result = run(str(fixtures_dir / "hub_fixed_224"))
    assert result.verdict["input_sizes"] == "fixed"
    failed = [r for r in result.backbone.records if r.error]
    assert failed and all("does not fit the declared input (1, 224, 224, 3)" in r.error for r in failed)
    assert all("\n" not in r.error for r in failed)


HUB_LAYER = """
import tensorflow_hub as hub
import tf_keras

PATH = {path!r}

def layer():
    return hub.KerasLayer(PATH)

def fixed_layer():
    return hub.KerasLayer(PATH.replace("hub_feature_map", "hub_fixed_224"))

def model():
    return tf_keras.Sequential([tf_keras.Input((None, None, 3)), hub.KerasLayer(PATH, trainable=False)])
"""


@pytest.mark.parametrize("factory", ["layer", "model"])
def test_hub_keras_layer_in_tf_keras(fixtures_dir, factory_file, factory):
    source = factory_file(HUB_LAYER.format(path=str(fixtures_dir / "hub_feature_map")), factory)
    result = run(source)
    assert result.backbone.kind == "tf_keras"
    assert result.verdict["pooling"] == "required"
    assert result.backbone.records[2].outputs["output"] == (1, 48, 64, 16)


HANDLE = "https://tfhub.dev/google/imagenet/mobilenet_v2_035_224/feature_vector/5"


def test_hub_handle_resolves_through_the_cache(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    shutil.copytree(fixtures_dir / "hub_pooled_mean", tmp_path / hashlib.sha1(HANDLE.encode()).hexdigest())
    result = run(HANDLE, sizes=((224, 224),))
    assert result.backbone.kind == "hub"
    assert result.verdict["pooling"] == "applied"


def test_hub_handle_missing_from_cache_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    with pytest.raises(SourceError) as error:
        parse_source(HANDLE)
    assert str(tmp_path / hashlib.sha1(HANDLE.encode()).hexdigest()) in str(error.value)


def test_unknown_keras_name_suggests_close_matches():
    result = probe_source("keras:MobileNetV4", Options(sizes=SIZES))
    assert "did you mean" in result.error and "MobileNetV2" in result.error


def test_architecture_that_cannot_run_with_a_variable_input_is_rebuilt_per_size():
    # NASNet crops by static shapes: built with (None, None, 3) it fails at every size
    result = run("keras:NASNetMobile", sizes=((224, 224), (160, 160)))
    assert [r.outputs["output"] for r in result.backbone.records] == [(1, 7, 7, 1056), (1, 5, 5, 1056)]
    assert result.verdict["pooling"] == "required"


@pytest.fixture(scope="session")
def saved_elsewhere(tmp_path_factory):
    """A tf_keras .keras file and a Keras 3 model.export() archive, the two formats users most often hand over."""
    import keras
    import tf_keras

    out = tmp_path_factory.mktemp("formats")
    inputs = tf_keras.Input((None, None, 3))
    tf_keras.Model(inputs, tf_keras.layers.Conv2D(4, 3, strides=2)(inputs)).save(out / "tf_keras_map.keras")
    inputs = keras.Input((None, None, 3))
    pooled = keras.layers.GlobalMaxPooling2D()(keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs))
    keras.Model(inputs, pooled).export(str(out / "keras3_export"), verbose=False)
    return out


def test_tf_keras_dot_keras_file_falls_back_to_tf_keras(saved_elsewhere):
    result = run(str(saved_elsewhere / "tf_keras_map.keras"))
    assert result.backbone.kind == "tf_keras"
    assert result.backbone.records[0].outputs["output"] == (1, 111, 111, 4)


def test_keras3_export_archive_is_probed_through_its_serve_endpoint(saved_elsewhere):
    result = run(str(saved_elsewhere / "keras3_export"))
    assert (result.verdict["pooling"], result.verdict["channels"]) == ("applied", 4)


CHANNELS_FIRST = """
import keras

def build():
    inputs = keras.Input((3, None, None))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", data_format="channels_first")(inputs)
    return keras.Model(inputs, keras.layers.Conv2D(16, 3, strides=2, padding="same", data_format="channels_first")(x))
"""


def test_channels_first_backbone_keeps_inferred_shapes_when_the_cpu_cannot_run_it(factory_file):
    result = run(factory_file(CHANNELS_FIRST))
    v = result.verdict
    assert result.backbone.records[0].input_shape == (1, 3, 224, 224)
    assert result.backbone.records[2].outputs["output"] == (1, 16, 48, 64)
    assert (v["layout"], v["channels"], v["output_stride"]) == ("channels_first", 16, 4)
    assert v["suggested_head"] == 'GlobalAveragePooling2D(data_format="channels_first") → Dense(num_classes)'
    # TensorFlow's CPU kernels only do NHWC convolutions: the host is noted, the model is not blamed
    assert not any(r.error for r in result.backbone.records)
    assert any("cannot run it" in note for note in v["notes"])


def make_tf1_hub_module(path):
    """A TF1 Hub-format module: two meta graphs ({} and {"train"}), a 'default' signature taking 'images'."""
    import tensorflow as tf

    v1 = tf.compat.v1
    builder = v1.saved_model.Builder(str(path))
    for tags in ([], ["train"]):
        with tf.Graph().as_default() as graph, v1.Session(graph=graph) as session:
            images = v1.placeholder(tf.float32, [None, None, None, 3], name="images")
            feature_map = tf.nn.conv2d(images, v1.get_variable("w", [3, 3, 3, 8]), 2, "SAME")
            session.run(v1.global_variables_initializer())
            outputs = {"default": tf.reduce_mean(feature_map, axis=[1, 2]), "feature_map": feature_map}
            signature = v1.saved_model.signature_def_utils.predict_signature_def({"images": images}, outputs)
            if tags:
                builder.add_meta_graph(tags, signature_def_map={"default": signature})
            else:
                builder.add_meta_graph_and_variables(session, tags, signature_def_map={"default": signature})
    builder.save()
    (path / "tfhub_module.pb").write_bytes(b"\x08\x03")  # module format version 3
    return path


def test_tf1_hub_module_is_probed_through_its_default_signature(tmp_path):
    result = run(str(make_tf1_hub_module(tmp_path / "tf1_module")))
    assert result.backbone.records[0].outputs == {"default": (1, 8), "feature_map": (1, 112, 112, 8)}
    assert result.verdict["pooling"] == "applied"  # hub.KerasLayer returns outputs["default"]
    assert result.verdict["outputs"]["feature_map"]["pooling"] == "required"


def test_hub_layer_with_a_fixed_signature_fails_other_sizes_in_one_line(fixtures_dir, factory_file):
    result = run(factory_file(HUB_LAYER.format(path=str(fixtures_dir / "hub_feature_map")), "fixed_layer"))
    assert result.verdict["input_sizes"] == "fixed"
    failed = [r for r in result.backbone.records if r.error]
    assert failed and all(r.error == f"ValueError: input {r.input_shape} does not fit the declared input (None, 224, 224, 3)"
                          for r in failed)


TF_OBJECTS = """
import tensorflow as tf

class Pool(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    def __call__(self, images):
        return tf.reduce_max(tf.nn.relu(images), axis=[1, 2])

def module():
    return Pool()

def loaded():
    return tf.saved_model.load({path!r})
"""


@pytest.mark.parametrize("factory, channels", [("module", 3), ("loaded", 16)])
def test_factories_returning_tensorflow_objects(fixtures_dir, factory_file, factory, channels):
    result = run(factory_file(TF_OBJECTS.format(path=str(fixtures_dir / "hub_pooled_mean")), factory))
    assert (result.verdict["pooling"], result.verdict["channels"]) == ("applied", channels)


def test_large_sizes_are_only_inferred_and_the_real_batch_runs_small(fixtures_dir):
    # memory must not grow with the probed size: 1024 and 2048 get shape inference, 224 gets the real batch
    result = run(str(fixtures_dir / "hub_feature_map"), sizes=((1024, 1024), (2048, 2048)))
    assert [(r.size, r.executed, r.outputs["output"]) for r in result.backbone.records] == [
        ((1024, 1024), False, (1, 256, 256, 16)),
        ((2048, 2048), False, (1, 512, 512, 16)),
        ((224, 224), True, (1, 56, 56, 16)),
    ]


@pytest.mark.parametrize("size", [1, 8])
def test_sizes_that_are_all_too_small_bisect_up_to_the_smallest_that_works(size):
    """No asked size works: the probe searches upward and bisects, so SL104 names the minimum."""
    result = run("keras:MobileNetV2?alpha=0.35", sizes=((size, size),))
    assert result.verdict["min_size"] == [31, 31]
    (finding,) = [f for f in result.findings if f.rule == "input-too-small"]
    assert finding.fix == "Resize inputs to at least 31"
    assert "resizes or crops internally" not in result.verdict["text"]


def test_a_fixed_size_model_probed_only_at_its_own_size_reads_as_a_sentence():
    result = run("keras:MobileNetV2?include_top=true&alpha=0.35", sizes=((224, 224),))
    (finding,) = [f for f in result.findings if f.rule == "fixed-input-size"]
    assert finding.message == ("keras:MobileNetV2?include_top=true&alpha=0.35 works only at 224, the input size "
                               "it declares")
