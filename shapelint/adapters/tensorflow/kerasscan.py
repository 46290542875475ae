"""Read a Keras file's model config without loading it, and name whatever in it would run code.

Keras' own safe_mode is the first line of defence for `.keras` files; this scan is the one for
legacy `.h5` files, where tf_keras unmarshals a Lambda's Python bytecode, and a second line for both.
It reads JSON only: nothing here imports a framework or deserialises an object.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

# Packages whose classes a safe Keras config may name; anything else means importing arbitrary code.
KERAS_PACKAGES = ("keras", "tf_keras", "keras_hub", "keras_cv", "keras_nlp")
# Modules a serialised *function* may come from (activations, losses, ops...); keras.utils.get_file may not.
FUNCTION_MODULES = ("activations", "losses", "metrics", "ops", "initializers", "regularizers", "constraints")
# tf_keras records TensorFlow calls on KerasTensors as TFOpLambda layers naming a tf.* symbol;
# they run while the model is rebuilt, so only pure math namespaces are allowed.
TF_OP_NAMESPACES = ("math.", "nn.", "image.", "linalg.", "signal.", "bitwise.", "__operators__.")
TF_OP_REFUSED = ("print", "Print", "py_function", "numpy_function", "py_func", "load_op_library", "load_library",
                 "function", "read_file", "write_file", "matching_files")  # the last three: TF1 top-level names
MAX_CONFIG_BYTES = 64 << 20  # real configs are kilobytes; a larger config.json is a zip bomb


class UnreadableConfig(ValueError):
    """The file holds no readable model config; the message is one line."""


def read_config(path: str | Path) -> dict:
    """The model config of a `.keras` archive (config.json, compile_config included) or a legacy HDF5 file
    (the model_config attribute, with the training_config attribute that compiling reads as `training_config`)."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
                    raise UnreadableConfig(f"config.json is larger than {MAX_CONFIG_BYTES >> 20} MiB")
                return _json(archive.read("config.json"))
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise UnreadableConfig(f"not a Keras archive ({exc})") from None
    model, training = _hdf5_attrs(path)
    config = _json(model)
    if training is not None:
        config["training_config"] = _json(training)
    return config


def _json(text) -> dict:
    try:
        config = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableConfig(f"model config is not JSON ({exc})") from None
    if not isinstance(config, dict):
        raise UnreadableConfig("model config is not a JSON object")
    return config


def _hdf5_attrs(path: Path):
    import h5py

    try:
        if not h5py.is_hdf5(path):
            raise UnreadableConfig("neither a Keras archive (zip) nor an HDF5 file")
        with h5py.File(path, "r") as h5:
            model, training = h5.attrs.get("model_config"), h5.attrs.get("training_config")
    except OSError as exc:
        raise UnreadableConfig(f"cannot read HDF5 ({exc})") from None
    if model is None:
        raise UnreadableConfig("HDF5 file has no model_config (a weights-only file?)")
    return tuple(None if text is None else text.decode("utf8") if isinstance(text, bytes) else str(text)
                 for text in (model, training))


def unsafe_objects(config) -> list[str]:
    """What in a config would run code when loaded, e.g. ["Lambda layer 'payload'"]; empty if nothing."""
    found: list[str] = []
    _walk(config, found)
    return list(dict.fromkeys(found))


def _walk(node, found: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, found)
        return
    if not isinstance(node, dict):
        return
    reason = _unsafe(node)
    if reason:  # one reason per object: a Lambda's own serialised function is not a second finding
        found.append(reason)
        return
    for value in node.values():
        _walk(value, found)


def _unsafe(node: dict) -> str | None:
    class_name = node.get("class_name")
    if not isinstance(class_name, str):
        return None
    config = node.get("config") if isinstance(node.get("config"), dict) else {}
    name = config.get("name", node.get("name"))
    if class_name == "Lambda":
        return f"Lambda layer {name!r}"
    if class_name == "__lambda__":
        return "a serialised Python lambda"
    if class_name in ("TFOpLambda", "SlicingOpLambda"):
        function = str(config.get("function", ""))
        if not _safe_tf_op(function):
            return f"{class_name} layer {name!r} calling tf.{function}"
    module = node.get("module")
    if isinstance(module, str) and module:
        if module.split(".")[0] not in KERAS_PACKAGES:
            return f"{class_name} from module {module!r}"
        if class_name == "function" and not set(module.split(".")) & set(FUNCTION_MODULES):
            return f"function {module}.{node.get('config')}"
    return None


def _safe_tf_op(function: str) -> bool:
    if "raw_ops" in function or "io" in function.split(".") or function.startswith("compat."):
        return False
    if "." not in function:  # tf.reshape, tf.concat ...
        return function not in TF_OP_REFUSED
    return function.startswith(TF_OP_NAMESPACES)
