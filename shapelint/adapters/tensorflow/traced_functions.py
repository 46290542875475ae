"""A SavedModel's traced functions as inner_pooling.Function records: the FunctionDefs an endpoint
reaches, or the meta graph itself for SavedModels without an object graph (TF1). Read, never run."""

from __future__ import annotations

from ...records.inner_pooling import Function, Op
from .runtime import import_tensorflow
from .savedmodel_proto import CALL_OPS, GRAPH, function_library, meta_graph, reachable


def _small_ints(node):
    """The value of a small integer Const (reduction axes are one), else None."""
    if node.op != "Const" or "value" not in node.attr:
        return None
    tensor = node.attr["value"].tensor
    if tensor.dtype not in (3, 9):  # DT_INT32, DT_INT64
        return None
    tf = import_tensorflow()
    value = tf.make_ndarray(tensor)
    return tuple(int(x) for x in value.flat) if value.size <= 8 else None


def plain_functions(proto, roots) -> dict[str, Function]:
    """The library functions reachable from `roots`, converted to inner_pooling.Function records."""
    library = function_library(proto)
    graphs = {root: _graph_function(proto, root, library) for root in roots if root.startswith(GRAPH)}
    called = [name for graph in graphs.values() for name in graph.calls()]
    return {**graphs, **{name: _function(library[name], library) for name in reachable([*roots, *called], library)}}


def _function(fdef, library: dict) -> Function:
    ops = {node.name: _op(node, tuple(i for i in node.input if not i.startswith("^")), library)  # "^": control edge
           for node in fdef.node_def}
    out_names = tuple(arg.name for arg in fdef.signature.output_arg)
    return Function(fdef.signature.name, tuple(arg.name for arg in fdef.signature.input_arg),
                    tuple(fdef.ret[n] for n in out_names), out_names, ops)


def _op(node, inputs: tuple[str, ...], library: dict) -> Op:
    return Op(node.name, node.op, inputs, _call_target(node, library), _small_ints(node))


def _graph_function(proto, name: str, library: dict) -> Function:
    """The meta graph's nodes as a Function whose outputs are one signature's output tensors, in key order.
    Graph references ("node:1", "node") are rewritten to the function form ("node:output:1")."""
    graph = meta_graph(proto)
    outputs = graph.signature_def[name[len(GRAPH):]].outputs

    def ref(text: str) -> str:
        node, _, index = text.partition(":")
        return f"{node}:output:{index or 0}"

    ops = {node.name: _op(node, tuple(ref(i) for i in node.input if not i.startswith("^")), library)
           for node in graph.graph_def.node}
    return Function(name, (), tuple(ref(outputs[key].name) for key in sorted(outputs)), tuple(sorted(outputs)), ops)


def _call_target(node, library) -> str | None:
    """The function whose outputs a node returns as its own: a call op's f, or an op named after a function."""
    if node.op in library:
        return node.op
    if node.op in CALL_OPS and node.attr["f"].func.name in library:
        return node.attr["f"].func.name
    return None
