"""Walking a ModelRecord's layer graph, for the head and loss rules. Pure: records in, records out."""

from __future__ import annotations

from ..records.layers import LayerRecord, ModelRecord
from .verdict import shape_text


def text(shape) -> str:
    """(None, 7, 7, 1280) as Keras prints a layer's shape: the batch as it is, other unknown dimensions as '?'."""
    return shape_text(shape, batch=str(shape[0]))


def producer(model: ModelRecord, name: str) -> LayerRecord | None:
    """The layer that computes `name`'s output: a nested head model is followed to its last layer."""
    layer, seen = model.layer(name), set()
    while layer and layer.expanded and len(layer.inbound) == 1 and layer.name not in seen:
        seen.add(layer.name)
        layer = model.layer(layer.inbound[0])
    return layer


def last_activation(model: ModelRecord, name: str) -> LayerRecord | None:
    """The layer that decides `name`'s activation, looking back through dropout and the like."""
    layer, seen = producer(model, name), set()
    while layer and layer.activation is None and layer.kind == "dropout" and len(layer.inbound) == 1:
        if layer.name in seen:  # a malformed record with a cycle
            return None
        seen.add(layer.name)
        layer = producer(model, layer.inbound[0])
    return layer if layer and layer.activation is not None else None


def upstream(model: ModelRecord, name: str) -> set[str]:
    """Every layer name that `name` depends on (itself excluded)."""
    seen, todo = set(), list(getattr(model.layer(name), "inbound", ()))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += list(getattr(model.layer(current), "inbound", ()))
    return seen


def single_output(model: ModelRecord) -> tuple[LayerRecord, LayerRecord | None, int | None] | None:
    """(output layer, the layer deciding its activation, its last axis) of a one-output model; else None."""
    if len(model.outputs) != 1:
        return None
    out = producer(model, model.outputs[0])
    if out is None:
        return None
    shape = out.output_shape
    return out, last_activation(model, model.outputs[0]), shape[-1] if shape and len(shape) >= 2 else None
