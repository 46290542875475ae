"""Where a Keras model's backbone ends when its layers are the model's own, and whether the model is a whole
classifier.

keras.io's fine-tuning recipe inlines the backbone: `x = base_model.output; x = GlobalAveragePooling2D()(x);
...; Model(base_model.input, predictions)`, and a keras.applications model built with include_top=True is
the same graph. The boundary is read from the shapes: walking back from the output along first inputs,
the last layer that still returns a map (or token sequence) is the backbone's output; the layer after it
reduces the spatial axes. Everything upstream of that layer is the backbone, probed as a sub-model from the
model's input to that tensor; the rest is the head.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...records.facts import ClassifierRecord
from ...records.layers import LayerRecord

TOP = "predictions"  # the name keras.applications gives its classifier (include_top=True)
DEEP = 10  # convolutions: VGG16 has 13, MobileNetV2 52; the small CNNs of from-scratch tutorials 2 to 6


def boundary(layers: list[LayerRecord], outputs: tuple[str, ...]) -> str | None:
    """The layer whose map the head reduces to a vector for its Dense; None when the output keeps its axes, no
    Dense follows the reduction, or nothing before it has the weights of a backbone (a convolution)."""
    by_name = {layer.name: layer for layer in layers}
    current = by_name.get(outputs[0]) if outputs else None
    seen, dense = set(), False
    while current is not None and current.name not in seen:
        seen.add(current.name)
        dense = dense or current.kind == "dense"
        shape = current.output_shape
        if shape is None or len(shape) != 2:
            return None  # the output keeps spatial axes (a bug for the head rules), or is unknown
        before = by_name.get(current.inbound[0]) if len(current.inbound) == 1 else None
        if before is None:
            return None
        if before.output_shape is not None and len(before.output_shape) >= 3:
            if not dense:
                return None  # pooled with no classifier after it: a backbone built with pooling="avg"
            before = _before_head_pool(before, by_name)
            part = upstream(layers, before.name)
            return before.name if any(by_name[n].kind == "conv" for n in part if n in by_name) else None
        current = before
    return None


def _before_head_pool(layer: LayerRecord, by_name: dict) -> LayerRecord:
    """A local pool that leaves a 1×1 map (AveragePooling2D(7) on a 7×7 map) pools for the head: the backbone
    ends before it."""
    shape = layer.output_shape
    pooled = shape is not None and len(shape) == 4 and (shape[1:3] == (1, 1) or shape[2:4] == (1, 1))
    source = by_name.get(layer.inbound[0]) if len(layer.inbound) == 1 else None
    if layer.kind == "pool" and pooled and source is not None and source.output_shape and len(source.output_shape) == 4:
        return source
    return layer


def upstream(layers: list[LayerRecord], name: str) -> set[str]:
    """`name` and every layer it depends on."""
    by_name = {layer.name: layer for layer in layers}
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in seen and current in by_name:
            seen.add(current)
            todo += list(by_name[current].inbound)
    return seen


@dataclass
class InlinedBackbone:
    """The backbone part of a model whose backbone layers are its own, recorded as one layer."""

    name: str  # "first…last": the layers it spans, as the head table names it
    last: str  # the layer whose output is the backbone's output
    part: set[str]

    def record(self, layers: list[LayerRecord], class_name: str) -> list[LayerRecord]:
        """One record for the backbone, then the head's layers reading it where they read a backbone layer."""
        by_name = {layer.name: layer for layer in layers}
        last = by_name[self.last]
        first = next((layer for layer in layers if layer.name in self.part), last)
        backbone = LayerRecord(self.name, class_name, input_shapes=first.input_shapes, output_shapes=last.output_shapes,
                               alt_output_shapes=last.alt_output_shapes, is_model=True, kind="model", inlined=True,
                               call=f"{class_name}()")
        head = [replace(layer, inbound=tuple(dict.fromkeys(self.name if n in self.part else n for n in layer.inbound)))
                for layer in layers if layer.name not in self.part]
        return [backbone, *head]


def inlined(layers: list[LayerRecord], outputs: tuple[str, ...], free: bool) -> InlinedBackbone | None:
    """The inlined backbone, where the part before the head is one: the model takes free sizes, or the part is
    as deep as a pretrained architecture. A small CNN declared at one size (LeNet on 28×28 MNIST) is the model
    itself, trained from scratch at that size, and stays whole."""
    last = boundary(layers, outputs)
    if last is None:
        return None
    part = upstream(layers, last)
    if not free and sum(1 for layer in layers if layer.name in part and layer.kind == "conv") < DEEP:
        return None
    first = next((layer.name for layer in layers if layer.name in part and layer.kind != "input"), last)
    return InlinedBackbone(first if first == last else f"{first}…{last}", last, part)


def application(model) -> ClassifierRecord | None:
    """A keras.applications model built with include_top=True: its top Dense, 'predictions', ends the model."""
    top = model.layers[-1] if getattr(model, "layers", None) else None
    if top is None or top.name != TOP or type(top).__name__ != "Dense":
        return None
    features = top.input.shape[-1] if getattr(top, "input", None) is not None else None
    return ClassifierRecord(int(top.units), int(features) if features else None, TOP, "keras", pools=True)


def saved_scores(outputs) -> ClassifierRecord | None:
    """A saved model whose one output is (N, 1) or (N, 2): class scores (a binary classifier's logit or its two
    classes), never a feature vector to put a classifier on."""
    shapes = [tuple(o.shape) for o in outputs if o.shape is not None]
    if len(shapes) != 1 or len(outputs) != 1 or len(shapes[0]) != 2 or shapes[0][-1] not in (1, 2):
        return None
    return ClassifierRecord(shapes[0][-1], None, None, "savedmodel", pools=True)
