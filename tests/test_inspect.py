"""`shapelint inspect`: SavedModels read as data, pooling found in the traced graph, nothing executed."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapelint.adapters.tensorflow import savedmodel_proto as sp
from shapelint.adapters.tensorflow.inspector import inspect_source
from shapelint.cli import main
from shapelint.formatters.inspect import INSPECT_FORMATTERS
from shapelint.records.backbone import InputSpec
from shapelint.records.inner_pooling import Function, Op, analyse_output, walk_back
from shapelint.records.inspection import Endpoint, Inspection, OutputAnalysis, TensorInfo, Variables, usage_note

HANDLE = "https://tfhub.dev/example/tiny_feature_vector/1"


@pytest.fixture(scope="session")
def tf():
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    return import_tensorflow()


@pytest.fixture(scope="session")
def built(tf, tmp_path_factory):
    """Small SavedModels made here, each the way its kind of module is really saved."""
    import keras
    import tf_keras

    root = tmp_path_factory.mktemp("inspect")
    marker = root / "executed.txt"

    class HubStyle(tf.Module):
        """A reusable SavedModel as TF Hub documents it: __call__, variables, trainable_variables; it
        declares its input range and writes a file whenever it runs."""

        variables = trainable_variables = ()  # plain attributes here, not tf.Module's properties: saved lists

        def __init__(self):
            super().__init__()
            self.kernel = tf.Variable(tf.random.normal([3, 3, 3, 8]))
            self.moving_mean = tf.Variable(tf.zeros([8]), trainable=False)
            self.input_range = tf.Variable([0.0, 1.0], trainable=False)
            self.variables = [self.kernel, self.moving_mean]
            self.trainable_variables = [self.kernel]

        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        def __call__(self, images):
            tf.io.write_file(str(marker), "executed")
            y = tf.nn.conv2d(images, self.kernel, 2, "SAME") - self.moving_mean
            return tf.reshape(tf.reduce_mean(y, axis=[1, 2], keepdims=True), [-1, 8])

    tf.saved_model.save(HubStyle(), str(root / "hub_style"))

    class Module(tf.Module):
        def __init__(self, body):
            super().__init__()
            self.kernel = tf.Variable(tf.ones([1, 1, 3, 4]))
            self.body = body

        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        def __call__(self, images):
            return self.body(tf.nn.conv2d(images, self.kernel, 1, "SAME"))

    bodies = {
        "channels_first_max": lambda y: tf.reduce_max(tf.transpose(y, [0, 3, 1, 2]), axis=[2, 3]),
        "token_mean": lambda y: tf.reduce_mean(tf.reshape(y, [tf.shape(y)[0], -1, 4]), axis=1),
        "dense_after_mean": lambda y: tf.matmul(tf.reduce_mean(y, axis=[1, 2]), tf.ones([4, 2])),
    }
    for name, body in bodies.items():
        tf.saved_model.save(Module(body), str(root / name))

    class TextWithImageHelper(tf.Module):
        """Takes text; a second root function takes images, but the probe never calls such a function."""

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            return tf.strings.length(text)

        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        def encode(self, images):
            return tf.reduce_mean(images, axis=[1, 2])

    tf.saved_model.save(TextWithImageHelper(), str(root / "extra_function"))

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, strides=2)(inputs)
    keras.Model(inputs, keras.layers.GlobalMaxPooling2D()(x)).export(str(root / "keras3_export"), verbose=False)

    with tf.Graph().as_default():  # a TF1 SavedModel: signatures over graph tensors, no object graph
        images = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3], name="images")
        kernel = tf.compat.v1.get_variable("kernel", [1, 1, 3, 4])
        scale = tf.compat.v1.get_variable("scale", [], trainable=False)
        pooled = tf.reduce_mean(tf.nn.conv2d(images, kernel, 1, "SAME") * scale, axis=[1, 2])
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            builder = tf.compat.v1.saved_model.Builder(str(root / "tf1"))
            signature = tf.compat.v1.saved_model.predict_signature_def({"images": images}, {"default": pooled})
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map={"default": signature})
            builder.save()

    inputs = tf_keras.Input((None, None, 3))
    x = tf_keras.layers.Conv2D(4, 3)(inputs)
    x = tf_keras.layers.BatchNormalization()(x)
    tf.saved_model.save(tf_keras.Model(inputs, tf_keras.layers.GlobalAveragePooling2D()(x)), str(root / "tf_keras_saved"))
    return root


def inspect_ok(path):
    result = inspect_source(str(path))
    assert result.error is None, result.error
    return result


def checkpoint_parameters(tf, path) -> int:
    """Parameters as the checkpoint file counts them: an independent check on the object-graph reading."""
    entries = tf.train.list_variables(str(path / "variables" / "variables"))
    return sum(math.prod(shape) for name, shape in entries if "_CHECKPOINTABLE_OBJECT_GRAPH" not in name)


@pytest.mark.parametrize("name, pooling, tail_end", [
    ("hub_pooled_mean", "mean", "Mean(axes=[1, 2])"),
    ("hub_pooled_max", "max", "Max(axes=[1, 2])"),
    ("hub_feature_map", "none", "Relu"),
    ("hub_fixed_224", "mean", "Mean(axes=[1, 2])"),
])
def test_bundled_hub_modules(fixtures_dir, tf, name, pooling, tail_end):
    result = inspect_ok(fixtures_dir / name)
    (output,) = result.outputs
    assert (output.pooling, output.tail_ops[-1]) == (pooling, tail_end)
    assert output.tail_ops[:2] == ("Relu", "Conv2D") or pooling == "none"  # the walk crossed the conv layers
    assert result.probe_endpoint == "__call__"
    assert result.variables.parameters == checkpoint_parameters(tf, fixtures_dir / name) == 1392
    assert result.input.channels == 3 and result.input.dtype == "float32"


def test_fixed_signature_is_reported_as_fixed(fixtures_dir):
    data = inspect_ok(fixtures_dir / "hub_fixed_224").to_json()
    assert data["inputs"]["fixed_size"] is True
    assert (data["inputs"]["height"], data["inputs"]["width"]) == (224, 224)
    assert data["endpoints"][0]["inputs"][0]["shape"] == [1, 224, 224, 3]
    assert "fixes the input to 224x224" in data["usage"]
    assert inspect_ok(fixtures_dir / "hub_pooled_mean").to_json()["inputs"]["fixed_size"] is False


def test_dict_outputs_each_get_their_own_pooling(fixtures_dir):
    data = inspect_ok(fixtures_dir / "hub_dict_outputs").to_json()
    assert data["inner_pooling"] == {"feature_map": "none", "pooled": "mean"}
    assert data["tail_ops"]["pooled"][-1] == "Mean(axes=[1, 2])"
    assert data["signatures"]["serving_default"]["outputs"] == [
        {"name": "feature_map", "dtype": "float32", "shape": [None, None, None, 16]},
        {"name": "pooled", "dtype": "float32", "shape": [None, 16]},
    ]
    assert "feature_map is a feature map" in data["usage"] and "pooled is already pooled" in data["usage"]


def test_hub_style_module_pools_through_reshape_and_declares_its_range(built):
    result = inspect_ok(built / "hub_style")
    (output,) = result.outputs
    assert output.pooling == "mean"
    assert output.tail_ops[-2:] == ("Mean(axes=[1, 2])", "Reshape")
    assert result.value_range == (0.0, 1.0)
    assert (result.variables.count, result.variables.trainable) == (2, 1)
    assert (result.variables.parameters, result.variables.trainable_parameters) == (3 * 3 * 3 * 8 + 8, 3 * 3 * 3 * 8)
    assert result.fine_tunable is True


def test_inspect_does_not_execute_the_module(built, tf):
    marker = built / "executed.txt"
    marker.unlink(missing_ok=True)
    result = CliRunner().invoke(main, ["inspect", str(built / "hub_style")])
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    tf.saved_model.load(str(built / "hub_style"))(tf.zeros([1, 8, 8, 3]))  # running it does write: the check can fail
    assert marker.read_text() == "executed"
    marker.unlink()


@pytest.mark.parametrize("name, pooling, tail_end", [
    ("channels_first_max", "max", "Max(axes=[2, 3])"),
    ("token_mean", "unknown", "Mean(axes=[1])"),  # a reduction, but not over height and width
    ("dense_after_mean", "unknown", "MatMul"),  # pooled, then a head: the walk stops at the head
])
def test_only_a_spatial_reduction_at_the_end_counts(built, name, pooling, tail_end):
    (output,) = inspect_ok(built / name).outputs
    assert (output.pooling, output.tail_ops[-1]) == (pooling, tail_end)


def test_keras3_export_probe_uses_serve_and_hub_needs_a_signature(built, tf):
    from shapelint.adapters.tensorflow.savedmodel import choose_endpoint

    result = inspect_ok(built / "keras3_export")
    assert result.outputs[0].pooling == "max"
    assert result.probe_endpoint == choose_endpoint(tf.saved_model.load(str(built / "keras3_export")), "x")[0] == "serve"
    assert {(e.name, e.kind) for e in result.endpoints} == {("serve", "function"), ("serve", "signature"),
                                                             ("serving_default", "signature")}
    assert result.fine_tunable is False
    assert 'signature="serving_default", output_key="output_0"' in result.usage
    assert 'TFSMLayer(' in result.usage and "import tf_keras" in result.usage


def test_tf_keras_saved_model_walks_nested_layer_functions(built, tf):
    from shapelint.adapters.tensorflow.savedmodel import choose_endpoint, traces
    from shapelint.records.inspection import probe_endpoint

    result = inspect_ok(built / "tf_keras_saved")
    chosen = next(e for e in result.endpoints if e.function == result.probe_function)
    assert (chosen.name, chosen.arguments) == ("__call__", ("training=False", "mask=None"))
    loaded = tf.saved_model.load(str(built / "tf_keras_saved"))
    assert choose_endpoint(loaded, "x")[0] == "__call__"
    live = probe_endpoint(t.endpoint for t in traces(loaded))  # the same rule, on the loaded object's traces
    assert (live.name, live.kind, live.inputs, live.arguments) == (chosen.name, chosen.kind, chosen.inputs, chosen.arguments)
    (output,) = result.outputs
    assert output.pooling == "mean"
    assert output.tail_ops[-3:] == ("BiasAdd", "FusedBatchNormV3", "Mean(axes=[1, 2])")
    assert (result.variables.count, result.variables.trainable) == (6, 4)  # BN moving stats are not trainable
    assert result.variables.parameters == checkpoint_parameters(tf, built / "tf_keras_saved") == 4 * 27 + 4 + 4 * 4


def test_tf1_saved_model_is_walked_in_its_graph(built, tf):
    from shapelint.adapters.tensorflow.savedmodel import choose_endpoint

    result = inspect_ok(built / "tf1")
    assert [(e.name, e.kind) for e in result.endpoints] == [("default", "signature")]
    assert choose_endpoint(tf.saved_model.load(str(built / "tf1")), "x")[0] == result.probe_endpoint == "default"
    (output,) = result.outputs
    assert (output.pooling, output.tail_ops) == ("mean", ("Placeholder", "Conv2D", "Mul", "Mean(axes=[1, 2])"))
    assert (result.variables.count, result.variables.trainable, result.variables.parameters) == (2, 1, 13)
    assert result.fine_tunable is False


def test_only_the_endpoints_the_probe_calls_count(built, tf):
    """inspect marks the endpoint the probe would call, by the same rule: a root function other than
    __call__ and serve is listed but never chosen, even when it takes images."""
    from shapelint.adapters.tensorflow.savedmodel import choose_endpoint
    from shapelint.sources import SourceError

    result = inspect_ok(built / "extra_function")
    assert "encode" in {e.name for e in result.endpoints}
    assert result.probe_endpoint is None and result.outputs == ()
    with pytest.raises(SourceError, match="no endpoint takes one image tensor"):
        choose_endpoint(tf.saved_model.load(str(built / "extra_function")), "x")


@pytest.mark.parametrize("path, expected", [("fixtures/hub_pooled_mean", 4), ("built/hub_style", 1),
                                            ("built/tf_keras_saved", 4)])
def test_fine_tune_claim_matches_hub_keras_layer(fixtures_dir, built, tf, path, expected):
    import tensorflow_hub as hub

    folder = (fixtures_dir if path.startswith("fixtures") else built) / path.split("/")[1]
    result = inspect_ok(folder)
    layer = hub.KerasLayer(str(folder), trainable=True)
    assert len(layer.trainable_weights) == expected
    assert result.fine_tunable is (expected > 0)


@pytest.mark.parametrize("path", ["fixtures/hub_pooled_mean", "built/keras3_export", "built/tf_keras_saved", "built/tf1"])
def test_usage_snippet_runs_and_needs_no_extra_pooling(fixtures_dir, built, tf, path):
    import tensorflow_hub as hub
    import tf_keras

    folder = (fixtures_dir if path.startswith("fixtures") else built) / path.split("/")[1]
    usage = inspect_ok(folder).usage
    (line,) = [line.strip() for line in usage.splitlines() if line.strip().startswith("model = ")]
    scope = {"tf_keras": tf_keras, "hub": hub, "num_classes": 5}
    exec(line, scope)
    assert scope["model"](tf.zeros([2, 40, 40, 3])).shape == (2, 5)
    assert "do not add GlobalAveragePooling2D" in usage


def test_mobilenet_feature_vector(fixtures_dir, tf):
    data = inspect_ok(fixtures_dir / "mobilenet_v2_035_feature_vector").to_json()
    assert data["inner_pooling"] == {"output": "mean"}
    assert data["tail_ops"]["output"][-2:] == ["Relu6", "Mean(axes=[1, 2])"]
    assert data["outputs"] == [{"name": "output", "dtype": "float32", "shape": [None, 1280]}]
    assert data["parameters"] == {"total": 410208, "trainable": 396128, "non_trainable": 14080}
    assert data["variables"]["count"] == 260
    assert "do not add GlobalAveragePooling2D" in data["usage"]


def test_hub_handle_resolves_through_the_cache(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    shutil.copytree(fixtures_dir / "hub_pooled_max", tmp_path / hashlib.sha1(HANDLE.encode()).hexdigest())
    result = CliRunner().invoke(main, ["inspect", HANDLE, "--format", "json"])
    assert result.exit_code == 0, result.output
    (data,) = json.loads(result.output)["results"]
    assert (data["source"], data["kind"], data["inner_pooling"]) == (HANDLE, "hub", {"output": "max"})
    assert f'hub.KerasLayer("{HANDLE}")' in data["usage"]
    for key in ("signatures", "inputs", "outputs", "variables", "parameters", "inner_pooling", "tail_ops"):
        assert key in data


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "shapelint", "inspect", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_missing_hub_module_is_one_line_naming_the_folder(tmp_path):
    result = run_cli(HANDLE, env={"TFHUB_CACHE_DIR": str(tmp_path)})
    folder = tmp_path / hashlib.sha1(HANDLE.encode()).hexdigest()
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(folder) in result.stderr and "Traceback" not in result.stderr


def test_bad_sources_exit_2_with_one_line_each_and_good_ones_still_reported(fixtures_dir, tmp_path):
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "saved_model.pb").write_bytes(b"\x08\xff\xff not a protocol buffer")
    result = run_cli(str(corrupt), str(fixtures_dir / "hub_pooled_mean"), str(tmp_path / "nothing"))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("shapelint: ") for line in lines), result.stderr
    assert "cannot parse saved_model.pb" in lines[0] and "no such file or directory" in lines[1]
    assert "mean" in result.stdout and "Mean(axes=[1, 2])" in result.stdout


def test_other_sources_by_what_their_adapter_says(fixtures_dir):
    keras_file = inspect_ok(fixtures_dir / "tiny_map.keras")
    assert keras_file.kind == "keras3"
    assert [(o.name, o.shape, o.pooling) for o in keras_file.outputs] == [("output", (None, 56, 56, 16), "none")]
    assert keras_file.variables.parameters == 8 * 27 + 8 + 16 * 72 + 16
    h5 = inspect_ok(fixtures_dir / "tiny_pooled.h5")
    assert [(o.shape, o.pooling) for o in h5.outputs] == [((None, 16), "mean")]
    assert keras_file.suspicious is None and h5.suspicious is None  # not SavedModels: nothing was scanned


def test_ops_by_function_reaches_nested_calls(built):
    proto = sp.read(built / "tf_keras_saved")
    library = sp.function_library(proto)
    ops = sp.ops_by_function(proto)
    callers = [name for name, f in library.items()
               if "Mean" not in {n.op for n in f.node_def} and "Mean" in ops[name]]
    assert callers, "no function reaches Mean only through a call"
    assert "StatefulPartitionedCall" in ops[callers[0]] or "PartitionedCall" in ops[callers[0]]
    assert "WriteFile" in sp.graph_ops(sp.read(built / "hub_style"))
    assert "WriteFile" not in sp.graph_ops(proto)


def test_walk_backs_out_of_a_callee_through_its_argument():
    """A callee that returns its argument: the walk continues in the caller, at the call's input."""
    inner = Function("inner", ("x",), ("x",), ("y",), {})
    outer = Function("outer", ("images",), ("out:output:0",), ("z",), {
        "axes": Op("axes", "Const", value=(1, 2)),
        "mean": Op("mean", "Mean", ("images", "axes:output:0")),
        "call": Op("call", "PartitionedCall", ("mean:output:0",), calls="inner"),
        "out": Op("out", "Identity", ("call:output:0",)),
    })
    functions = {"inner": inner, "outer": outer}
    assert [op.type for op, _ in walk_back(functions, "outer", 0)] == ["Identity", "Mean"]
    analysis = analyse_output(functions, "outer", 0, "z", "float32", (None, 4))
    assert (analysis.pooling, analysis.tail_ops) == ("mean", ("Mean(axes=[1, 2])",))


GOLDEN = Path(__file__).parent / "golden"


def fixed_inspections() -> list:
    """Written out rather than read from a SavedModel, so the golden files change only with the formats."""
    image = TensorInfo("inputs", "float32", (None, None, None, 3))
    outputs = (TensorInfo("feature_map", "float32", (None, None, None, 16)), TensorInfo("pooled", "float32", (None, 16)))
    endpoints = (
        Endpoint("__call__", "function", "__inference__call_10", (image,), outputs, ("training=False",)),
        Endpoint("serving_default", "signature", "__inference_signature_wrapper_20", (image,), outputs),
    )
    analysed = (
        OutputAnalysis("feature_map", "float32", (None, None, None, 16), "none", ("Conv2D", "BiasAdd", "Relu")),
        OutputAnalysis("pooled", "float32", (None, 16), "mean", ("BiasAdd", "Relu", "Mean(axes=[1, 2])")),
    )
    inspection = Inspection("hub/dict_outputs", "hub", endpoints, "__call__", "__inference__call_10",
                            InputSpec(height=224, width=224), (0.0, 1.0), analysed, Variables(4, 3, 1392, 1376),
                            True, "hub.KerasLayer(trainable=True) would train 3 variables (1,376 parameters)",
                            notes=("read from saved_model.pb: nothing was loaded or executed",), suspicious=())
    inspection = replace(inspection, usage=usage_note(inspection, "hub/dict_outputs"))
    hostile = Inspection("untrusted/module", "savedmodel", suspicious=(
        ("__inference___call___12", ("PyFunc", "WriteFile")), ("graph", ("ReadFile",))))
    keras_file = Inspection("model.keras", "keras3", input=InputSpec(), notes=("loaded by the keras3 adapter",))
    return [inspection, hostile, keras_file, Inspection("missing/module", error="missing/module: no such file or directory")]


@pytest.mark.parametrize("fmt, suffix", [("table", "txt"), ("json", "json")])
def test_golden(fmt, suffix):
    path = GOLDEN / f"inspect.{fmt}.{suffix}"
    text = INSPECT_FORMATTERS[fmt](fixed_inspections())
    if os.environ.get("SHAPELINT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with SHAPELINT_UPDATE_GOLDEN=1 and review the diff"
    assert text == path.read_text(encoding="utf-8")


def test_a_pytorch_source_is_declined_in_one_line_without_loading_it(tmp_path):
    """inspect runs in a process that may hold TensorFlow: a torch source is never imported beside it."""
    factory = tmp_path / "net.py"
    marker = tmp_path / "ran"
    factory.write_text(f"import torch\nopen({str(marker)!r}, 'w')\ndef build():\n    return torch.nn.Linear(2, 2)\n")
    result = run_cli("timm:resnet18?num_classes=0", f"{factory}:build")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all("for a PyTorch source, `shapelint probe` shows what it returns" in line for line in lines)
    assert not marker.exists() and "Traceback" not in result.stderr


@pytest.mark.parametrize("name, pooled_by", [("hub_feature_map", "tf_keras.layers.GlobalAveragePooling2D()"),
                                             ("hub_dict_outputs", 'output_key="pooled"')])
def test_usage_line_is_a_working_classifier_for_feature_maps_and_dicts(fixtures_dir, tf, name, pooled_by):
    """The copy-paste line itself pools a feature map, and picks a dict's pooled output with output_key."""
    import tensorflow_hub as hub
    import tf_keras

    usage = inspect_ok(fixtures_dir / name).usage
    (line,) = [line.strip() for line in usage.splitlines() if line.strip().startswith("model = ")]
    assert pooled_by in line
    scope = {"tf_keras": tf_keras, "hub": hub, "num_classes": 5}
    exec(line.replace('"fixtures/', f'"{fixtures_dir}/'), scope)
    assert scope["model"](tf.zeros([2, 40, 40, 3])).shape == (2, 5)


def test_layers_of_a_hub_module_grouped_with_their_shapes_and_where_the_map_halves(fixtures_dir):
    result = CliRunner().invoke(main, ["inspect", str(fixtures_dir / "mobilenet_v2_035_feature_vector"), "--layers"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line and not line.startswith(" ")}
    assert "kernel (3, 3, 3, 16)" in rows["Conv1"] and rows["Conv1"].rstrip().endswith("2")
    assert "gamma, beta, moving_mean, moving_variance (16,)" in rows["bn_Conv1"]
    assert rows["block_13_depthwise"].rstrip().endswith("32")
    assert ("the spatial size halves 5 times: at Conv1 (stride 2), block_1_depthwise (4), block_3_depthwise (8), "
            "block_6_depthwise (16), block_13_depthwise (32)") in result.stdout
    data = json.loads(CliRunner().invoke(main, ["inspect", str(fixtures_dir / "mobilenet_v2_035_feature_vector"),
                                                "--format", "json"]).stdout)["results"][0]
    conv1 = data["layers"][0]
    assert conv1 == {"name": "Conv1", "variables": [{"name": "kernel", "shape": [3, 3, 3, 16], "trainable": True}],
                     "parameters": 432, "stride": 2}
