"""Whole classifiers and backbones inlined layer by layer in Keras 3 and tf_keras, built the way keras.io's
fine-tuning guide builds them (`x = base_model.output; ...; Model(base_model.input, predictions)`), a whole
`MobileNetV2(include_top=True, classes=5)`, and saved classifiers ending in Dense(1). Real keras.applications
models at alpha=0.35 where the architecture is the point, a tiny functional CNN where it is not.
"""

from __future__ import annotations

import pytest

from shapelint.engine.check import check_source
from shapelint.engine.run import Options, probe_source

MODELS = '''
import keras
import tf_keras

L, T = keras.layers, tf_keras.layers


def guide():
    # https://keras.io/guides/transfer_learning/ and the keras.io applications fine-tuning example
    base_model = keras.applications.MobileNetV2(weights=None, include_top=False, alpha=0.35)
    x = base_model.output
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(64, activation="relu")(x)
    predictions = L.Dense(5, activation="softmax")(x)
    model = keras.Model(base_model.input, predictions)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return model


def guide_tf_keras():
    base_model = tf_keras.applications.MobileNetV2(weights=None, include_top=False, alpha=0.35)
    x = T.GlobalAveragePooling2D()(base_model.output)
    predictions = T.Dense(5, activation="softmax")(x)
    model = tf_keras.Model(base_model.input, predictions)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return model


def tiny():
    inputs = keras.Input((None, None, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inputs)
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, L.Dense(5)(x))


def tiny_flatten():
    inputs = keras.Input((32, 32, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inputs)
    x = L.Flatten()(x)
    return keras.Model(inputs, L.Dense(5)(x))


def mask_detector():
    # pyimagesearch's face mask detector: AveragePooling2D(7) leaves (N, 1, 1, 1280), then Flatten
    base = keras.applications.MobileNetV2(weights=None, include_top=False, alpha=0.35,
                                          input_tensor=keras.Input((224, 224, 3)))
    x = L.Flatten()(L.AveragePooling2D(pool_size=(7, 7))(base.output))
    return keras.Model(base.input, L.Dense(2, activation="softmax")(L.Dense(128, activation="relu")(x)))


def whole():
    return keras.applications.MobileNetV2(weights=None, include_top=True, classes=5, alpha=0.35)


def on_top_of_the_logits():
    base = keras.applications.MobileNetV2(weights=None, include_top=True, alpha=0.35)
    return keras.Model(base.input, L.Dense(5, activation="softmax")(base.output))
'''
SIZES = ((64, 64), (96, 96))


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("keras_classifiers") / "keras_classifiers.py"
    path.write_text(MODELS)
    return str(path)


def check(models: str, name: str, num_classes=None):
    report = check_source(f"{models}:{name}", Options(sizes=SIZES, num_classes=num_classes))
    assert report.error is None, report.error
    return report


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def head(report) -> list[tuple]:
    return [(layer.name, layer.class_name) for layer in report.model.head_layers()]


@pytest.mark.parametrize("name", ["guide", "guide_tf_keras"])
def test_the_fine_tuning_guide_probes_the_inlined_backbone(models, name):
    report = check(models, name, num_classes=5)
    assert codes(report) == []
    model = report.model
    assert model.backbone_layer == "Conv1…out_relu"
    assert model.layer("Conv1…out_relu").inlined
    assert head(report)[0] == ("Conv1…out_relu", "Functional")
    assert "GlobalAveragePooling2D" in [cls for _, cls in head(report)]
    assert not any(name.startswith("block_") for name, _ in head(report))  # no internal rows
    records = {r.size: r.outputs for r in model.backbone.records if r.ok}
    assert list(records[(64, 64)].values()) == [(1, 2, 2, 1280)]
    assert report.verdict["pooling"] == "required" and report.verdict["output_stride"] == 32


def test_a_tiny_functional_cnn_is_cut_at_its_pooling(models):
    report = check(models, "tiny")  # Keras numbers layer names per process: read the classes
    assert report.model.backbone_layer.startswith("conv2d") and "…conv2d" in report.model.backbone_layer
    assert [cls for _, cls in head(report)] == ["Functional", "GlobalAveragePooling2D", "Dense"]
    assert codes(report) == []


def test_flatten_after_a_small_cnn_declared_at_one_size_is_not_a_size_bug(models):
    report = check(models, "tiny_flatten")
    assert "SL202" not in codes(report)
    assert report.model.backbone_layer is None  # a from-scratch CNN at one size: the model itself, not cut


def test_a_head_pooling_to_one_by_one_is_the_head(models):
    report = check(models, "mask_detector", num_classes=2)
    assert codes(report) == []
    assert report.model.backbone_layer == "Conv1…out_relu"
    assert [cls for _, cls in head(report)][1:3] == ["AveragePooling2D", "Flatten"]


def test_include_top_is_a_classifier_with_its_own_head(models):
    report = check(models, "whole", num_classes=5)
    assert codes(report) == []
    assert [cls for _, cls in head(report)] == ["Functional", "GlobalAveragePooling2D", "Dense"]
    assert [name for name, _ in head(report)][::2] == ["Conv1…out_relu", "predictions"]
    whole = report.model.backbone.classifier
    assert (whole.width, whole.features, whole.attribute, whole.library) == (5, 1280, "predictions", "keras")
    (mismatch,) = check(models, "whole", num_classes=3).findings
    assert (mismatch.code, mismatch.fix) == (
        "SL206", "Fine-tune it for your classes: build it with include_top=False, pooling='avg' and add Dense(3)")


def test_a_dense_on_top_of_imagenet_probabilities(models):
    (finding,) = [f for f in check(models, "on_top_of_the_logits").findings if f.severity != "info"]
    assert finding.code == "SL230"
    assert finding.message.startswith("Dense(5, activation='softmax') 'dense")
    assert finding.message.endswith("is put on the softmax probabilities (None, 1000) of "
                                    "Dense(1000, activation='softmax') 'predictions'")


def test_probe_of_an_application_with_its_top():
    result = probe_source("keras:MobileNetV2?include_top=true&alpha=0.35", Options(sizes=((224, 224),))).to_json()
    verdict = result["verdict"]
    assert verdict["text"].startswith("A classifier with 1000 outputs: the output (N, 1000) at 224 is class scores")
    assert verdict["suggested_head"] == "build it with include_top=False, pooling='avg' and add Dense(num_classes)"
    assert "Dense(num_classes) directly" not in str(result["findings"])
    assert [f["code"] for f in result["findings"]] == ["SL103", "SL106"]


@pytest.mark.parametrize("kind", ["keras", "tf_keras"])
def test_a_saved_classifier_ending_in_one_unit_is_not_told_to_add_a_dense(tmp_path, kind):
    import keras
    import tf_keras

    if kind == "keras":
        L = keras.layers
        model = keras.Sequential([keras.Input((None, None, 3)), L.Conv2D(8, 3), L.GlobalAveragePooling2D(), L.Dense(1)])
        model.export(str(tmp_path / "saved"), verbose=False)
    else:
        T = tf_keras.layers
        model = tf_keras.Sequential([T.Conv2D(8, 3, input_shape=(None, None, 3)), T.GlobalAveragePooling2D(),
                                     T.Dense(1, activation="sigmoid")])
        model.save(str(tmp_path / "saved"), save_format="tf")
    result = probe_source(str(tmp_path / "saved"), Options(sizes=((64, 64),))).to_json()
    assert [f["code"] for f in result["findings"]] == ["SL106"]  # not SL102 "put Dense(num_classes) after it"
    assert result["verdict"]["classifier"]["width"] == 1
    assert result["verdict"]["text"].startswith("A classifier with 1 output:")
