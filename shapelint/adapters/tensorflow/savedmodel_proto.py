"""Read a SavedModel directory as data: saved_model.pb parsed, nothing loaded, traced or executed.

What `tf.saved_model.load` would run (restore functions, initialisers, the module's own functions)
is only read here as protocol buffers: signatures, the object graph's endpoints and variables, and the
function library with the op types each function reaches through the functions it calls.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from ...errors import one_line
from ...records.inspection import Endpoint, TensorInfo
from ...sources import SourceError
from ..base import flatten_outputs
from .runtime import import_tensorflow

SERVE_TAG = "serve"
CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")
VARIABLE_OPS = ("VariableV2", "Variable", "VarHandleOp")
GRAPH = "<graph>:"  # prefix of the pseudo-function that stands for the meta graph's own nodes


def read(path, trust: bool = False) -> "saved_model_pb2.SavedModel":  # noqa: F821
    """Parse <path>/saved_model.pb (or .pbtxt); a missing or corrupt file, or (unless trusted) a symlink
    that leads out of the folder, is a one-line SourceError."""
    if not trust:
        escaping = symlink_outside(path)
        if escaping:
            raise SourceError(f"{path}: refused to load: {escaping} (pass --trust to allow)")
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


def symlink_outside(folder) -> str | None:
    """The first symlink under `folder` whose target resolves outside it, worded for a refusal; None if none.
    A SavedModel or Hub cache entry is read as a whole by the loader: a link out would read a host file."""
    root = os.path.realpath(folder)
    for parent, dirs, files in os.walk(folder):  # os.walk does not descend into linked folders: each is checked
        for name in dirs + files:
            entry = os.path.join(parent, name)
            if os.path.islink(entry):
                target = os.path.realpath(entry)
                if os.path.commonpath([root, target]) != root:
                    return f"{os.path.relpath(entry, folder)} is a symlink to {target}, outside the SavedModel"
    return None


def asset_files(meta) -> list:
    """AssetFileDefs the loader resolves under assets/: the meta graph's own (TF2) and the TF1 builder's
    saved_model_assets collection."""
    from tensorflow.core.protobuf import meta_graph_pb2

    found = list(meta.asset_file_def)
    if "saved_model_assets" in meta.collection_def:
        for packed in meta.collection_def["saved_model_assets"].any_list.value:
            asset = meta_graph_pb2.AssetFileDef()
            if packed.Unpack(asset):
                found.append(asset)
    return found


def meta_graph(proto):
    """The meta graph tf.saved_model.load would pick: the one tagged 'serve', else the first."""
    for graph in proto.meta_graphs:
        if SERVE_TAG in graph.meta_info_def.tags:
            return graph
    return proto.meta_graphs[0]


def library(meta) -> dict:
    """Function name -> FunctionDef, for every function in one meta graph's library."""
    return {f.signature.name: f for f in meta.graph_def.library.function}


def function_library(proto) -> dict:
    """The library of the meta graph tf.saved_model.load would pick."""
    return library(meta_graph(proto))


def func_attrs(node) -> list[str]:
    """The names a NodeDef's func attrs hold (PartitionedCall f, While body, If branches): library
    functions, or registered ops, which the runtime then runs."""
    names = []
    for value in node.attr.values():
        if value.HasField("func"):
            names.append(value.func.name)
        names.extend(f.name for f in value.list.func)
    return names


def callees(node, library: dict) -> list[str]:
    """Library functions a NodeDef calls: by op name, or through func attrs."""
    return [name for name in [node.op] + func_attrs(node) if name in library]


def reachable(roots, library: dict) -> set[str]:
    """The library functions `roots` name, and every function they call, however deeply."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in library:
            continue
        seen.add(name)
        for node in library[name].node_def:
            todo.extend(callees(node, library))
    return seen


def _ops_of(functions, library: dict) -> set[str]:
    """Op types the nodes of these library functions run themselves (calls to functions not counted)."""
    return {node.op for name in functions for node in library[name].node_def if node.op not in library}


def ops_by_function(proto) -> dict[str, set[str]]:
    """Function name -> op types it runs, including those of every function it calls, however deeply."""
    library = function_library(proto)
    return {name: _ops_of(reachable([name], library), library) for name in library}


def graph_ops(proto) -> set[str]:
    """Op types of the meta graph's own nodes (placeholders, variable handles, the calls signatures make),
    plus everything the functions they call reach."""
    library = function_library(proto)
    nodes = meta_graph(proto).graph_def.node
    called = [name for node in nodes for name in callees(node, library)]
    return {node.op for node in nodes if node.op not in library} | _ops_of(reachable(called, library), library)


# --- signatures, endpoints and variables from the object graph ----------------------------------------

def dtype_name(enum: int) -> str:
    tf = import_tensorflow()
    try:
        return tf.dtypes.as_dtype(enum).name
    except TypeError:
        return f"dtype {enum}"


def shape_of(shape_proto) -> tuple | None:
    """A TensorShapeProto as a tuple with None for unknown dimensions; None when the rank is unknown."""
    if shape_proto.unknown_rank:
        return None
    return tuple(None if d.size < 0 else int(d.size) for d in shape_proto.dim)


def decode(value):
    """A StructuredValue (a function's input or output structure) as Python: TensorInfo leaves in
    tuples, lists and dicts (dict keys sorted, the order tf.nest flattens them), plain values otherwise."""
    kind = value.WhichOneof("kind")
    if kind in ("tensor_spec_value", "bounded_tensor_spec_value"):
        spec = getattr(value, kind)
        return TensorInfo(spec.name, dtype_name(spec.dtype), shape_of(spec.shape))
    if kind == "type_spec_value":  # RaggedTensorSpec, SparseTensorSpec, ...: named, shape not read
        return TensorInfo(value.type_spec_value.type_spec_class_name, "composite", None)
    if kind in ("tuple_value", "list_value"):
        return tuple(decode(v) for v in getattr(value, kind).values)
    if kind == "dict_value":
        return {key: decode(value.dict_value.fields[key]) for key in sorted(value.dict_value.fields)}
    if kind == "named_tuple_value":
        return {pair.key: decode(pair.value) for pair in value.named_tuple_value.values}
    if kind == "none_value" or kind is None:
        return None
    plain = getattr(value, kind)
    return plain if isinstance(plain, (bool, int, float, str)) else f"<{kind}>"


def leaves(structure, prefix: str = "") -> list[tuple[str, object]]:
    """(name, leaf) pairs, named as the probe names outputs: 'output' alone, dict keys and indices joined by '/'."""
    return list(flatten_outputs(structure, lambda v: not isinstance(v, (dict, list, tuple)), prefix).items())


def argument_names(saved_function) -> tuple[str, ...]:
    """Positional parameter names of a SavedFunction, from its recorded argspec (without self)."""
    spec = decode(saved_function.function_spec.fullargspec)
    names = tuple(spec.get("args") or ()) if isinstance(spec, dict) else ()
    return names[1:] if names[:1] == ("self",) else names


def split_arguments(args, kwargs, names=()) -> tuple[tuple[TensorInfo, ...], tuple[str, ...]]:
    """(tensor inputs, non-tensor arguments such as training=False) of an input signature whose tensors are
    TensorInfo leaves; positional arguments are named by `names`. Shared with the loaded-object side
    (adapters.savedmodel), so both describe a trace alike."""
    named = [(names[i] if i < len(names) else f"arg{i}", v) for i, v in enumerate(args or ())]
    inputs, arguments = [], []
    for key, value in named + list((kwargs or {}).items()):
        for leaf_name, leaf in leaves(value, key):
            if isinstance(leaf, TensorInfo):
                inputs.append(TensorInfo(leaf.name or leaf_name, leaf.dtype, leaf.shape))
            else:
                arguments.append(f"{leaf_name}={leaf!r}")
    return tuple(inputs), tuple(arguments)


def function_io(saved_concrete, names=()) -> tuple[tuple, tuple, tuple]:
    """(tensor inputs, outputs, non-tensor arguments such as training=False) of a SavedConcreteFunction."""
    args, kwargs = (decode(saved_concrete.canonicalized_input_signature) + ({}, {}))[:2]
    inputs, arguments = split_arguments(args, kwargs, names)
    outputs = [TensorInfo(name, leaf.dtype, leaf.shape) for name, leaf in leaves(decode(saved_concrete.output_signature))
               if isinstance(leaf, TensorInfo)]
    return inputs, tuple(outputs), arguments


def children(graph, node_id: int) -> dict[str, int]:
    return {c.local_name: c.node_id for c in graph.nodes[node_id].children}


def _internal(name: str) -> bool:
    """Root functions tf_keras saves for its own loader (_default_save_signature, call_and_return_...)."""
    return name.startswith("call_and_return_") or name.startswith("_") and not name.startswith("__")


def endpoints(proto) -> list[Endpoint]:
    """Root functions (`__call__`, `serve`: one Endpoint per trace) and signatures, as tf.saved_model.load
    would expose them; read from the object graph, nothing restored."""
    graph = meta_graph(proto).object_graph_def
    if not graph.nodes:
        return graph_signatures(proto)
    found = []
    root = children(graph, 0)
    for name, node_id in root.items():
        node = graph.nodes[node_id]
        if node.WhichOneof("kind") == "function" and not _internal(name):
            names = argument_names(node.function)
            for fn_name in node.function.concrete_functions:
                if fn_name in graph.concrete_functions:
                    found.append(Endpoint(name, "function", fn_name, *function_io(graph.concrete_functions[fn_name], names)))
    for name, node_id in children(graph, root["signatures"]).items() if "signatures" in root else []:
        bare = graph.nodes[node_id].bare_concrete_function
        saved = graph.concrete_functions.get(bare.concrete_function_name)
        if saved is not None:
            found.append(Endpoint(name, "signature", bare.concrete_function_name, *function_io(saved)))
    return found


def graph_signatures(proto) -> list[Endpoint]:
    """Signatures of a SavedModel without an object graph (TF1, TF1 Hub format): their outputs are tensors
    of the meta graph itself, walked as the pseudo-function GRAPH + signature name."""
    signature_defs = meta_graph(proto).signature_def

    def tensors(infos):
        return tuple(TensorInfo(key, dtype_name(infos[key].dtype), shape_of(infos[key].tensor_shape))
                     for key in sorted(infos))

    return [Endpoint(name, "signature", GRAPH + name, tensors(sig.inputs), tensors(sig.outputs))
            for name, sig in sorted(signature_defs.items()) if not name.startswith("__")]


class Variable(NamedTuple):
    name: str
    shape: tuple  # () for a scalar or an unknown shape
    trainable: bool


class SavedVariables(NamedTuple):
    variables: list[Variable]
    ids: list  # their object-graph node ids
    root_variables: list | None  # node ids the root object lists as `variables`, None without such a list
    root_trainable: list | None  # node ids the root lists as `trainable_variables`, None without such a list


def variables(proto) -> SavedVariables:
    """The module's variables: the root's own `variables` list (what hub.KerasLayer adopts) when it has
    one, else every variable node in the object graph, each counted once."""
    graph = meta_graph(proto).object_graph_def
    if not graph.nodes:
        return SavedVariables(graph_variables(proto), [], None, None)
    root = children(graph, 0)

    def listed(key):
        if key not in root:
            return None
        return [i for i in children(graph, root[key]).values() if graph.nodes[i].WhichOneof("kind") == "variable"]

    root_variables = listed("variables")
    ids = root_variables if root_variables is not None else [
        i for i, node in enumerate(graph.nodes) if node.WhichOneof("kind") == "variable"]
    ids = list(dict.fromkeys(ids))
    found = [Variable(v.name, shape_of(v.shape) or (), v.trainable) for v in (graph.nodes[i].variable for i in ids)]
    return SavedVariables(found, ids, root_variables, listed("trainable_variables"))


def graph_variables(proto) -> list[Variable]:
    """The variable nodes of a graph without an object graph (TF1), trainable when the graph's
    trainable_variables collection lists them."""
    from tensorflow.core.framework import variable_pb2

    graph = meta_graph(proto)
    listed = graph.collection_def["trainable_variables"].bytes_list.value if "trainable_variables" in graph.collection_def else []
    trainable = {variable_pb2.VariableDef.FromString(raw).variable_name.split(":")[0] for raw in listed}
    return [Variable(node.name, shape_of(node.attr["shape"].shape) or (), node.name in trainable)
            for node in graph.graph_def.node if node.op in VARIABLE_OPS]


def declared_range(proto, path) -> tuple[float, float] | None:
    """A value range the module declares as a root variable named like 'input_range' holding two numbers,
    read from the checkpoint file (data, not code)."""
    graph = meta_graph(proto).object_graph_def
    if not graph.nodes:
        return None
    for name, node_id in children(graph, 0).items():
        if "range" in name.lower() and graph.nodes[node_id].WhichOneof("kind") == "variable":
            tf = import_tensorflow()
            try:
                value = tf.train.load_checkpoint(str(Path(path) / "variables" / "variables")).get_tensor(
                    f"{name}/.ATTRIBUTES/VARIABLE_VALUE")
            except Exception:  # no checkpoint or another layout: the range stays unknown
                return None
            flat = [float(x) for x in getattr(value, "flat", [])]
            if len(flat) == 2:
                return (flat[0], flat[1])
    return None
