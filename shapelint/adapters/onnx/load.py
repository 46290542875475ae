"""An ONNX file -> Backbone: shapes by onnx.shape_inference at each size, a real batch through onnxruntime.

The file is parsed as data first (external data not loaded), its op domains and external-data
locations are checked (safety.py), and only then is a private copy of the model and its external
data handed to onnxruntime, so what runs is exactly what was checked.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
from pathlib import Path

from ...records.backbone import InputSpec
from ...records.facts import ClassifierRecord
from ...sources import Source, SourceError
from ..base import Backbone
from . import safety
from .sizes import declared_rule

INSTALL = "pip install 'shapelint[onnx]'"
# How a head pools a channels-first feature map, in the words of the framework that exported the model.
POOLING_WORDS = {"pytorch": "nn.AdaptiveAvgPool2d(1) then torch.flatten(x, 1), before export"}


class OnnxRuntimeError(RuntimeError):
    """onnxruntime refused to run the graph at this size; the message is its status, without the wrapping."""


_ORT_WRAP = re.compile(r"\[ONNXRuntimeError\] : \d+ : \w+ : |Non-zero status code returned while running |Status Message: ")


class FixedInputSize(ValueError):
    """The model declares a fixed dimension and the probed shape differs (onnxruntime refuses it too)."""


def require() -> None:
    """One line naming the extra to install when onnx or onnxruntime is missing."""
    missing = [name for name in ("onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise SourceError(f"{' and '.join(missing)} not installed: {INSTALL}")


def load(source: Source, unsafe: bool = False, trust: bool = False) -> Backbone:
    """unsafe/trust are accepted for the engine's sake; nothing in an ONNX file is allowed to run code."""
    require()
    import onnx

    path = Path(source.location)
    try:
        model = onnx.load_model(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise SourceError(f"{source.text}: not an ONNX model ({type(exc).__name__})") from None
    if not model.ir_version or not model.graph.output:
        raise SourceError(f"{source.text}: not an ONNX model (no IR version or no graph outputs)")
    return backbone(model, path, source.text)


def from_object(model, name: str) -> Backbone:
    """An onnx.ModelProto the caller already holds; its external data, if any, would need its file, so is refused."""
    require()
    import onnx

    if not isinstance(model, onnx.ModelProto):
        raise SourceError(f"{name}: expected an onnx.ModelProto, got {type(model).__name__}")
    return backbone(model, None, name)


def backbone(model, path: Path | None, name: str) -> Backbone:
    """Check the parsed model (safety.py), then shape and run it; path is its file (None: in memory only)."""
    found = safety.refusals(model, path.parent if path else None)
    if found:
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        raise SourceError(f"{name}: refused to load: {'; '.join(found[:3])}{more}")
    import numpy as np
    from onnx import helper

    graph = model.graph
    inputs = _inputs(model)
    image = _image_input(inputs, name)
    dtype = np.dtype(helper.tensor_dtype_to_np_dtype(image.type.tensor_type.elem_type)).name
    declared = dims(image)
    spec = image_spec(model, name)
    others = {i.name: _static(i, name) for i in inputs if i is not image}
    session = {}

    def feed(shape):
        _check_fixed(image.name, declared, shape)
        fed = {image.name: np.zeros(shape, dtype=dtype)}
        for other, (other_shape, other_dtype) in others.items():
            fed[other] = np.zeros(other_shape, dtype=other_dtype)
        return fed

    def symbolic(shape):
        _check_fixed(image.name, declared, shape)
        if "light" not in session:
            session["light"] = weightless(model)
        return _inferred(session["light"], image.name, shape)

    def execute(shape):
        if "run" not in session:
            session["run"] = _session(model, path)
        fed = feed(shape)
        try:
            results = session["run"].run(None, fed)
        except Exception as exc:  # onnxruntime's own exception classes carry no more than the message
            message = _ORT_WRAP.sub("", str(exc)).strip()
            raise OnnxRuntimeError(re.sub(r"^(\w+) node\. Name:'([^']*)' ", r"\1 '\2': ", message)) from None
        return {o.name: tuple(int(d) for d in np.shape(r)) for o, r in zip(graph.output, results)}

    # onnxruntime runs a small batch in milliseconds, and onnx.shape_inference is looser than the runtime
    # (a 3x3 Conv on a 2x2 input infers 1x1 where onnxruntime refuses it): every small size is executed
    result = Backbone(name, "onnx", spec, symbolic, execute, model=model, framework="onnx", execute_each=True)
    result.notes.append(_evidence(model, image, inputs))
    result.size_rule = declared_rule(image.name, declared, spec)
    words = POOLING_WORDS.get(model.producer_name.lower())
    out = dims(graph.output[0])
    if len(graph.output) == 1 and len(out) == 2 and out[1] in (1, 2):  # class scores, never a feature vector
        result.classifier = ClassifierRecord(out[1], None, None, "onnx")
    if words and spec.layout.value == "channels_first" and len(out) == 4 and tuple(out[2:]) != (1, 1):
        result.notes.append(f"in {model.producer_name}, pooling this output is {words}")
    if others:
        result.notes.append(f"other inputs fed zeros: {', '.join(others)}")
    return result


def _inputs(model) -> list:
    initialised = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in initialised]  # IR < 4 lists initializers as inputs too


def image_spec(model, name: str) -> InputSpec:
    """The image input as the probe feeds it: dtype, layout, channels, any fixed height and width."""
    import numpy as np
    from onnx import helper

    image = _image_input(_inputs(model), name)
    dtype = np.dtype(helper.tensor_dtype_to_np_dtype(image.type.tensor_type.elem_type)).name
    return InputSpec.from_shape(tuple(d if isinstance(d, int) else None for d in dims(image)), dtype)


def _image_input(inputs, name: str):
    """The one rank-4 float input; several candidates or none is a one-line refusal naming each input."""
    from onnx import TensorProto

    floats = (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16)
    images = [i for i in inputs if i.type.HasField("tensor_type") and len(dims(i)) == 4
              and i.type.tensor_type.elem_type in floats]
    if len(images) != 1:
        listed = ", ".join(f"{i.name} {_shown(dims(i))}" for i in inputs) or "none"
        raise SourceError(f"{name}: expected one float image input of rank 4, found {listed}")
    return images[0]


def _static(value_info, name: str):
    """The shape and dtype of a non-image input, which is fed zeros; it must be fully known."""
    import numpy as np
    from onnx import helper

    shape = dims(value_info)
    if not all(isinstance(d, int) for d in shape):
        raise SourceError(f"{name}: input {value_info.name!r} {_shown(shape)} is not the image and has no fixed shape")
    return shape, np.dtype(helper.tensor_dtype_to_np_dtype(value_info.type.tensor_type.elem_type))


def dims(value_info) -> tuple:
    """A declared shape: ints where fixed, the dimension's name (a str) where symbolic, None where anonymous."""
    shape = value_info.type.tensor_type.shape
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in shape.dim)


def _shown(dims) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in dims) + ")"


def _check_fixed(input_name: str, declared, shape) -> None:
    """A fixed dimension accepts only its own size, as onnxruntime checks before running."""
    wrong = [i for i, (d, s) in enumerate(zip(declared, shape)) if isinstance(d, int) and d != s]
    if wrong:
        raise FixedInputSize(f"the graph declares {input_name} {_shown(declared)}")


def weightless(model):
    """A copy for shape inference in which every large initializer is a graph input of the same type and shape.

    Inference needs the shapes of the weights, not their values (only small integer tensors, such as a
    Reshape's target shape, are read as data; they stay). Copying and walking tens of megabytes of weights
    per size cost more than running the model did.
    """
    from onnx import helper

    light = type(model)()
    light.CopyFrom(model)  # once per source; each size then copies only the weightless graph
    graph = light.graph
    kept, moved = [], []
    for tensor in graph.initializer:
        size = 1
        for d in tensor.dims:
            size *= d
        (moved if size >= 1024 else kept).append(tensor)
    inputs = {i.name for i in graph.input}
    for tensor in moved:
        if tensor.name not in inputs:  # IR < 4 already lists initializers as inputs
            graph.input.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return light


def _inferred(model, input_name: str, shape) -> dict:
    """Output shapes by onnx.shape_inference with the input pinned to `shape`; None where it cannot tell."""
    import onnx

    pinned = onnx.ModelProto()
    pinned.CopyFrom(model)
    for value_info in pinned.graph.input:
        if value_info.name == input_name:
            for dim, size in zip(value_info.type.tensor_type.shape.dim, shape):
                dim.Clear()
                dim.dim_value = size
    for value_info in pinned.graph.output:  # declared output dims would otherwise stand in for inferred ones
        value_info.type.tensor_type.ClearField("shape")
    del pinned.graph.value_info[:]
    inferred = onnx.shape_inference.infer_shapes(pinned, strict_mode=True, data_prop=True)
    outputs = {}
    for value_info in inferred.graph.output:
        if not value_info.type.tensor_type.HasField("shape"):
            raise ValueError(f"shape inference could not tell the rank of output {value_info.name!r}")
        outputs[value_info.name] = tuple(d if isinstance(d, int) else None for d in dims(value_info))
    return outputs


def _session(model, path: Path | None):
    """An onnxruntime session on a private copy of the checked model and its external data files."""
    import onnxruntime as ort

    if hasattr(ort, "disable_telemetry_events"):
        ort.disable_telemetry_events()  # onnxruntime's builds that send usage events send none from shapelint
    options = ort.SessionOptions()
    ort.set_default_logger_severity(4)  # fatal only: a size that fails is reported in its row, not logged
    options.log_severity_level = 4
    options.inter_op_num_threads = 1
    with tempfile.TemporaryDirectory(prefix="shapelint-onnx-") as private:
        copy = Path(private) / "model.onnx"
        copy.write_bytes(model.SerializeToString())  # the proto that was checked, not the file as it is now
        for location in safety.external_files(model) if path else ():
            target = Path(private) / location
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy_no_symlink(path.parent / location, target)
        # the session reads everything while it is built, so the copy can go once it exists
        return ort.InferenceSession(str(copy), options, providers=["CPUExecutionProvider"])


def _copy_no_symlink(source: Path, target: Path) -> None:
    """Copy a file, refusing a symlink that appeared since the check (O_NOFOLLOW on the last component)."""
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def _evidence(model, image, inputs) -> str:
    """The graph's own declared shapes, dimension names kept: (n, 3, h, w) -> (n, 512, oh, ow)."""
    outputs = ", ".join(f"{o.name} {_shown(dims(o))}" for o in model.graph.output)
    producer = f"{model.producer_name} {model.producer_version}".strip()
    exporter = f" (exported by {producer})" if producer else ""
    return f"ONNX graph declares {image.name} {_shown(dims(image))} -> {outputs}{exporter}"
