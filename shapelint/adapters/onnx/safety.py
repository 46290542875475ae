"""What an ONNX file may refer to before anything loads it: op domains and external data, both by allowlist.

onnxruntime resolves an op in a domain it does not know from a custom-op library registered with the
session; an external-data `location` is a path that the loader opens. Both are read from the protobuf
here, as data: nothing is loaded or executed.
"""

from __future__ import annotations

import os
from pathlib import Path

# The domains of the ONNX standard: every op in them is a pure tensor function (none takes a path).
ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})


def refusals(model, folder: Path | None) -> list[str]:
    """Why this model must not be loaded, one phrase each, e.g. ["op 'Evil' from custom domain 'com.evil'"]."""
    local = {(f.domain, f.name): f for f in model.functions}  # model-local functions: their bodies are checked
    found = [f"opset import of custom domain {o.domain!r}" for o in model.opset_import
             if o.domain not in ALLOWED_DOMAINS and not any(d == o.domain for d, _ in local)]
    found += _graph_refusals(model.graph, local)
    for info in model.training_info:
        found += _graph_refusals(info.initialization, local) + _graph_refusals(info.algorithm, local)
    for function in model.functions:
        found += _nodes_refusals(function.node, local)
    found += [why for tensor in _tensors(model) if (why := external_data_refusal(tensor, folder))]
    return list(dict.fromkeys(found))


def _graph_refusals(graph, local) -> list[str]:
    return _nodes_refusals(graph.node, local)


def _nodes_refusals(nodes, local) -> list[str]:
    found = []
    for node in nodes:
        if node.domain not in ALLOWED_DOMAINS and (node.domain, node.op_type) not in local:
            found.append(f"op {node.op_type!r} from custom domain {node.domain!r}")
        for attribute in node.attribute:  # If/Loop/Scan bodies
            for graph in [attribute.g, *attribute.graphs] if attribute.HasField("g") else attribute.graphs:
                found += _graph_refusals(graph, local)
    return found


def _tensors(model):
    """Every TensorProto that can carry data: initializers, sparse initializers, node attributes (sparse ones
    too), If/Loop bodies, and the training graphs (training_info), whether or not a loader reads them today."""
    yield from _graph_tensors(model.graph)
    for info in model.training_info:
        yield from _graph_tensors(info.initialization)
        yield from _graph_tensors(info.algorithm)
    for function in model.functions:
        yield from _node_tensors(function.node)


def _graph_tensors(graph):
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    yield from _node_tensors(graph.node)


def _node_tensors(nodes):
    for node in nodes:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            sparse = [attribute.sparse_tensor] if attribute.HasField("sparse_tensor") else []
            for tensor in [*sparse, *attribute.sparse_tensors]:
                yield tensor.values
                yield tensor.indices
            if attribute.HasField("g"):
                yield from _graph_tensors(attribute.g)
            for graph in attribute.graphs:
                yield from _graph_tensors(graph)


def external_data_refusal(tensor, folder: Path | None) -> str | None:
    """A tensor whose external data lives outside the model's folder, or is reached through a symlink;
    folder None (a model held in memory) has no folder, so any external data is refused."""
    entries = {entry.key: entry.value for entry in tensor.external_data}
    if "location" not in entries:
        return None
    location = entries["location"]
    where = f"tensor {tensor.name!r} keeps its data at {location!r}"
    if folder is None:
        return f"{where}, and a model held in memory has no folder (pass the .onnx file instead)"
    parts = Path(location).parts
    if not location or os.path.isabs(location) or Path(location).drive or ".." in parts or "\\" in location:
        return f"{where}, outside the model's folder"
    path = folder
    for part in parts:
        path = path / part
        if path.is_symlink():
            return f"{where}, through a symlink"
    if not path.is_file():  # stat, not open: a FIFO or a device (/dev/zero) is never opened
        return f"{where}, which is not a file beside the model"
    return None


def external_files(model) -> list[str]:
    """The external-data locations the model names, once each (already checked by refusals)."""
    locations = []
    for tensor in _tensors(model):
        for entry in tensor.external_data:
            if entry.key == "location" and entry.value not in locations:
                locations.append(entry.value)
    return locations
