"""Read a SavedModel directory as data: saved_model.pb parsed, nothing loaded, traced or executed.

What `tf.saved_model.load` would run (restore functions, initialisers, the module's own functions)
is only read here as protocol buffers: signatures, the object graph's endpoints and variables, and the
function library with the op types each function reaches through the functions it calls.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import one_line
from ..sources import SourceError
from ._quiet import import_tensorflow

SERVE_TAG = "serve"


def read(path) -> "saved_model_pb2.SavedModel":  # noqa: F821
    """Parse <path>/saved_model.pb (or .pbtxt); a missing or corrupt file is a one-line SourceError."""
    import_tensorflow()  # tensorflow.core imports the whole of TensorFlow: do it quietly
    from google.protobuf import message, text_format
    from tensorflow.core.protobuf import saved_model_pb2

    folder = Path(path)
    proto = saved_model_pb2.SavedModel()
    try:
        if (folder / "saved_model.pb").is_file():
            proto.ParseFromString((folder / "saved_model.pb").read_bytes())
        elif (folder / "saved_model.pbtxt").is_file():
            text_format.Parse((folder / "saved_model.pbtxt").read_text(), proto)
        else:
            raise SourceError(f"{path}: directory is not a SavedModel (no saved_model.pb)")
    except (message.DecodeError, text_format.ParseError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot parse saved_model.pb: {one_line(exc)}") from None
    if not proto.meta_graphs:
        raise SourceError(f"{path}: saved_model.pb holds no meta graph")
    return proto


def meta_graph(proto):
    """The meta graph tf.saved_model.load would pick: the one tagged 'serve', else the first."""
    for graph in proto.meta_graphs:
        if SERVE_TAG in graph.meta_info_def.tags:
            return graph
    return proto.meta_graphs[0]


def function_library(proto) -> dict:
    """Function name -> FunctionDef, for every function in the meta graph's library."""
    return {f.signature.name: f for f in meta_graph(proto).graph_def.library.function}


def callees(node, library: dict) -> list[str]:
    """Library functions a NodeDef calls: by op name, or through func attrs (PartitionedCall f, While body, If branches)."""
    found = [node.op] if node.op in library else []
    for value in node.attr.values():
        if value.HasField("func"):
            found.append(value.func.name)
        found.extend(f.name for f in value.list.func)
    return [name for name in found if name in library]


def _direct(nodes, library: dict) -> tuple[set, set]:
    ops, called = set(), set()
    for node in nodes:
        if node.op not in library:
            ops.add(node.op)
        called.update(callees(node, library))
    return ops, called


def ops_by_function(proto) -> dict[str, set[str]]:
    """Function name -> op types it runs, including those of every function it calls, however deeply."""
    library = function_library(proto)
    direct = {name: _direct(f.node_def, library) for name, f in library.items()}
    done: dict[str, set[str]] = {}

    def reach(name: str, path: frozenset) -> set[str]:
        if name in done:
            return done[name]
        ops, called = direct[name]
        ops = set(ops)
        for callee in called - path - {name}:  # recursion never happens in TF graphs; guard anyway
            ops |= reach(callee, path | {name})
        done[name] = ops
        return ops

    for name in library:
        reach(name, frozenset())
    return done


def graph_ops(proto) -> set[str]:
    """Op types of the meta graph's own nodes (placeholders, variable handles, the calls signatures make),
    plus everything the functions they call reach."""
    library = function_library(proto)
    nested = ops_by_function(proto)
    ops, called = _direct(meta_graph(proto).graph_def.node, library)
    for name in called:
        ops |= nested[name]
    return ops
