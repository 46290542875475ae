"""The head of a checked model as rows: the backbone (probed) first, then each step to the model's output.

Each row says where the layer was created (file:line), its call (`Dense(1)`), its output shape at the
model's size (and a second size when the model takes variable sizes), what the step does to the head,
and the codes of the findings that concern it. table.py, json.py and the notebook view read the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..records.backbone import Layout
from ..records.layers import LayerRecord, ModelRecord
from ..records.words import loss_text, words_for
from ..report import SourceReport
from ..rules.verdict import verdict
from ..sources import format_size
from ..text import counted

MAX_ROWS = 12  # a head is a handful of layers; a model with no backbone found shows its last ones


@dataclass(frozen=True)
class HeadRow:
    layer: str
    call: str
    origin: tuple[str, int] | None
    shape: tuple | None
    alt_shape: tuple | None
    does: str
    codes: tuple[str, ...] = ()
    backbone: bool = False

    def to_json(self) -> dict:
        return {"layer": self.layer, "call": self.call, "file": self.origin[0] if self.origin else None,
                "line": self.origin[1] if self.origin else None, "output_shape": _list(self.shape),
                "alt_output_shape": _list(self.alt_shape), "does": self.does, "findings": list(self.codes),
                "backbone": self.backbone}


def _list(shape):
    return None if shape is None else list(shape)


def size_text(model: ModelRecord, size) -> str:
    """'224' for an image model, 'length 224' for one whose inputs are token ids (N, L): what the size means."""
    text = format_size(size) if isinstance(size, tuple) else str(size)
    tokens = model.inputs and all(shape is not None and len(shape) == 2 for shape in model.inputs)
    return f"length {text}" if tokens else text


def variable_sizes(result: SourceReport) -> bool:
    return bool(result.verdict) and result.verdict.get("input_sizes") not in ("fixed", None)


def head_rows(result: SourceReport) -> list[HeadRow]:
    """The rows of result's head table; [] for a report without a layer graph (probe, or a build error)."""
    model = result.model
    if model is None:
        return []
    if model.backbone is not None and model.backbone_layer is None:
        return [_bare_backbone(result)]
    layers = model.head_layers(MAX_ROWS)
    names = {layer.name for layer in layers}
    rows = []
    for layer in layers:
        is_backbone = layer.name == model.backbone_layer
        codes = tuple(f.code for f in result.findings
                      if f.layer == layer.name or (is_backbone and (f.layer is None or f.layer not in names)
                                                   and f.code.startswith("SL1")))
        last = layer is layers[-1]
        rows.append(HeadRow(layer.name, _call(layer, is_backbone), layer.origin, layer.output_shape,
                            layer.alt_output_shape, _does(layer, model, is_backbone, last), codes, is_backbone))
    return rows


def _call(layer: LayerRecord, is_backbone: bool) -> str:
    if is_backbone or layer.is_model or layer.opaque:
        return f"{layer.class_name} '{layer.name}'"
    return layer.call_text


def _channels_first(model: ModelRecord) -> bool:
    """Rank-4 maps in this model are NCHW when its backbone's are (PyTorch's normal map)."""
    main = verdict(model.backbone).primary if model.backbone else None
    if main is None or main.layout not in (Layout.NCHW, Layout.NHWC):
        return model.framework == "torch"  # no backbone to say: PyTorch's maps are channels-first
    return main.layout is Layout.NCHW


def _map(shape, first: bool = False) -> str:
    """(None, 5, 5, 1280) -> '5×5' ((None, 1280, 5, 5) with first=True); anything else -> its shape."""
    if shape and len(shape) == 4:
        return "×".join("?" if d is None else str(d) for d in (shape[2:4] if first else shape[1:3]))
    if shape and len(shape) == 3:
        return f"{shape[1] if shape[1] is not None else '?'}-token"
    return "?"


def _does(layer: LayerRecord, model: ModelRecord, is_backbone: bool, last: bool) -> str:
    shape, inp, first = layer.output_shape, layer.input_shape, _channels_first(model)
    if is_backbone:
        if shape is None:
            return "backbone (probed): output shape unknown"
        if len(shape) == 2:
            return f"backbone (probed): already pooled, {counted(shape[1], 'feature')}"
        channels = shape[1] if first and len(shape) == 4 else shape[-1]
        if _pooled(shape, first):
            return f"backbone (probed): already pooled to 1×1, {channels} channels"
        if len(shape) == 3:
            return f"backbone (probed): a {_map(shape)} sequence of {channels} channels"
        return f"backbone (probed): a {_map(shape, first)} map of {channels} channels"
    if layer.error:
        return f"cannot run here: {layer.error}"
    if layer.kind == "global_pool":
        if inp is not None and len(inp) == 2:
            return "pools a vector that is already pooled"
        return f"{'takes the max of' if layer.pooling == 'max' else 'averages'} the {_map(inp, first)} map"
    if layer.kind == "pool" and model.fixed_grid(layer):
        return f"pools to a fixed {_map(shape, first)} grid at every input size"
    if layer.kind == "flatten" and inp is not None and _pooled(inp, first):
        return f"drops the 1×1 axes of a pooled map: {inp[1] if first else inp[-1]} features"
    if layer.kind == "flatten" and inp is not None and len(inp) > 2:
        size = prod(d for d in inp[1:] if d is not None)
        varies = layer.alt_output_shape is not None and layer.alt_output_shape != layer.output_shape
        return f"flattens the {_map(inp, first)} map: {size} features" + (
            ", changes with the input size" if varies else "")
    if layer.kind == "dropout":
        return "training only; the shape passes through"
    if layer.kind == "dense":
        if inp is not None and len(inp) > 2:
            return f"runs at each of the {_map(inp, first)} positions: nothing pooled before it"
        if last:
            return _into_loss(layer, model)
        return f"{layer.units} features"
    if layer.kind == "activation" and last:
        return _into_loss(layer, model)
    if layer.kind == "reduce" and layer.reduces:
        return _reduces(layer)
    if layer.kind == "select" and layer.tokens is not None:
        start, stop = layer.tokens
        if stop == start + 1:
            return f"takes token {start}"
        return f"takes tokens {start}.." + (f"{stop - 1}" if stop is not None else "")
    if layer.kind == "select" and layer.reduces:
        return f"selects one position on the {layer.reduces} axis"
    if layer.kind == "concat" and layer.axes:
        return f"joins its inputs on axis {layer.axes[0]}"
    if layer.kind == "activation" and layer.axes and layer.axes[0] == 0 and inp is not None and len(inp) > 1:
        return f"{layer.activation} over the batch axis"
    return ""


def _pooled(shape, first: bool) -> bool:
    """A rank-4 map whose spatial axes are both 1."""
    return bool(shape) and len(shape) == 4 and (shape[2:4] if first else shape[1:3]) == (1, 1)


def _reduces(layer: LayerRecord) -> str:
    return f"reduces the {layer.reduces} axes" if layer.reduces != "batch" else "reduces over the batch axis"


def _into_loss(layer: LayerRecord, model: ModelRecord) -> str:
    activation = layer.activation or "linear"
    what = "logits" if activation == "linear" else f"{activation} outputs"
    if model.loss is None:
        return f"{what}: the model's output (not compiled)"
    return f"{what} into {loss_text(words_for(model.framework), model.loss, model.from_logits)}"


def _bare_backbone(result: SourceReport) -> HeadRow:
    """A model that is its backbone (keras:Name, a saved backbone): one probed row, no head after it."""
    model, record = result.model, result.backbone
    size = model.size or (record.records[0].size if record.records else None)
    first = next((r for r in record.records if r.ok and (size is None or r.size == size)), None)
    shape = (None, *next(iter(first.outputs.values()))[1:]) if first and len(first.outputs) == 1 else None
    does = "the whole model is a backbone: no head after it"
    whole = record.classifier
    if whole is not None:
        width = f"{whole.width} output{'s' if whole.width != 1 else ''}" if whole.width else "its own classes"
        does = f"a classifier with {width}: its own head is inside"
        if shape is not None and len(shape) == 2:
            does += f" (class scores at {format_size(first.size)})"
    elif shape is not None and _pooled(shape, _channels_first(model)):
        does += f" (a map already pooled to 1×1 at {format_size(first.size)})"
    elif shape is not None:
        what = "pooled vector" if len(shape) == 2 else _map(shape, _channels_first(model)) + " map"
        does += f" (a {what} at {format_size(first.size)})"
    return HeadRow(record.source, f"{record.kind} backbone", None, shape, None, does,
                   tuple(f.code for f in result.findings), backbone=True)
