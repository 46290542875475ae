"""An ONNX file -> Inspection, read as data: nothing is loaded into onnxruntime or executed.

inner_pooling comes from walking each output back through the graph, past shape-only ops, to a
GlobalAveragePool/GlobalMaxPool or a ReduceMean/ReduceMax over the spatial axes; tail_ops are the last
ops that walk passed, as `shapelint inspect` shows them for SavedModels.
"""

from __future__ import annotations

from pathlib import Path

from ...records.backbone import Layout
from ...records.inner_pooling import TAIL_LENGTH, unpooled
from ...records.inspection import Endpoint, Inspection, OutputAnalysis, TensorInfo, Variables
from ...sources import Source, SourceError
from . import load as onnx_load
from . import safety

GLOBAL_POOLS = {"GlobalAveragePool": "mean", "GlobalMaxPool": "max"}
REDUCE_POOLS = {"ReduceMean": "mean", "ReduceMax": "max"}
# ops that change a tensor's shape or type but not which positions it averages: the walk goes past them
SHAPE_ONLY = ("Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Cast", "Dropout", "Transpose")


def inspect_onnx(source: Source) -> Inspection:
    onnx_load.require()
    import onnx
    from onnx import helper

    path = Path(source.location)
    try:
        model = onnx.load_model(str(path), load_external_data=False)
    except Exception as exc:
        raise SourceError(f"{source.text}: not an ONNX model ({type(exc).__name__})") from None
    graph = model.graph
    refusals = safety.refusals(model, path.parent)
    inferred = _symbolic(model)
    initialised = {t.name for t in graph.initializer}
    inputs = tuple(_info(i, helper) for i in graph.input if i.name not in initialised)
    outputs = tuple(_info(inferred.get(o.name, o), helper) for o in graph.output)
    name = graph.name or "graph"
    endpoint = Endpoint(name, "graph", name, inputs, outputs)
    spec = None
    try:
        spec = onnx_load.image_spec(model, source.text)
    except SourceError:
        pass
    layout = spec.layout if spec else Layout.NCHW
    producers = {out: node for node in graph.node for out in node.output}
    constants = {t.name: t for t in graph.initializer}
    analysed = tuple(_analyse(info, producers, constants, layout) for info in outputs)
    parameters = sum(_size(t.dims) for t in graph.initializer)
    notes = ["read as data: nothing was loaded or executed; shapes from onnx.shape_inference, '?' where symbolic",
             "ONNX keeps weights as initializers with no trainable flag: all are counted as not trainable"]
    if model.producer_name:
        notes.append(f"exported by {model.producer_name} {model.producer_version}".strip())
    if refusals:  # no flag lets these through: the probe always refuses them
        notes.append(f"shapelint probe refuses to load it: {'; '.join(refusals)}")
    return Inspection(source.text, "onnx", (endpoint,), name if spec else None, name if spec else None, spec,
                      outputs=analysed, variables=Variables(len(graph.initializer), 0, parameters, 0), notes=tuple(notes))


def _symbolic(model) -> dict:
    """Output value infos after symbolic shape inference; the declared ones where inference fails."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # an op the checker does not know: the declared shapes stand
        return {}
    return {o.name: o for o in inferred.graph.output}


def _info(value_info, helper) -> TensorInfo:
    tensor = value_info.type.tensor_type
    dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type).name if tensor.elem_type else "unknown"
    if not tensor.HasField("shape"):
        return TensorInfo(value_info.name, dtype, None)
    return TensorInfo(value_info.name, dtype, tuple(d if isinstance(d, int) else None for d in onnx_load.dims(value_info)))


def _analyse(info: TensorInfo, producers: dict, constants: dict, layout: Layout) -> OutputAnalysis:
    """Walk back from one output along each op's first input: the pooling found, and the ops passed."""
    tail, pooling, name = [], None, info.name
    while name in producers and len(tail) < 50:
        node = producers[name]
        tail.append(_op_text(node, constants))
        if pooling is None and node.op_type in GLOBAL_POOLS:
            pooling = GLOBAL_POOLS[node.op_type]
        elif pooling is None and node.op_type in REDUCE_POOLS and set(layout.spatial_axes) <= _axes(node, constants):
            pooling = REDUCE_POOLS[node.op_type]
        elif pooling is None and node.op_type not in SHAPE_ONLY:
            pooling = "none" if node.op_type != "Constant" else "unknown"
        if not node.input:
            break
        name = node.input[0]
    if pooling == "none":
        pooling = unpooled(info.shape)
    return OutputAnalysis(info.name, info.dtype, info.shape, pooling or "unknown", tuple(reversed(tail[:TAIL_LENGTH])))


def _axes(node, constants: dict) -> set:
    """A Reduce op's axes: the attribute (opset < 18) or the constant second input (opset 18), as non-negative ints."""
    from onnx import numpy_helper

    axes = next((list(a.ints) for a in node.attribute if a.name == "axes"), None)
    if axes is None and len(node.input) > 1 and node.input[1] in constants:
        axes = [int(a) for a in numpy_helper.to_array(constants[node.input[1]]).ravel()]
    return {a % 4 for a in axes or ()}


def _op_text(node, constants: dict) -> str:
    if node.op_type in REDUCE_POOLS:
        return f"{node.op_type}(axes={sorted(_axes(node, constants))})"
    return node.op_type


def _size(dims) -> int:
    total = 1
    for d in dims:
        total *= d
    return total
