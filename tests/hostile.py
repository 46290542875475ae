"""A hostile corpus, built at test time: model files that write to or read from the host when loaded.

Each Case carries the loader call an unsuspecting user (or an older shapelint) would make, `fire`,
and its evidence: a file the payload writes, or a host file it reads (seen as its access time moving:
`arm` sets it into the past, so the kernel's relatime updates it on the next read). `fired` runs every
case's loader in one fresh interpreter and reports which payloads went off, which is what makes a
refusal by shapelint mean something. Used by tests/test_safety.py and benchmarks/scan_compare.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

SPEC = (None, None, None, 3)


@dataclass(frozen=True)
class Case:
    name: str
    family: str
    path: Path  # what is given to shapelint (a file or a folder)
    fire: str  # Python run with `path`, `tf`, `keras`, `tf_keras` bound: the direct load
    writes: Path | None = None  # evidence: this file or folder appears
    reads: Path | None = None  # evidence: this host file is read
    refusal: str = ""  # what shapelint's refusal names

    def arm(self) -> None:
        """Remove what the payload writes; put the read file's access time before its modification time."""
        if self.writes is not None:
            for path in self.writes.parent.glob(self.writes.name + "*"):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        if self.reads is not None:
            stat = self.reads.stat()
            os.utime(self.reads, (stat.st_mtime - 3600, stat.st_mtime))

    def went_off(self) -> bool:
        if self.writes is not None and any(self.writes.parent.glob(self.writes.name + "*")):
            return True
        return self.reads is not None and self.reads.stat().st_atime > self.reads.stat().st_mtime - 3600


CALL = "tf.saved_model.load(str(path))(tf.zeros((1, 8, 8, 3)))"
LOAD = "tf.saved_model.load(str(path))"
TF_KERAS = "tf_keras.models.load_model(str(path))"


def build(out: Path) -> list[Case]:
    """Build every case under `out`; TensorFlow, Keras 3 and tf_keras are imported here."""
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    tf = import_tensorflow()
    out.mkdir(parents=True, exist_ok=True)
    host = out / "host"
    host.mkdir(exist_ok=True)
    fired = out / "fired"
    fired.mkdir(exist_ok=True)
    with warnings.catch_warnings():  # Keras' legacy-format and numpy 2 warnings while saving: not ours to show
        warnings.simplefilter("ignore")
        cases = _keras_cases(tf, out, host, fired) + _savedmodel_cases(tf, out, host, fired)
    for case in cases:
        case.arm()
    return cases


def fired(cases: list[Case]) -> dict[str, bool]:
    """Load every case directly, without shapelint, in one fresh interpreter; which payloads went off."""
    for case in cases:
        case.arm()
    driver = (
        "import json, os, sys\n"
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import keras, tensorflow as tf, tf_keras\n"
        "for name, path, code in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        exec(code, {'tf': tf, 'keras': keras, 'tf_keras': tf_keras, 'path': path})\n"
        "    except Exception as exc:\n"
        "        print(name, type(exc).__name__, str(exc)[:200], file=sys.stderr)\n"
    )
    payload = json.dumps([(c.name, str(c.path), c.fire) for c in cases])
    subprocess.run([sys.executable, "-c", driver, payload], capture_output=True, text=True, timeout=600,
                   env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    result = {case.name: case.went_off() for case in cases}
    for case in cases:
        case.arm()
    return result


# --- Keras files ---------------------------------------------------------------------------------------

def _lambda_h5(tf_keras, path: Path, marker: Path) -> None:
    """A tf_keras HDF5 model whose Lambda writes `marker` when the model is rebuilt (the path is a constant
    in the lambda's bytecode: a closure would not survive serialisation)."""
    payload = eval(f"lambda t: (open({str(marker)!r}, 'w').close(), t)[1]")  # noqa: S307
    inputs = tf_keras.Input(SPEC[1:])
    outputs = tf_keras.layers.Conv2D(2, 3)(tf_keras.layers.Lambda(payload, name="payload")(inputs))
    tf_keras.Model(inputs, outputs).save(path, save_format="h5")


def _keras_cases(tf, out: Path, host: Path, fired: Path) -> list[Case]:
    import keras
    import tf_keras

    cases = []
    # an HDF5 model with a Lambda and a benign .keras archive appended: zip readers see the archive
    benign = out / "benign.keras"
    keras.Sequential([keras.Input(SPEC[1:]), keras.layers.Conv2D(2, 3)]).save(benign)
    _lambda_h5(tf_keras, out / "polyglot.h5", fired / "polyglot")
    with open(out / "polyglot.h5", "ab") as f:
        f.write(benign.read_bytes())
    cases.append(Case("polyglot-h5-zip", "keras polyglot", out / "polyglot.h5", TF_KERAS,
                      writes=fired / "polyglot", refusal="polyglot"))
    # an HDF5 Lambda model under a .keras name: a zip reader refuses it, the HDF5 fallback runs it
    _lambda_h5(tf_keras, out / "mismatch.keras", fired / "mismatch")
    cases.append(Case("hdf5-named-keras", "keras polyglot", out / "mismatch.keras", TF_KERAS,
                      writes=fired / "mismatch", refusal="the extension says"))
    # tf_keras reads a StringLookup / TextVectorization vocabulary given as a file path
    for layer in ("StringLookup", "TextVectorization"):
        secret = host / f"{layer}.txt"
        secret.write_text("host-secret-1\nhost-secret-2\n")
        inputs = tf_keras.Input((1,), dtype=tf.string)
        model = tf_keras.Model(inputs, getattr(tf_keras.layers, layer)(vocabulary=str(secret), name="lookup")(inputs))
        model.save(out / f"vocabulary_{layer}.h5", save_format="h5")
        cases.append(Case(f"{layer}-vocabulary-path", "tf_keras host path", out / f"vocabulary_{layer}.h5", TF_KERAS,
                          reads=secret, refusal="host path"))
    return cases


def hdf5_external_link(out: Path) -> Path:
    """A tf_keras HDF5 model whose layer weights are an external link to a host file. h5py follows such links
    when the group is opened; shown here by the container check alone (tf_keras, in this build, fails to
    resolve the link rather than read it, so this case is not in the fired corpus)."""
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    import_tensorflow()
    import h5py
    import tf_keras

    out.mkdir(parents=True, exist_ok=True)
    secret = out / "weights.h5"
    inputs = tf_keras.Input((4,))
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(2, name="dense")(inputs))
    model.save(out / "external_link.h5", save_format="h5")
    model.save_weights(secret, save_format="h5")  # the host file: a weights file with the same layout
    with h5py.File(out / "external_link.h5", "r+") as f:
        del f["model_weights/dense"]
        f["model_weights/dense"] = h5py.ExternalLink(str(secret), "/dense")
    return out / "external_link.h5"


# --- SavedModels ---------------------------------------------------------------------------------------

def _op(tf, op_type: str, **inputs_and_attrs):
    """Add a registered op that tf.raw_ops does not expose (DumpTensor, CalibrationStatisticsSaver)."""
    from tensorflow.python.framework import op_def_library

    return op_def_library._apply_op_helper(op_type, **inputs_and_attrs)[2]


def _module(tf, body):
    """A tf.Module whose __call__ runs `body(x)` for its side effect, then pools."""
    spec = [tf.TensorSpec(SPEC)]

    class Backbone(tf.Module):
        @tf.function(input_signature=spec)
        def __call__(self, x):
            with tf.control_dependencies([body(x)]):
                return tf.reduce_mean(x, [1, 2])

    return Backbone()


def _savedmodel_cases(tf, out: Path, host: Path, fired: Path) -> list[Case]:
    cases = []

    def dump(x):
        return _op(tf, "DumpTensor", tensor_data=x, log_dir_path=str(fired / "dump"), file_name="x.pb", enabled=True,
                   func_name="f", node_name="n")

    tf.saved_model.save(_module(tf, dump), str(out / "dump_tensor"))
    cases.append(Case("DumpTensor-in-call", "unlisted op", out / "dump_tensor", CALL, writes=fired / "dump",
                      refusal="DumpTensor"))

    @tf.function
    def calibrate(x):
        saver = _op(tf, "CalibrationStatisticsSaver", args=[tf.reduce_min(x), tf.reduce_max(x), tf.zeros([512], tf.int64)],
                    output_file_path=str(fired / "calibration"), ids=["a"], calibration_methods=[1])
        with tf.control_dependencies([saver]):
            return tf.identity(x)

    tf.saved_model.save(_module(tf, lambda x: calibrate(x)), str(out / "calibration_nested"))
    cases.append(Case("CalibrationStatisticsSaver-nested", "unlisted op", out / "calibration_nested", CALL,
                      writes=fired / "calibration", refusal="CalibrationStatisticsSaver"))

    vocab = host / "unigram.txt"
    vocab.write_text("a,1\nb,1\nc,1\n")

    def sample(x):
        sampled = tf.random.fixed_unigram_candidate_sampler(tf.zeros((1, 1), tf.int64), 1, 1, True, 3, vocab_file=str(vocab))
        return tf.cond(tf.reduce_sum(x) >= 0, lambda: sampled[0], lambda: tf.zeros([1], tf.int64))

    tf.saved_model.save(_module(tf, sample), str(out / "unigram_cond"))
    cases.append(Case("FixedUnigramCandidateSampler-in-cond", "unlisted op", out / "unigram_cond", CALL, reads=vocab,
                      refusal="FixedUnigramCandidateSampler"))

    records = host / "records.tfrecord"
    with tf.io.TFRecordWriter(str(records)) as writer:
        writer.write(b"host-secret")

    def record(x):
        return tf.cond(tf.reduce_sum(x) >= 0,
                       lambda: tf.raw_ops.RecordInput(file_pattern=str(records), batch_size=1, file_buffer_size=1,
                                                      file_parallelism=1, file_shuffle_shift_ratio=0),
                       lambda: tf.constant([""]))

    tf.saved_model.save(_module(tf, record), str(out / "record_input"))
    cases.append(Case("RecordInput-in-cond", "unlisted op", out / "record_input", CALL, reads=records,
                      refusal="RecordInput"))

    class Initialiser(tf.saved_model.experimental.TrackableResource):
        """tf.saved_model.load itself runs _initialize."""

        def _create_resource(self):
            return tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[], shared_name="shapelint_hostile_init")

        def _initialize(self):
            _op(tf, "DumpTensor", tensor_data=tf.zeros([1]), log_dir_path=str(fired / "initialiser"), file_name="x.pb",
                enabled=True, func_name="f", node_name="n")
            tf.raw_ops.AssignVariableOp(resource=self.resource_handle, value=1.0)

    initialised = _module(tf, lambda x: tf.no_op())
    initialised.resource = Initialiser()
    tf.saved_model.save(initialised, str(out / "initialiser"))
    cases.append(Case("DumpTensor-in-resource-initialiser", "unlisted op", out / "initialiser", LOAD,
                      writes=fired / "initialiser", refusal="DumpTensor"))

    cases.append(_tf1_saver_in_main_op(tf, out / "tf1_saver_main_op", fired / "checkpoint"))
    cases.append(_tf1_asset_outside(tf, out / "tf1_asset_outside", host))
    cases.append(_assets_symlink(tf, out / "assets_symlink", host))

    # a folder named like a Keras file that is a SavedModel: it must get the SavedModel checks
    shutil.copytree(out / "dump_tensor", out / "model.keras")
    cases.append(Case("savedmodel-named-model.keras", "keras-named folder", out / "model.keras", CALL,
                      writes=fired / "dump", refusal="DumpTensor"))
    return cases


def _tf1_builder(tf, path: Path, session, main_op):
    x = tf.compat.v1.placeholder(tf.float32, SPEC, name="x")
    y = tf.reduce_mean(x, [1, 2])
    builder = tf.compat.v1.saved_model.Builder(str(path))
    assets = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS)
    builder.add_meta_graph_and_variables(
        session, ["serve"], main_op=main_op, assets_collection=assets,
        signature_def_map={"serving_default": tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})})
    builder.save()


def _tf1_saver_in_main_op(tf, path: Path, marker: Path) -> Case:
    """A TF1 SavedModel whose SaveV2 the saver's save tensor depends on (so it looks like the save path) and
    whose main op runs it too: loading writes a checkpoint to `marker`."""
    with tf.Graph().as_default():
        v = tf.compat.v1.get_variable("v", (), initializer=tf.compat.v1.zeros_initializer())
        save = tf.raw_ops.SaveV2(prefix=str(marker), tensor_names=["v"], shape_and_slices=[""], tensors=[v.read_value()],
                                 name="evil_save")
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            _tf1_builder(tf, path, session, tf.group(save, name="main_op"))
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    meta = proto.meta_graphs[0]
    tensor = meta.saver_def.save_tensor_name.split(":")[0]
    next(n for n in meta.graph_def.node if n.name == tensor).input.append("^evil_save")
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    return Case("tf1-SaveV2-tied-to-saver-in-main-op", "tf1 saver", path, LOAD, writes=marker, refusal="SaveV2")


def _vocabulary_table(tf, vocab_tensor):
    table = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        vocab_tensor, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), -1)
    return table


def text_vocabulary_tf1(tf, path: Path) -> None:
    """A benign TF1 SavedModel with a hash table its main op fills from a vocabulary file in assets/."""
    vocabulary = path.parent / f"{path.name}_vocab.txt"
    vocabulary.write_text("cat\ndog\n")
    with tf.Graph().as_default():
        asset = tf.constant(str(vocabulary), name="vocab_asset")  # the initialiser lists it as an asset
        _vocabulary_table(tf, asset)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.tables_initializer())
            _tf1_builder(tf, path, session, tf.compat.v1.tables_initializer())


def text_vocabulary_tf2(tf, path: Path) -> None:
    """A benign TF2 SavedModel whose table a restored initialiser fills from assets/ while loading."""
    vocabulary = path.parent / f"{path.name}_vocab.txt"
    vocabulary.write_text("cat\ndog\n")

    class Vocabulary(tf.Module):
        def __init__(self):
            self.table = _vocabulary_table(tf, tf.saved_model.Asset(str(vocabulary)))

        @tf.function(input_signature=[tf.TensorSpec(SPEC)])
        def __call__(self, x):
            return tf.reduce_mean(x, [1, 2]) + tf.cast(self.table.lookup(tf.constant("cat")), tf.float32) * 0

    tf.saved_model.save(Vocabulary(), str(path))


def _tf1_asset_outside(tf, path: Path, host: Path) -> Case:
    """A TF1 text-vocabulary SavedModel whose asset file name is an absolute host path: the loader joins it to
    assets/ (an absolute name wins) and the table initialiser reads the host file."""
    secret = host / "tf1_vocabulary.txt"
    secret.write_text("host-secret\n")
    text_vocabulary_tf1(tf, path)
    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    for packed in proto.meta_graphs[0].collection_def["saved_model_assets"].any_list.value:
        asset = meta_graph_pb2.AssetFileDef()
        packed.Unpack(asset)
        asset.filename = str(secret)
        packed.Pack(asset)
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    return Case("tf1-asset-outside-assets", "assets", path, LOAD, reads=secret, refusal="outside assets/")


def _assets_symlink(tf, path: Path, host: Path) -> Case:
    """A TF2 text-vocabulary SavedModel whose assets/ vocabulary is a symlink to a host file."""
    secret = host / "symlinked_vocabulary.txt"
    secret.write_text("host-secret\n")
    text_vocabulary_tf2(tf, path)
    asset = next((path / "assets").iterdir())
    asset.unlink()
    asset.symlink_to(secret)
    return Case("assets-symlink-to-host-file", "assets", path, LOAD, reads=secret, refusal="symlink")


def benign(out: Path, fixtures: Path) -> list[Path]:
    with warnings.catch_warnings():  # Keras' legacy-format and numpy 2 warnings while saving: not ours to show
        warnings.simplefilter("ignore")
        return _benign(out, fixtures)


def _benign(out: Path, fixtures: Path) -> list[Path]:
    """What must still load (the false-positive side): Keras 3 and tf_keras applications as .keras, .h5,
    SavedModel and Keras 3 export(), a compiled model, text-vocabulary SavedModels (TF1 and TF2) whose tables
    read their own assets/, and the bundled fixtures (Hub modules, a .keras and an .h5)."""
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras
    import tf_keras

    out.mkdir(parents=True, exist_ok=True)
    app = keras.applications.MobileNetV2(alpha=0.35, weights=None, include_top=False, input_shape=(None, None, 3))
    app.save(out / "mobilenet_v2.keras")
    app.save(out / "mobilenet_v2.h5")  # (Keras 3 cannot read back its own MobileNetV3 .h5: not used here)
    app.export(str(out / "mobilenet_v2_export"), verbose=False)
    compiled = keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=3, minimalistic=True)
    compiled.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    compiled.save(out / "compiled.keras")
    legacy = tf_keras.applications.MobileNetV2(alpha=0.35, weights=None, include_top=False, input_shape=(None, None, 3))
    legacy.save(out / "mobilenet_v2_tf_keras.h5", save_format="h5")
    legacy.save(out / "mobilenet_v2_tf_keras", save_format="tf")
    text_vocabulary_tf1(tf, out / "text_vocabulary_tf1")
    text_vocabulary_tf2(tf, out / "text_vocabulary_tf2")

    def model(path: Path) -> bool:
        return path.suffix in (".keras", ".h5") or (path / "saved_model.pb").is_file()

    return sorted(filter(model, out.iterdir())) + sorted(filter(model, fixtures.iterdir()))


def zip_cases(out: Path) -> dict[str, Path]:
    """Archives whose container is hostile (no loader needed to show it): member names that climb out,
    a symlink member, a duplicated config.json, a member that unpacks past the cap."""
    out.mkdir(parents=True, exist_ok=True)
    config = json.dumps({"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": []}})
    found = {}
    for name, member in (("dotdot", "../../escaped.txt"), ("absolute", "/tmp/escaped.txt")):
        with zipfile.ZipFile(out / f"{name}.keras", "w") as archive:
            archive.writestr("config.json", config)
            archive.writestr(member, "x")
        found[name] = out / f"{name}.keras"
    with zipfile.ZipFile(out / "symlink.keras", "w") as archive:
        archive.writestr("config.json", config)
        info = zipfile.ZipInfo("assets/vocab.txt")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    found["symlink"] = out / "symlink.keras"
    with zipfile.ZipFile(out / "duplicate.keras", "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate: it is the point
        archive.writestr("config.json", config)
        archive.writestr("config.json", json.dumps({"class_name": "Lambda", "config": {}}))
    found["duplicate"] = out / "duplicate.keras"
    return found
