"""Hostile models: Keras files with Lambda payloads and SavedModels that touch the host are refused
before anything of theirs runs. Every payload writes a marker file; the tests assert it never appears
unless the user opted in, and that the model files themselves are left unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shapelint.adapters.tensorflow import kerasfile, kerasscan, opscan
from shapelint.engine.run import Options, probe_source
from shapelint.sources import SourceError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile as corpus_builder  # noqa: E402  (tests/ is not a package; "hostile" is a fixture here)

# Keras' own warnings while these tests save and load models (legacy HDF5, numpy 2 __array__): not shapelint's
pytestmark = pytest.mark.filterwarnings("ignore:::(keras|tf_keras|tensorflow)")
SIZES = ((8, 8),)
SHAPELINT = [sys.executable, "-m", "shapelint"]


def digest(path: Path) -> str:
    """The bytes of a file or folder; a symlink counts as where it points (following it would read the target)."""
    files = sorted(p for p in Path(path).rglob("*") if p.is_file() or p.is_symlink()) if Path(path).is_dir() else [Path(path)]
    return hashlib.sha256(b"".join(os.readlink(p).encode() if p.is_symlink() else p.read_bytes() for p in files)).hexdigest()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """Models whose every payload creates `marker`; built once, the marker removed after building."""
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras
    import tf_keras

    out = tmp_path_factory.mktemp("hostile")
    marker = out / "PWNED"
    target = str(marker)
    spec = [tf.TensorSpec((None, None, None, 3))]

    def pooled(x):
        return tf.reduce_mean(x, [1, 2])

    def touch(x):
        open(target, "w").close()
        return x

    @tf.function
    def inner(x):
        tf.io.write_file(target, "pwned")
        return x

    class Write(tf.Module):
        @tf.function(input_signature=spec)
        def __call__(self, x):
            tf.io.write_file(target, "pwned")
            return pooled(x)

    class Nested(tf.Module):
        @tf.function(input_signature=spec)
        def __call__(self, x):
            return pooled(inner(x))

    class Read(tf.Module):
        @tf.function(input_signature=spec)
        def __call__(self, x):
            size = tf.strings.length(tf.io.read_file(str(out / "secret.txt")))
            return pooled(x) + tf.cast(size, tf.float32) * 0

    class PyFunction(tf.Module):
        @tf.function(input_signature=spec)
        def __call__(self, x):
            return pooled(tf.py_function(touch, [x], tf.float32))

    class NumpyFunction(tf.Module):
        @tf.function(input_signature=spec)
        def __call__(self, x):
            return pooled(tf.numpy_function(touch, [x], tf.float32))

    class Checkpoint(tf.Module):
        @tf.function(input_signature=spec)
        def __call__(self, x):
            tf.raw_ops.SaveV2(prefix=target, tensor_names=["x"], shape_and_slices=[""], tensors=[x])
            return pooled(x)

    class PrintToFile(tf.Module):
        @tf.function(input_signature=spec)
        def __call__(self, x):
            tf.print(x, output_stream=f"file://{target}")
            return pooled(x)

    class Initialiser(tf.saved_model.experimental.TrackableResource):
        """tf.saved_model.load itself runs _initialize: the scan has to come before loading."""

        def _create_resource(self):
            return tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[], shared_name="shapelint_test_init")

        def _initialize(self):
            tf.io.write_file(target, "pwned")
            tf.raw_ops.AssignVariableOp(resource=self.resource_handle, value=1.0)

    class Initialised(tf.Module):
        def __init__(self):
            self.resource = Initialiser()

        @tf.function(input_signature=spec)
        def __call__(self, x):
            return pooled(x)

    models = {}
    for name, cls in [("write", Write), ("nested", Nested), ("read", Read), ("py_function", PyFunction),
                      ("numpy_function", NumpyFunction), ("checkpoint", Checkpoint), ("print", PrintToFile),
                      ("initialiser", Initialised)]:
        models[name] = out / name
        tf.saved_model.save(cls(), str(models[name]))

    # TF1: the legacy init op in the graph itself, run by load_v1_in_v2
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, (None, None, None, 3), name="x")
        with tf.compat.v1.Session() as session:
            builder = tf.compat.v1.saved_model.Builder(str(out / "tf1_init"))
            builder.add_meta_graph_and_variables(
                session, ["serve"], main_op=tf.group(tf.io.write_file(target, "pwned")),
                signature_def_map={"serving_default": tf.compat.v1.saved_model.predict_signature_def(
                    {"x": x}, {"y": tf.reduce_mean(x, [1, 2])})})
            builder.save()
    models["tf1_init"] = out / "tf1_init"

    # the path is a constant in the lambda's bytecode: a closure would not survive serialisation
    payload = eval(f"lambda t: (open({target!r}, 'w').close(), t)[1]")  # noqa: S307

    inputs = keras.Input((None, None, 3))
    k3 = keras.Model(inputs, keras.layers.Conv2D(2, 3)(keras.layers.Lambda(payload, name="payload")(inputs)))
    k3.save(out / "lambda.keras")
    k3.save(out / "lambda_keras3.h5")
    t_inputs = tf_keras.Input((None, None, 3))
    t_out = tf_keras.layers.Conv2D(2, 3)(tf_keras.layers.Lambda(payload, name="payload")(t_inputs))
    tf_keras.Model(t_inputs, t_out).save(out / "lambda_tf_keras.h5")
    models.update({"keras": out / "lambda.keras", "keras3_h5": out / "lambda_keras3.h5",
                   "tf_keras_h5": out / "lambda_tf_keras.h5"})

    (out / "secret.txt").write_text("secret")
    if marker.exists():
        marker.unlink()  # building and tracing the models ran the Lambda payloads once
    return models, marker


SAVEDMODELS = {
    "write": "WriteFile", "nested": "WriteFile", "read": "ReadFile", "py_function": "EagerPyFunc",
    "numpy_function": "PyFunc", "checkpoint": "SaveV2", "print": "PrintV2",
    "initialiser": "WriteFile", "tf1_init": "WriteFile",
}
KERAS_FILES = ["keras", "keras3_h5", "tf_keras_h5"]


@pytest.mark.parametrize("name", sorted(SAVEDMODELS))
def test_hostile_savedmodel_is_scanned_not_run(hostile, name):
    models, marker = hostile
    before = digest(models[name])
    result = probe_source(str(models[name]), Options(sizes=SIZES))
    assert not written(marker), f"{name}: the payload ran"
    assert digest(models[name]) == before
    findings = [f for f in result.findings if f.code == "SL105"]
    assert len(findings) == 1, result
    assert SAVEDMODELS[name] in findings[0].message and "not loaded or executed" in findings[0].message
    assert findings[0].severity == "error" and findings[0].rule == "suspicious-op"
    assert result.backbone is not None and not any(r.executed for r in result.backbone.records)


def test_hostile_savedmodel_falls_back_to_saved_shapes(hostile):
    models, _ = hostile
    result = probe_source(str(models["write"]), Options(sizes=((8, 8), (16, 24))))
    assert [r.outputs for r in result.backbone.records] == [{"output": (1, 3)}] * 2
    assert result.verdict["pooling"] == "applied"


def test_names_the_function_holding_the_op(hostile):
    models, _ = hostile
    found = dict(opscan.scan_path(models["nested"]))
    assert [where for where, ops in found.items() if "WriteFile" in ops] == [
        next(w for w in found if "inner" in w)]


def test_inspect_shows_the_host_access_ops(hostile, fixtures_dir):
    """A user inspecting an untrusted module sees what SL105 would report, in a line and in JSON; nothing runs."""
    from click.testing import CliRunner

    from shapelint.cli import main

    models, marker = hostile
    found = opscan.scan_path(models["nested"])
    table = CliRunner().invoke(main, ["inspect", str(models["nested"]), str(fixtures_dir / "hub_pooled_mean")])
    assert table.exit_code == 0, table.output
    hostile_line, clean_line = [line for line in table.output.splitlines() if line.startswith("ops outside the allowlist:")]
    where = next(where for where, ops in found if "WriteFile" in ops)
    assert f"WriteFile in {where}" in hostile_line and "--trust" in hostile_line
    assert clean_line == "ops outside the allowlist: none"
    run = CliRunner().invoke(main, ["inspect", "--format", "json", str(models["nested"]), str(fixtures_dir / "hub_pooled_mean")])
    hostile_json, clean_json = json.loads(run.output)["results"]
    assert hostile_json["suspicious"] == [[where, list(ops)] for where, ops in found] != []
    assert clean_json["suspicious"] == []
    assert not written(marker)


def written(marker: Path) -> list[Path]:
    """The marker and what SaveV2 makes of it as a prefix (marker.index, marker.data-...)."""
    return sorted(marker.parent.glob(marker.name + "*"))


@pytest.mark.parametrize("name", sorted(set(SAVEDMODELS) - {"read", "checkpoint"}))  # those two write nothing
def test_trust_loads_and_executes(hostile, name):
    """The payloads are real: with --trust each one writes. py_function and numpy_function run here because
    this process registered their callbacks when it built the models; the initialisers run while loading."""
    models, marker = hostile
    try:
        result = probe_source(str(models[name]), Options(sizes=SIZES, trust=True))
        assert written(marker), f"--trust did not execute {name}: {result.error}"
        assert "executed because of --trust" in next(f for f in result.findings if f.code == "SL105").message
    finally:
        for path in written(marker):
            path.unlink()


def test_cli_refuses_then_trust_runs(hostile):
    models, marker = hostile
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}  # our own quieting must hold without the test's help
    common = ["probe", "--sizes", "8", "--format", "json", "--no-cache", "--jobs", "1"]
    refused = subprocess.run(SHAPELINT + common + [str(models["initialiser"])], capture_output=True, text=True, env=env)
    assert refused.returncode == 0, refused.stderr
    assert not marker.exists()
    assert '"SL105"' in refused.stdout and refused.stderr == ""
    try:  # --trust runs the payload, in a worker the kernel confines to its own folder: it cannot write the marker
        trusted = subprocess.run(SHAPELINT + common + ["--trust", str(models["write"])], capture_output=True, text=True)
        # its write is denied at every size, so no size works: could not check (2), never a pass
        assert trusted.returncode == 2 and "no input size works" in trusted.stderr, trusted.stderr
        assert not marker.exists()
        unconfined = subprocess.run(SHAPELINT + common + ["--trust", "--no-sandbox", str(models["write"])],
                                    capture_output=True, text=True)
        assert unconfined.returncode == 0, unconfined.stderr
        assert marker.exists()
    finally:
        marker.unlink(missing_ok=True)


@pytest.mark.parametrize("name", KERAS_FILES)
def test_keras_lambda_is_refused_before_loading(hostile, name):
    models, marker = hostile
    before = digest(models[name])
    result = probe_source(str(models[name]), Options(sizes=SIZES))
    assert not marker.exists()
    assert digest(models[name]) == before
    assert result.error.startswith(f"{models[name]}: refused to load: Lambda layer 'payload'")
    assert result.error.endswith("(pass --unsafe-load to allow)") and "\n" not in result.error


@pytest.mark.parametrize("name", ["keras", "tf_keras_h5"])
def test_unsafe_load_runs_the_lambda(hostile, name):
    models, marker = hostile
    try:
        result = probe_source(str(models[name]), Options(sizes=SIZES, unsafe_load=True))
        assert result.error is None, result.error
        assert marker.exists()
    finally:
        marker.unlink(missing_ok=True)


def test_clean_models_are_not_suspicious(fixtures_dir, tmp_path):
    """No false alarms: the bundled fixtures, a Keras 3 export, a tf_keras SavedModel and a TF1 SavedModel
    with its saver all keep their checkpoint ops on the save/restore path."""
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras
    import tf_keras

    keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(2, 3), keras.layers.BatchNormalization(),
                      keras.layers.GlobalAveragePooling2D()]).export(str(tmp_path / "export"), verbose=False)
    tf_keras.Sequential([tf_keras.layers.Conv2D(2, 3, input_shape=(None, None, 3)),
                         tf_keras.layers.GlobalAveragePooling2D()]).save(str(tmp_path / "tf_keras"), save_format="tf")
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, (None, None, None, 3))
        v = tf.compat.v1.get_variable("v", (3, 2))
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            builder = tf.compat.v1.saved_model.Builder(str(tmp_path / "tf1"))
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map={
                "serving_default": tf.compat.v1.saved_model.predict_signature_def(
                    {"x": x}, {"y": tf.matmul(tf.reduce_mean(x, [1, 2]), v)})})
            builder.save()
    folders = [p for p in fixtures_dir.iterdir() if (p / "saved_model.pb").is_file()]
    folders += [tmp_path / "export", tmp_path / "tf_keras", tmp_path / "tf1"]
    assert len(folders) >= 6
    for folder in folders:
        assert opscan.scan_path(folder) == (), folder
    compiled = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(2, 3),
                                 keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    compiled.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                     metrics=["accuracy"])
    compiled.save(tmp_path / "compiled.keras")
    compiled.save(tmp_path / "compiled.h5")
    legacy = tf_keras.Sequential([tf_keras.layers.Dense(3, activation="softmax", input_shape=(4,))])
    legacy.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    legacy.save(tmp_path / "compiled_tf_keras.h5")
    files = [fixtures_dir / "tiny_map.keras", fixtures_dir / "tiny_pooled.h5", tmp_path / "compiled.keras",
             tmp_path / "compiled.h5", tmp_path / "compiled_tf_keras.h5"]
    for path in files:
        config = kerasscan.read_config(path)
        assert kerasscan.unsafe_objects(config) == [], path
    assert "training_config" in kerasscan.read_config(tmp_path / "compiled_tf_keras.h5")  # compiling reads it: scanned


def _with_node(path, op: str, **func_attr):
    """(proto at path with one more node in the function its __call__ endpoint runs, that function's name)."""
    from shapelint.adapters.tensorflow import savedmodel_proto

    proto = savedmodel_proto.read(path)
    name = next(e.function for e in savedmodel_proto.endpoints(proto) if e.name == "__call__")
    function = next(f for f in proto.meta_graphs[0].graph_def.library.function if f.signature.name == name)
    node = function.node_def.add(name="added", op=op)
    for key, value in func_attr.items():
        node.attr[key].func.name = value
    return proto, name


def test_checkpoint_ops_only_on_the_restore_path(fixtures_dir):
    """Every SavedModel with variables has RestoreV2 in its restore function; in __call__ it is suspicious."""
    assert opscan.scan_path(fixtures_dir / "hub_pooled_mean") == ()
    proto, name = _with_node(fixtures_dir / "hub_pooled_mean", "RestoreV2")
    assert opscan.scan(proto) == ((name, ("RestoreV2",)),)


def test_a_call_naming_an_op_instead_of_a_function(fixtures_dir):
    """A func attr may name a registered op, which the runtime then runs: the scan treats it as that op."""
    proto, name = _with_node(fixtures_dir / "hub_pooled_mean", "StatefulPartitionedCall", f="WriteFile")
    assert opscan.scan(proto) == ((name, ("WriteFile",)),)
    proto, name = _with_node(fixtures_dir / "hub_pooled_mean", "StatefulPartitionedCall", f=name)
    node = next(f for f in proto.meta_graphs[0].graph_def.library.function if f.signature.name == name).node_def[-1]
    node.attr["f"].func.attr["g"].func.name = "DumpTensor"  # instantiated with an op as an attr, however deep
    assert opscan.scan(proto) == ((name, ("DumpTensor",)),)


def test_the_op_allowlist_itself():
    """Every listed op is a real op (a typo would refuse nothing and allow nothing), and none allowed anywhere
    takes an attr or input named like a file, directory, path, URL, pattern or log dir."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import allowed_ops

    ops = allowed_ops.registry()
    lists = opscan.allowed()
    listed = set(lists["anywhere_set"]) | set(lists["save_path"]) | set(lists["restore_path"]) | set(lists["asset_readers"])
    assert sorted(listed - set(ops)) == []
    assert {op: allowed_ops.host_names(ops[op]) for op in lists["anywhere_set"] - set(allowed_ops.REVIEWED_IN)
            if allowed_ops.host_names(ops[op])} == {}
    assert {"StatelessRandomGetKeyCounter", "StatelessRandomUniformV2", "RegexReplace"} <= lists["anywhere_set"]
    assert {"ReadFile", "WriteFile", "PyFunc", "EagerPyFunc", "PrintV2", "DumpTensor", "RecordInput", "SaveV2",
            "FixedUnigramCandidateSampler", "MatchingFiles", "ImmutableConst", "TFRecordDataset"} & lists["anywhere_set"] == set()
    assert {"Conv2D", "MatMul", "StatefulPartitionedCall", "VarHandleOp", "HashTableV2", "While"} <= lists["anywhere_set"]
    assert allowed_ops.build()["anywhere"] == lists["anywhere"], "stale: run python scripts/allowed_ops.py"


def test_the_keras_allowlist_itself():
    """The Keras lists are current, and hold none of what runs code, loads files or downloads."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import allowed_keras

    lists, built = kerasscan.allowed(), allowed_keras.build()
    assert {name: sorted(modules) for name, modules in lists["classes"].items()} == built["classes"], \
        "stale: run python scripts/allowed_keras.py"
    refused = {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "KerasLayer", "InstanceMethod"}
    assert refused & set(lists["classes"]) == set()
    assert {"Conv2D", "Functional", "Sequential", "LayerScale", "Adam", "DTypePolicy", "TFOpLambda"} <= set(lists["classes"])
    assert {"get_file", "deserialize", "enable_unsafe_deserialization"} & set(lists["functions"]) == set()
    assert {"print", "py_function", "numpy_function", "io.write_file", "io.read_file", "function"} & lists["tf_symbols"] == set()


@pytest.mark.parametrize("config, expected", [
    ({"class_name": "Lambda", "config": {"name": "l"}}, ["Lambda layer 'l' can run Python code"]),
    ({"class_name": "Dense", "config": {"activation": {"class_name": "__lambda__", "config": {}}}},
     ["a serialised Python lambda can run Python code"]),
    ({"class_name": "TFOpLambda", "config": {"name": "op", "function": "io.write_file"}},
     ["TFOpLambda layer 'op' calls tf.io.write_file, not a pure math or array function"]),
    ({"class_name": "TFOpLambda", "config": {"name": "op", "function": "print"}},
     ["TFOpLambda layer 'op' calls tf.print, not a pure math or array function"]),
    ({"class_name": "SlicingOpLambda", "config": {"name": "op", "function": "write_file"}},
     ["SlicingOpLambda layer 'op' calls tf.write_file, not a pure math or array function"]),
    ({"class_name": "TFOpLambda", "config": {"name": "op", "function": "compat.v1.py_func"}},
     ["TFOpLambda layer 'op' calls tf.compat.v1.py_func, not a pure math or array function"]),
    ({"class_name": "TFOpLambda", "config": {"name": "op", "function": "math.add"}}, []),
    ({"class_name": "TFOpLambda", "config": {"name": "op", "function": "reshape"}}, []),
    ({"class_name": "SlicingOpLambda", "config": {"name": "op", "function": "__operators__.getitem"}}, []),
    ({"module": "os", "class_name": "system", "config": {}}, ["class 'system' from module 'os' is not a Keras built-in"]),
    ({"module": "keras.src.utils.file_utils", "class_name": "Conv2D", "config": {}},
     ["class 'Conv2D' from module 'keras.src.utils.file_utils' is not a Keras built-in"]),
    ({"module": "keras.layers", "class_name": "Dense", "registered_name": "my_package>Dense", "config": {}},
     ["class 'Dense' registered as 'my_package>Dense' is not a Keras built-in"]),
    ({"module": "keras.layers", "class_name": "TFSMLayer", "config": {"filepath": "/srv/model"}},
     ["class 'TFSMLayer' from module 'keras.layers' is not a Keras built-in",
      "TFSMLayer has a host path or URL (filepath='/srv/model')"]),
    ({"class_name": "KerasLayer", "config": {"handle": "https://tfhub.dev/x"}},
     ["class 'KerasLayer' is not a Keras built-in", "KerasLayer has a host path or URL (handle='https://tfhub.dev/x')"]),
    ({"module": "keras.utils", "class_name": "function", "config": "get_file"},
     ["function keras.utils.get_file is not a Keras activation, loss or metric"]),
    ({"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization"},
     ["function keras.config.enable_unsafe_deserialization is not a Keras activation, loss or metric"]),
    ({"module": "keras.activations", "class_name": "function", "config": "relu"}, []),
    ({"module": "builtins", "class_name": "function", "config": "relu"}, []),
    ({"class_name": "MeanMetricWrapper", "config": {"name": "m", "fn": "sparse_categorical_accuracy"}}, []),
    ({"class_name": "MeanMetricWrapper", "config": {"name": "m", "fn": "get_file"}},
     ["metric 'm' wraps 'get_file', not a Keras loss or metric function"]),
    ({"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "c"}}, []),
    ({"class_name": "StringLookup", "config": {"name": "lookup", "vocabulary": "/etc/passwd"}},
     ["StringLookup layer 'lookup' has a host path or URL (vocabulary='/etc/passwd')"]),
    ({"class_name": "TextVectorization", "config": {"name": "tv", "vocabulary": "vocab.txt"}},
     ["TextVectorization layer 'tv' has a host path or URL (vocabulary='vocab.txt')"]),
    ({"class_name": "StringLookup", "config": {"name": "lookup", "vocabulary": ["cat", "dog"]}}, []),
    ({"class_name": "Dense", "config": {"name": "d", "kernel_initializer": "https://example.com/w"}},
     ["Dense layer 'd' has a host path or URL (kernel_initializer='https://example.com/w')"]),
    ({"layers": [{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "deep"}}]}}]},
     ["Lambda layer 'deep' can run Python code"]),
])
def test_unsafe_objects(config, expected):
    assert kerasscan.unsafe_objects(config) == expected


def test_oversized_config_is_refused_unread(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "bomb.keras", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", " " * (kerasscan.MAX_CONFIG_BYTES + 1))
    with pytest.raises(kerasscan.UnreadableConfig, match="config.json is larger than 64 MiB"):
        kerasscan.read_config(tmp_path / "bomb.keras")


def test_rule_examples():
    """suspicious-op fires on a record with suspicious ops, and only then; the message names them."""
    from shapelint.records.backbone import BackboneRecord, InputSpec, ProbeRecord
    from shapelint.rules import run_rules

    records = (ProbeRecord((8, 8), (1, 8, 8, 3), {"output": (1, 3)}),)
    clean = BackboneRecord("m", InputSpec(), records, "savedmodel")
    bad = BackboneRecord("m", InputSpec(), records, "savedmodel",
                         tuple((f"__inference_f_{i}", ("WriteFile",)) for i in range(5)))
    assert [f.code for f in run_rules("backbone", clean) if f.code == "SL105"] == []
    (finding,) = [f for f in run_rules("backbone", bad) if f.code == "SL105"]
    assert finding.message == ("m holds ops outside the allowlist (WriteFile in __inference_f_0; WriteFile in __inference_f_1; "
                               "WriteFile in __inference_f_2; and 2 more functions); it was not loaded or executed")
    assert [f.code for f in run_rules("backbone", bad, ignore=("suspicious-op",))].count("SL105") == 0


# --- the hostile corpus (tests/hostile.py): every payload fires without shapelint, none fires through it ---

@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return corpus_builder.build(tmp_path_factory.mktemp("corpus"))


def test_every_payload_fires_without_shapelint(corpus):
    """Loaded directly (tf_keras.models.load_model, tf.saved_model.load and a call), each case writes its file
    or reads its host file: so shapelint's refusal of it below means something."""
    assert corpus_builder.fired(corpus) == {case.name: True for case in corpus}


def test_shapelint_refuses_every_payload(corpus):
    """With default flags nothing fires, nothing is read, the files are unchanged, and each refusal is one line
    naming what was refused and the flag that would allow it."""
    missed = {}
    for case in corpus:
        case.arm()
        before = digest(case.path)
        result = probe_source(str(case.path), Options(sizes=SIZES))
        sl105 = [f for f in result.findings if f.code == "SL105"]
        line = result.error or (f"{sl105[0].message}; {sl105[0].fix}" if sl105 else "")
        flag = "--trust" if case.path.is_dir() else "--unsafe-load"
        problems = [problem for problem, bad in [
            ("fired", case.went_off()), ("changed", digest(case.path) != before),
            (f"not refused ({line!r})", case.refusal not in line or flag not in line), ("several lines", "\n" in line),
            ("executed", result.backbone is not None and any(r.executed for r in result.backbone.records))] if bad]
        if problems:
            missed[case.name] = problems
    assert missed == {}


def test_cli_on_the_whole_corpus(corpus):
    """The command line as CI runs it (worker processes, the result cache hashing each source): nothing fires and no
    host file is read; a symlinked asset is hashed as where it points, not read."""
    for case in corpus:
        case.arm()
    run = subprocess.run(SHAPELINT + ["probe", "--format", "json", "--sizes", "8", "--jobs", "1"] +
                         [str(case.path) for case in corpus], capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert [case.name for case in corpus if case.went_off()] == []
    results = json.loads(run.stdout)["results"]
    assert all(r["error"] or any(f["code"] == "SL105" for f in r["findings"]) for r in results)


def test_container_refusals(tmp_path):
    """Zip members that climb out, symlink members and duplicated members are refused before any loader sees
    the archive; so is an archive that unpacks past the cap, and an HDF5 file linking to a host file."""
    for name, path in corpus_builder.zip_cases(tmp_path / "zips").items():
        with pytest.raises(SourceError, match=r"refused to load: archive member .* \(pass --unsafe-load to allow\)"):
            kerasfile.check_file(str(path), str(path))
    with pytest.raises(SourceError, match="links to the file .*weights.h5"):
        path = corpus_builder.hdf5_external_link(tmp_path / "link")
        kerasfile.check_file(str(path), str(path))


def test_zip_bomb_cap(tmp_path, monkeypatch):
    import zipfile

    with zipfile.ZipFile(tmp_path / "big.keras", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.bin", b"\0" * (2 << 20))
    monkeypatch.setattr(kerasfile, "MAX_UNPACKED", 1 << 20)
    with pytest.raises(SourceError, match="unpacks to 2 MiB, over the 0 GiB cap"):
        kerasfile.check_file(str(tmp_path / "big.keras"), "big.keras")


def test_check_config_is_one_line_for_other_adapters():
    """kerasscan.check_config is what a KerasHub preset's config.json goes through: one line, or nothing."""
    kerasscan.check_config({"module": "keras.layers", "class_name": "Dense", "config": {"name": "d"}}, "preset")
    with pytest.raises(SourceError) as info:
        kerasscan.check_config({"layers": [{"class_name": "Lambda", "config": {"name": f"l{i}"}} for i in range(5)]},
                               "preset/config.json")
    assert str(info.value) == ("preset/config.json: refused to load: Lambda layer 'l0' can run Python code; "
                               "Lambda layer 'l1' can run Python code; Lambda layer 'l2' can run Python code; "
                               "and 2 more (pass --unsafe-load to allow)")


# --- the benign corpus: what the allowlists must let through, probed end to end ---

@pytest.fixture(scope="session")
def benign(tmp_path_factory, fixtures_dir):
    """A representative handful (the full keras.applications sweep is scripts/allowed_*.py --sweep): Keras 3 and
    tf_keras applications as .keras, .h5, SavedModel and Keras 3 export(), a compiled model, the Hub fixtures,
    and text-vocabulary SavedModels (TF1 and TF2) whose tables read their own assets/."""
    return corpus_builder.benign(tmp_path_factory.mktemp("benign"), fixtures_dir)


def test_benign_models_still_probe(benign):
    assert len(benign) >= 15
    failed = {}
    for path in benign:
        result = probe_source(str(path), Options(sizes=((32, 32),)))
        sl105 = [f.message for f in result.findings if f.code == "SL105"]
        if result.error or sl105 or not all(r.executed for r in result.backbone.records):
            failed[path.name] = result.error or sl105 or "not executed"
    assert failed == {}


def test_check_config_with_keras_hub_classes():
    """A KerasHub preset passes packages=("keras_hub",): its own classes are allowed, code inside them is not."""
    backbone = {"module": "keras_hub.src.models.resnet.resnet_backbone", "class_name": "ResNetBackbone",
                "registered_name": "keras_hub>ResNetBackbone", "config": {"name": "b"}}
    kerasscan.check_config(backbone, "preset", packages=("keras_hub",))
    with pytest.raises(SourceError, match="class 'ResNetBackbone' from module 'keras_hub.src"):
        kerasscan.check_config(backbone, "preset")
    backbone["config"]["activation"] = {"class_name": "Lambda", "config": {"name": "payload"}}
    with pytest.raises(SourceError, match="Lambda layer 'payload' can run Python code"):
        kerasscan.check_config(backbone, "preset", packages=("keras_hub",))


def test_hub_cache_entry_with_a_symlink_out(fixtures_dir, tmp_path, monkeypatch):
    """A TF Hub cache entry is a SavedModel folder: a symlink leading out of it is refused (a host file would be
    read as its variables); a symlink that stays inside is fine."""
    import hashlib
    import shutil

    handle = "https://tfhub.dev/google/imagenet/mobilenet_v2_035_224/feature_vector/5"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    entry = tmp_path / "cache" / hashlib.sha1(handle.encode()).hexdigest()
    shutil.copytree(fixtures_dir / "hub_pooled_mean", entry)
    (entry / "variables" / "index.real").write_bytes((entry / "variables" / "variables.index").read_bytes())
    (entry / "variables" / "variables.index").unlink()
    (entry / "variables" / "variables.index").symlink_to("index.real")
    result = probe_source(handle, Options(sizes=SIZES))
    assert result.error is None and all(r.executed for r in result.backbone.records)
    outside = tmp_path / "elsewhere.index"
    outside.write_bytes((entry / "variables" / "index.real").read_bytes())
    (entry / "variables" / "variables.index").unlink()
    (entry / "variables" / "variables.index").symlink_to(outside)
    result = probe_source(handle, Options(sizes=SIZES))
    assert result.error == (f"{handle}: refused to load: variables/variables.index is a symlink to {outside}, "
                            "outside the SavedModel (pass --trust to allow)")
