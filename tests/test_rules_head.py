"""SL2xx head rules. Each rule's good and bad examples are its tests (Fixit style): every example is a
real factory file built by Keras 3 or tf_keras (hub.KerasLayer on a tiny SavedModel) and checked through
check_source, the path the CLI takes. A bad example yields exactly its own rule; a good one yields nothing."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

import pytest

from shapelint.engine.check import check_source
from shapelint.engine.run import Options
from shapelint.records.layers import LayerRecord, ModelRecord
from shapelint.rules import REGISTRY, run_rules

SIZES = ((64, 64), (32, 32))

PRELUDE = '''
import keras, tf_keras, tensorflow_hub as hub
L, T = keras.layers, tf_keras.layers
HUB_MAP, HUB_VECTOR = {hub_map!r}, {hub_vector!r}

def backbone(pooling=None, size=None):
    """A tiny Keras 3 conv net: (N, 64, 64, 3) -> (N, 2, 2, 16), like include_top=False."""
    inputs = keras.Input((size, size, 3))
    x = L.Conv2D(8, 3, strides=4, padding="same")(inputs)
    x = L.Conv2D(16, 3, strides=8, padding="same")(x)
    if pooling == "avg":
        x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name="backbone")

def tf_backbone():
    """The same tiny conv net in tf_keras, to be nested as a layer."""
    inputs = tf_keras.Input((None, None, 3))
    x = T.Conv2D(16, 3, strides=32, padding="same")(inputs)
    return tf_keras.Model(inputs, x, name="tf_backbone")

def tokens():
    """A tiny ViT-like stem: 8x8 patches as tokens, (N, 64, 64, 3) -> (N, 64, 8)."""
    inputs = keras.Input((None, None, 3))
    x = L.Conv2D(8, 8, strides=8)(inputs)
    return keras.Model(inputs, L.Reshape((-1, 8))(x), name="tokens")
'''


@dataclass(frozen=True)
class Example:
    code: str  # the body of build(); returns the model
    num_classes: int | None = None

    @property
    def id(self) -> str:
        return self.code.strip().splitlines()[0][:60]


K3_MAP = "model = keras.Sequential([backbone(), "
TF_HUB_MAP = "model = tf_keras.Sequential([hub.KerasLayer(HUB_MAP), "
TF_HUB_VECTOR = "model = tf_keras.Sequential([hub.KerasLayer(HUB_VECTOR), "
VECTOR = "model = keras.Sequential([keras.Input((8,)), L.Dense(16, activation='relu'), "  # a tabular MLP

EXAMPLES = {
    "dense-on-feature-map": {
        "bad": [
            Example(K3_MAP + "L.Dense(5)])"),
            Example(TF_HUB_MAP + "T.Dense(5)])"),
            Example("model = keras.Sequential([tokens(), L.Dense(5)])"),
            Example("model = tf_keras.Sequential([tf_backbone(), T.Dense(5)])"),
            Example("model = keras.Sequential([backbone(), keras.Sequential([L.Dense(5)], name='head')])"),
            Example("""
                inputs = tf_keras.Input((None, None, 3))
                model = tf_keras.Model(inputs, T.Dense(5)(hub.KerasLayer(HUB_MAP)(inputs)))"""),
            Example("""
                inputs = keras.Input((None, None, 3))
                x = L.Dense(64, activation="relu")(backbone()(inputs))
                model = keras.Model(inputs, L.Dense(5)(x))"""),
        ],
        "good": [
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Dense(5)])"),
            Example(K3_MAP + "L.GlobalMaxPooling2D(), L.Dropout(0.2), L.Dense(5)])"),
            Example(K3_MAP + "L.Conv2D(5, 1), L.GlobalAveragePooling2D(), L.Softmax()])"),
            Example(K3_MAP + "L.Dense(32, activation='relu'), L.GlobalAveragePooling2D(), L.Dense(5)])"),
            Example("model = keras.Sequential([tokens(), L.GlobalAveragePooling1D(), L.Dense(5)])"),
            Example(TF_HUB_MAP + "T.GlobalAveragePooling2D(), T.Dense(5)])"),
            Example("model = tf_keras.Sequential([tf_backbone(), T.GlobalMaxPooling2D(), T.Dense(5)])"),
            Example("model = keras.Sequential([backbone(), keras.Sequential([L.GlobalAveragePooling2D(), L.Dense(5)])])"),
            Example("""
                inputs = tf_keras.Input((None, None, 3))
                features = hub.KerasLayer(HUB_MAP)(inputs)
                pooled = T.Concatenate()([T.GlobalAveragePooling2D()(features), T.GlobalMaxPooling2D()(features)])
                model = tf_keras.Model(inputs, T.Dense(5)(pooled))"""),
        ],
    },
    "flatten-fixes-input-size": {
        "bad": [
            Example("model = keras.Sequential([keras.Input((64, 64, 3)), backbone(), L.Flatten(), L.Dense(5)])"),
            Example("model = keras.Sequential([backbone(size=64), L.Flatten(), L.Dense(5)])"),  # fixed Input inside
            Example("model = tf_keras.Sequential([hub.KerasLayer(HUB_MAP, input_shape=(64, 64, 3)), T.Flatten(), T.Dense(5)])"),
            Example("model = keras.Sequential([keras.Input((64, 64, 3)), tokens(), L.Flatten(), L.Dense(5)])"),
            # a Flatten over a free length: Keras cannot build the Dense after it
            Example("model = keras.Sequential([keras.Input((None, 8)), L.Conv1D(8, 3), L.Flatten(), L.Dense(2)])"),
            Example("model = tf_keras.Sequential([tf_keras.Input((None, 8)), T.Conv1D(8, 3), T.Flatten(), T.Dense(2)])"),
        ],
        "good": [
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Flatten(), L.Dense(5)])"),
            Example(TF_HUB_VECTOR + "T.Flatten(), T.Dense(5)])"),
            # trained from scratch at one declared size: nothing could take another size anyway
            Example("model = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(6, 5), L.MaxPooling2D(), L.Flatten(), "
                    "L.Dense(10, activation='softmax')])"),
            Example("model = tf_keras.Sequential([T.Conv1D(8, 3, input_shape=(600, 1)), T.Flatten(), T.Dense(2)])"),
            Example("""
                augment = keras.Sequential([L.RandomFlip("horizontal")])
                model = keras.Sequential([keras.Input((32, 32, 3)), augment, L.Conv2D(8, 3), L.Flatten(), L.Dense(10)])"""),
        ],
    },
    "double-pooling": {
        "bad": [
            Example("model = keras.Sequential([backbone(pooling='avg'), L.GlobalAveragePooling2D(), L.Dense(5)])"),
            Example(TF_HUB_VECTOR + "T.GlobalAveragePooling2D(), T.Dense(5)])"),
            Example("model = tf_keras.Sequential([hub.KerasLayer(HUB_VECTOR, input_shape=(64, 64, 3)), "
                    "T.GlobalMaxPooling2D(), T.Dense(5)])"),
        ],
        "good": [
            Example("model = keras.Sequential([backbone(pooling='avg'), L.Dense(5)])"),
            Example(TF_HUB_VECTOR + "T.Dense(5)])"),
        ],
    },
    "single-unit-softmax": {
        "bad": [
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Dense(1, activation='softmax')])"),
            Example(TF_HUB_VECTOR + "T.Dense(1), T.Softmax()])"),
            Example(VECTOR + "L.Dense(1, activation='softmax')])", num_classes=2),  # not also classes-mismatch
            Example(VECTOR + """L.Dense(1, activation='softmax')])
                model.compile(loss="categorical_crossentropy")"""),  # not also categorical-loss-on-one-unit
        ],
        "good": [
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Dense(1, activation='sigmoid')])"),
            Example(TF_HUB_VECTOR + "T.Dense(2, activation='softmax')])"),
        ],
    },
    "logits-loss-mismatch": {
        "bad": [
            Example(K3_MAP + """L.GlobalAveragePooling2D(), L.Dense(5, activation="softmax")])
                model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))"""),
            Example(K3_MAP + """L.GlobalAveragePooling2D(), L.Dense(1), L.Dropout(0.5)])
                model.compile(loss="binary_crossentropy")"""),
            Example(TF_HUB_VECTOR + """T.Dense(5), T.Activation("softmax")])
                model.compile(loss=tf_keras.losses.CategoricalCrossentropy(from_logits=True))"""),
            Example("""head = keras.Sequential([L.GlobalAveragePooling2D(), L.Dense(5, activation="softmax")])
                model = keras.Sequential([backbone(), head])
                model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))"""),
        ],
        "good": [
            Example(K3_MAP + """L.GlobalAveragePooling2D(), L.Dense(5)])
                model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))"""),
            Example(K3_MAP + """L.GlobalAveragePooling2D(), L.Dense(5, activation="softmax")])
                model.compile(loss="sparse_categorical_crossentropy")"""),
            Example(TF_HUB_VECTOR + """T.Dense(1, activation="sigmoid")])
                model.compile(loss=tf_keras.losses.BinaryCrossentropy())"""),
            Example(K3_MAP + """L.GlobalAveragePooling2D(), L.Dense(5)])
                model.compile(loss="mse")"""),
            Example(VECTOR + """L.Dense(5, activation="log_softmax")])
                model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))"""),
        ],
    },
    "sigmoid-with-categorical-loss": {
        "bad": [
            Example(VECTOR + """L.Dense(10, activation="sigmoid")])
                model.compile(loss="categorical_crossentropy")"""),
            Example(VECTOR + """L.Dense(3), L.Activation("sigmoid")])
                model.compile(loss=keras.losses.sparse_categorical_crossentropy)"""),
            Example("""model = tf_keras.Sequential([T.Dense(4, activation="sigmoid", input_shape=(8,))])
                model.compile(loss=tf_keras.losses.CategoricalCrossentropy)"""),
        ],
        "good": [
            Example(VECTOR + """L.Dense(10, activation="sigmoid")])
                model.compile(loss="binary_crossentropy")"""),  # multi-label
            Example(VECTOR + """L.Dense(10, activation="softmax")])
                model.compile(loss="categorical_crossentropy")"""),
        ],
    },
    "softmax-with-binary-loss": {
        "bad": [
            Example(VECTOR + """L.Dense(10, activation="softmax")])
                model.compile(loss="binary_crossentropy", metrics=["accuracy"])"""),
            Example(VECTOR + """L.Dense(3), L.Softmax()])
                model.compile(loss=keras.losses.BinaryCrossentropy())"""),
        ],
        "good": [
            Example(VECTOR + """L.Dense(2, activation="softmax")])
                model.compile(loss="binary_crossentropy")"""),  # the same loss as categorical on one-hot labels
            Example(VECTOR + """L.Dense(1, activation="sigmoid")])
                model.compile(loss="binary_crossentropy")"""),
        ],
    },
    "categorical-loss-on-one-unit": {
        "bad": [
            Example(VECTOR + """L.Dense(1, activation="sigmoid")])
                model.compile(loss="categorical_crossentropy")"""),
            Example(VECTOR + """L.Dense(1)])
                model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))"""),
        ],
        "good": [
            Example(VECTOR + """L.Dense(1, activation="sigmoid")])
                model.compile(loss="binary_crossentropy")"""),
            Example(VECTOR + """L.Dense(2)])
                model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))"""),
        ],
    },
    "unnormalised-output": {
        "bad": [
            Example(VECTOR + """L.Dense(10, activation="relu")])
                model.compile(loss="categorical_crossentropy")"""),
            Example(VECTOR + """L.Dense(1, activation="tanh")])
                model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))"""),
        ],
        "good": [
            Example(VECTOR + """L.Dense(10, activation="relu"), L.Dense(10, activation="softmax")])
                model.compile(loss="categorical_crossentropy")"""),
            Example(VECTOR + """L.Dense(1, activation="relu")])
                model.compile(loss="mse")"""),  # a regression
        ],
    },
    "regression-loss-on-classifier": {
        "bad": [
            Example(VECTOR + """L.Dense(10, activation="softmax")])
                model.compile(loss="mse")"""),
            Example(VECTOR + """L.Dense(3, activation="softmax")])
                model.compile(loss=keras.losses.MeanAbsoluteError())"""),
        ],
        "good": [
            Example(VECTOR + """L.Dense(1, activation="sigmoid")])
                model.compile(loss="mse")"""),
            Example(VECTOR + """L.Dense(3)])
                model.compile(loss=keras.losses.mean_squared_error)"""),
        ],
    },
    "double-activation": {
        "bad": [
            Example(VECTOR + """L.Dense(10, activation="softmax"), L.Activation("softmax")])"""),
            Example(VECTOR + """L.Dense(10, activation="softmax"), L.Dropout(0.5), L.Softmax()])"""),
        ],
        "good": [
            Example(VECTOR + """L.Dense(10), L.Activation("softmax")])"""),
            Example(VECTOR + """L.Dense(10, activation="softmax")])"""),
        ],
    },
    "batch-axis-changed": {
        "bad": [
            Example("""
                inputs = keras.Input((8, 8, 16))
                x = keras.ops.reshape(L.Conv2D(4, 1)(inputs), (-1, 4))
                model = keras.Model(inputs, L.Dense(3)(x))"""),
        ],
        "good": [
            Example("""
                inputs = keras.Input((8, 8, 16))
                x = L.Reshape((-1, 4))(L.Conv2D(4, 1)(inputs))
                model = keras.Model(inputs, L.Dense(3)(L.GlobalAveragePooling1D()(x)))"""),
        ],
    },
    "output-is-feature-map": {
        "bad": [
            Example(K3_MAP + "L.Conv2D(5, 1, activation='softmax')])"),
            Example(K3_MAP + """L.Conv2D(5, 1), L.Dropout(0.2)])
                model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))"""),
        ],
        "good": [
            Example(K3_MAP + "L.Conv2D(5, 1), L.GlobalAveragePooling2D(), L.Softmax()])"),
            # a segmentation head: back to the input's size, one prediction per pixel
            Example(K3_MAP + "L.UpSampling2D(32), L.Conv2D(5, 1, activation='softmax')])"),
            Example("model = keras.Sequential([keras.Input((64, 64, 3)), L.Conv2D(5, 3, padding='same', activation='softmax')])"),
        ],
    },
    "shrinks-to-nothing": {
        "bad": [
            Example("model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 5), L.Conv2D(4, 5), "
                    "L.Flatten(), L.Dense(2)])"),
            Example("model = keras.Sequential([keras.Input((4, 1)), L.Conv1D(4, 5), L.Flatten(), L.Dense(2)])"),
            Example("model = tf_keras.Sequential([tf_keras.Input((4, 4, 1)), T.MaxPooling2D(), T.MaxPooling2D(), "
                    "T.MaxPooling2D(), T.Flatten(), T.Dense(2)])"),
        ],
        "good": [
            Example("model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 5, padding='same'), "
                    "L.Conv2D(4, 5, padding='same'), L.Flatten(), L.Dense(2)])"),
        ],
    },
    "reshape-size-mismatch": {
        "bad": [
            Example("model = keras.Sequential([keras.Input((8, 8, 4)), L.Reshape((10, 10)), L.Flatten(), L.Dense(2)])"),
            Example("model = tf_keras.Sequential([tf_keras.Input((8, 8, 4)), T.Reshape((10, 10)), T.Flatten(), T.Dense(2)])"),
        ],
        "good": [
            Example("model = keras.Sequential([keras.Input((8, 8, 4)), L.Reshape((16, 16)), L.Flatten(), L.Dense(2)])"),
        ],
    },
    "classes-mismatch": {
        "bad": [
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Dense(10)])", num_classes=5),
            Example("model = keras.Sequential([backbone(), keras.Sequential([L.GlobalAveragePooling2D(), L.Dense(10)])])",
                    num_classes=5),
            Example(TF_HUB_VECTOR + "T.Dense(1, activation='sigmoid')])", num_classes=3),
        ],
        "good": [
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Dense(5)])", num_classes=5),
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Dense(1, activation='sigmoid')])", num_classes=2),
            Example(TF_HUB_VECTOR + "T.Dense(2, activation='softmax')])", num_classes=2),
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Dense(10)])"),
        ],
    },
    "layer-after-class-scores": {
        "bad": [
            Example(VECTOR + """L.Dense(10, activation="softmax"), L.Dense(3)])"""),
            Example("""
                inputs = keras.Input((None, None, 3))
                x = L.GlobalAveragePooling2D()(L.Conv2D(16, 3, strides=32, padding="same")(inputs))
                top = keras.Model(inputs, L.Dense(10, activation="softmax", name="predictions")(x))  # include_top
                model = keras.Sequential([top, L.Dense(3, activation="softmax")])"""),
        ],
        "good": [
            Example(K3_MAP + "L.GlobalAveragePooling2D(), L.Dense(32, activation='relu'), L.Dense(5, activation='softmax')])"),
            Example(VECTOR + """L.Dense(10), L.Activation("softmax")])"""),
        ],
    },
}

CASES = [
    pytest.param(name, kind, example, id=f"{name}-{kind}-{i}")
    for name, kinds in EXAMPLES.items()
    for kind, examples in kinds.items()
    for i, example in enumerate(examples)
]


@pytest.fixture(scope="session")
def hub_dirs(tmp_path_factory):
    """Two tiny TF2 SavedModels, as hub.KerasLayer loads them: a feature map and a pooled vector."""
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    tf = import_tensorflow()

    class Tiny(tf.Module):
        def __init__(self, pooled: bool):
            super().__init__()
            self.kernel = tf.Variable(tf.ones((3, 3, 3, 8)))
            self.pooled = pooled

        @tf.function(input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)])
        def __call__(self, images):
            features = tf.nn.conv2d(images, self.kernel, 4, "SAME")  # (N, H/4, W/4, 8)
            return tf.reduce_mean(features, [1, 2]) if self.pooled else features

    root = tmp_path_factory.mktemp("hub")
    dirs = {"hub_map": str(root / "map"), "hub_vector": str(root / "vector")}
    tf.saved_model.save(Tiny(False), dirs["hub_map"])
    tf.saved_model.save(Tiny(True), dirs["hub_vector"])
    return dirs


@pytest.fixture(scope="session")
def write_example(hub_dirs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    count = iter(range(10_000))

    def write(example: Example) -> str:
        first, _, rest = example.code.strip("\n").partition("\n")  # continuation lines are indented in the table
        body = textwrap.indent(first.strip() + "\n" + textwrap.dedent(rest), "    ")
        path = folder / f"example_{next(count)}.py"
        path.write_text(PRELUDE.format(**hub_dirs) + f"\ndef build():\n{body}\n    return model\n")
        return f"{path}:build"

    return write


def check(write_example, example: Example, select=("SL2",)):
    return check_source(write_example(example), Options(sizes=SIZES, select=select, num_classes=example.num_classes))


@pytest.mark.parametrize("name, kind, example", CASES)
def test_rule_examples(write_example, name, kind, example):
    result = check(write_example, example)
    assert result.error is None
    found = [(f.rule, f.message) for f in result.findings]
    if kind == "bad":
        assert [rule for rule, _ in found] == [name], found
        finding = result.findings[0]
        assert finding.layer or "could not build" in finding.message, "a head finding names its layer where known"
    else:
        assert found == []


def test_every_head_rule_has_examples_and_docs():
    from test_rules_tokens import EXAMPLES as TOKEN_EXAMPLES  # token pooling: records of ViT heads
    from test_torch_rules import TORCH_EXAMPLES  # the PyTorch rules' examples are torch factories

    examples = {**EXAMPLES, **TORCH_EXAMPLES, **TOKEN_EXAMPLES}
    head = {r.name for r in REGISTRY.values() if r.subject == "head"}
    assert head == set(examples)
    assert all(examples[name]["bad"] and examples[name]["good"] for name in head)
    for rule in REGISTRY.values():
        headings = [line for line in rule.doc.splitlines() if line.startswith("## ")]
        assert headings == ["## What it does", "## Why is this bad?", "## Example", "## Use instead"], rule.code


def test_dense_message_carries_real_shapes_and_names(write_example):
    result = check(write_example, Example(K3_MAP + "L.Dense(5, name='head')])"))
    (finding,) = result.findings
    assert finding.message == "Dense(5) 'head' receives a (None, 2, 2, 16) feature map and returns (None, 2, 2, 5)"
    assert finding.fix == "Add GlobalAveragePooling2D() before Dense(5) 'head'"
    assert finding.layer == "head"


def test_flatten_shows_feature_counts_at_two_sizes(write_example):
    result = check(write_example, EXAMPLES["flatten-fixes-input-size"]["bad"][0])
    (finding,) = result.findings
    # (N, 2, 2, 16) at 64 -> 64 features; (N, 1, 1, 16) at 32 -> 16 features
    assert "a (None, 2, 2, 16) feature map into 64 features at 64 but 16 at 32" in finding.message
    assert finding.fix.endswith("with GlobalAveragePooling2D() (16 features at every size)")


def test_double_pooling_from_a_build_failure_names_the_layer(write_example):
    code = "model = keras.Sequential([backbone(pooling='avg'), L.GlobalAveragePooling2D(name='again'), L.Dense(5)])"
    (finding,) = check(write_example, Example(code)).findings
    assert finding.layer == "again"
    assert "expects ndim=4 but receives an already pooled ndim=2 tensor (None, 16)" in finding.message


def test_a_factory_failure_no_rule_explains_is_a_load_error(write_example):
    result = check(write_example, Example("model = keras.Sequential([L.Dense(5, activation='nope')])"))
    assert result.findings == () and result.backbone is None
    assert "factory failed" in result.error and "\n" not in result.error


def test_the_backbone_is_the_heaviest_nested_model_not_the_augmentation(write_example):
    code = """
        augment = keras.Sequential([L.RandomFlip("horizontal")], name="augment")
        model = keras.Sequential([keras.Input((None, None, 3)), augment, backbone(), L.Dense(5, name="head")])"""
    result = check(write_example, Example(code), select=())
    assert result.backbone.source == "backbone"
    assert [(f.code, f.layer) for f in result.findings] == [("SL101", None), ("SL201", "head")]


def test_a_subclassed_model_is_probed_whole(write_example):
    code = """
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.conv, self.dense = L.Conv2D(8, 3, strides=8), L.Dense(5)

            def call(self, x):
                return self.dense(self.conv(x))
        model = Net()
        model(keras.ops.zeros((1, 64, 64, 3)))"""
    result = check(write_example, Example(code), select=())
    assert result.error is None
    assert [f.code for f in result.findings] == ["SL101"]  # no layer graph for head rules; the output says enough
    assert result.backbone.records[0].outputs == {"output": (1, 8, 8, 5)}


def test_the_notes_of_the_backbone_inside_reach_the_verdict(write_example):
    code = """
        inputs = keras.Input((3, None, None))
        nchw = keras.Model(inputs, L.Conv2D(16, 3, strides=32, padding="same", data_format="channels_first")(inputs))
        model = keras.Sequential([nchw, L.GlobalAveragePooling2D(data_format="channels_first"), L.Dense(5)])"""
    result = check(write_example, Example(code), select=())
    assert result.error is None and result.verdict["layout"] == "channels_first"
    # TensorFlow's CPU kernels only do NHWC convolutions: the probe of the nested backbone notes the host
    assert any("cannot run it" in note for note in result.verdict["notes"])


def test_backbone_rules_apply_to_the_backbone_inside(write_example):
    result = check(write_example, EXAMPLES["dense-on-feature-map"]["bad"][0], select=())
    assert [f.code for f in result.findings] == ["SL101", "SL201"]
    assert result.backbone.source == "backbone"
    assert result.verdict["pooling"] == "required"
    hub = check(write_example, EXAMPLES["double-pooling"]["good"][1], select=())
    assert hub.backbone is not None and hub.verdict["pooling"] == "applied"  # the hub layer is the probed backbone
    assert [f.code for f in hub.findings] == []  # SL102 is answered: the head does not pool again


def test_model_record_round_trips_through_json(write_example, hub_dirs):
    from shapelint.adapters.tensorflow.graph import model_record
    from shapelint.adapters.tensorflow.load import call_factory, from_object
    from shapelint.engine.probe import probe
    from shapelint.sources import parse_source

    example = Example(TF_HUB_MAP + "T.Conv2D(4, 1), T.GlobalAveragePooling2D(), T.Dense(3, activation='softmax')])\n"
                      "model.compile(loss='categorical_crossentropy')")
    model = call_factory(parse_source(write_example(example)))
    record = model_record(from_object(model, "hub-head"), SIZES, probe)
    assert [layer.class_name for layer in record.layers] == ["KerasLayer", "Conv2D", "GlobalAveragePooling2D", "Dense"]
    assert record.layers[0].opaque and record.backbone_layer == record.layers[0].name
    assert record.layers[0].output_shapes == ((None, 16, 16, 8),) and record.layers[0].alt_output_shapes == ((None, 8, 8, 8),)
    assert (record.loss, record.from_logits) == ("CategoricalCrossentropy", False)
    data = json.loads(json.dumps(record.to_json()))
    assert ModelRecord.from_json(data) == record


def pooled_record(*layers: LayerRecord) -> ModelRecord:
    return ModelRecord("handmade", layers, outputs=(layers[-1].name,), size=(224, 224), alt_size=(160, 160))


def test_double_pooling_from_shapes_when_keras_did_not_refuse():
    record = pooled_record(
        LayerRecord("backbone", "Functional", ((None, 224, 224, 3),), ((None, 1280),), is_model=True),
        LayerRecord("gap", "GlobalAveragePooling2D", ((None, 1280),), ((None, 1280),), pooling="average",
                    pool_dims=2, inbound=("backbone",)),
    )
    (finding,) = run_rules("head", record)
    assert finding.message == ("GlobalAveragePooling2D 'gap' expects a rank-4 input but receives an already pooled "
                               "(None, 1280) from 'backbone'")


def test_build_errors_other_than_ndim_are_not_double_pooling():
    record = ModelRecord("x", build_error="ValueError: Input 0 of layer \"dense\" is incompatible: expected ndim=2, found ndim=4")
    assert run_rules("head", record) == ()


# Rule invariants over arbitrary records (hypothesis): rules never crash, and a record that went through
# JSON (the cache, worker processes) is the same record and earns the same findings.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from shapelint.rules.losses import CROSSENTROPIES  # noqa: E402

DIM = st.one_of(st.none(), st.integers(0, 64))
SHAPE = st.integers(1, 4).flatmap(lambda rank: st.tuples(st.none(), *[DIM] * rank))
CLASSES = ["Dense", "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "Conv2D", "Dropout", "Activation",
           "Softmax", "Functional", "KerasLayer"]
KIND = {"Dense": "dense", "Flatten": "flatten", "GlobalAveragePooling2D": "global_pool", "GlobalMaxPooling1D": "global_pool",
        "Conv2D": "conv", "Dropout": "dropout", "Activation": "activation", "Softmax": "activation", "Functional": "model",
        "KerasLayer": "model"}


@st.composite
def model_records(draw):
    layers = []
    for i in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(CLASSES))
        pool = name.startswith("Global")
        layers.append(LayerRecord(
            name=f"layer{i}",
            class_name=name,
            kind=KIND[name],
            input_shapes=(draw(SHAPE),),
            output_shapes=draw(st.one_of(st.none(), st.tuples(SHAPE))),
            alt_output_shapes=draw(st.one_of(st.none(), st.tuples(SHAPE))),
            activation=draw(st.sampled_from([None, "linear", "softmax", "sigmoid", "relu"])),
            units=draw(st.one_of(st.none(), st.integers(1, 10))),
            pooling="average" if pool else None,
            pool_dims=int(name[-2]) if pool else None,
            inbound=(f"layer{i - 1}",) if i else ("input_layer",),
            is_model=name == "Functional",
            expanded=name == "Functional" and draw(st.booleans()),
            opaque=name == "KerasLayer",
            function=draw(st.booleans()),
            axes=draw(st.one_of(st.none(), st.tuples(st.integers(0, 4)))),
            reduces=draw(st.sampled_from([None, "spatial", "tokens", "channels", "batch"])),
            tokens=draw(st.one_of(st.none(), st.tuples(st.integers(0, 5), st.one_of(st.none(), st.integers(1, 9))))),
        ))
    return ModelRecord(
        source="generated",
        layers=tuple(layers),
        outputs=(layers[-1].name,),
        size=(224, 224),
        alt_size=(160, 160),
        loss=draw(st.sampled_from([None, "MeanSquaredError", *CROSSENTROPIES])),
        from_logits=draw(st.booleans()),
        build_error=draw(st.sampled_from([None, 'ValueError: Input 0 of layer "gap" is incompatible with the layer: '
                                                'expected ndim=4, found ndim=2. Full shape received: (None, 8)'])),
        notes=tuple(draw(st.lists(st.text(max_size=20), max_size=2))),
        input_note=draw(st.sampled_from(["", "(N, 784): what nn.Linear(784, 10) takes"])),
    )


@settings(max_examples=200, deadline=None)
@given(model_records(), st.one_of(st.none(), st.integers(1, 10)))
def test_rules_are_total_and_survive_json(record, num_classes):
    findings = run_rules("head", record, num_classes=num_classes)
    again = ModelRecord.from_json(json.loads(json.dumps(record.to_json())))
    assert again == record
    assert run_rules("head", again, num_classes=num_classes) == findings
    assert all(f.code.startswith("SL2") and f.message and f.fix for f in findings)


def test_channels_first_backbones_get_a_channels_first_pooling_fix():
    from shapelint.records.backbone import BackboneRecord, InputSpec, Layout, ProbeRecord

    spec = InputSpec(layout=Layout.NCHW)
    probes = tuple(ProbeRecord((n, n), (1, 3, n, n), {"output": (1, 16, n // 32, n // 32)}) for n in (224, 160))
    record = ModelRecord(
        "nchw",
        (LayerRecord("backbone", "Functional", ((None, 3, 224, 224),), ((None, 16, 7, 7),), ((None, 16, 5, 5),),
                     is_model=True),
         LayerRecord("flat", "Flatten", ((None, 16, 7, 7),), ((None, 784),), ((None, 400),), inbound=("backbone",),
                     kind="flatten")),
        outputs=("flat",), size=(224, 224), alt_size=(160, 160), backbone=BackboneRecord("backbone", spec, probes),
        backbone_layer="backbone",
    )
    (finding,) = run_rules("head", record)
    assert finding.fix == ("Replace Flatten 'flat' with GlobalAveragePooling2D(data_format=\"channels_first\") "
                           "(16 features at every size)")


# The loss table by name: torch records (framework "torch", losses named by their class) meet the same rules.

def torch_head(activation: str | None, units: int, loss: str) -> ModelRecord:
    layers = [LayerRecord("fc", "Linear", ((None, 16),), ((None, units),), kind="dense", units=units, activation="linear",
                          call=f"nn.Linear(16, {units})")]
    if activation:
        layers.append(LayerRecord("act", activation.capitalize(), ((None, units),), ((None, units),), inbound=("fc",),
                                  kind="activation", activation=activation, call=f"nn.{activation.capitalize()}()"))
    return ModelRecord("torch-head", tuple(layers), outputs=(layers[-1].name,), loss=loss, framework="torch")


@pytest.mark.parametrize("activation, units, loss, expected", [
    ("softmax", 5, "CrossEntropyLoss", ["SL205"]),  # CrossEntropyLoss takes logits
    (None, 5, "CrossEntropyLoss", []),
    ("sigmoid", 1, "BCEWithLogitsLoss", ["SL205"]),
    (None, 1, "BCEWithLogitsLoss", []),
    (None, 1, "BCELoss", ["SL205"]),  # BCELoss takes probabilities
    ("sigmoid", 1, "BCELoss", []),
    ("softmax", 5, "NLLLoss", ["SL205"]),  # NLLLoss takes log-probabilities
    ("log_softmax", 5, "NLLLoss", []),
    ("softmax", 5, "BCELoss", ["SL208"]),
    ("sigmoid", 5, "BCELoss", []),  # multi-label
    ("relu", 5, "CrossEntropyLoss", ["SL220"]),  # logits that cannot go negative
    ("softmax", 5, "MSELoss", ["SL211"]),
])
def test_torch_losses_slot_into_the_loss_table_by_name(activation, units, loss, expected):
    findings = run_rules("head", torch_head(activation, units, loss))
    assert [f.code for f in findings] == expected
    assert all("nn." in f.message + f.fix and "from_logits" not in f.fix for f in findings)
