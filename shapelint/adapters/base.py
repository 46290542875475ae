"""What every adapter hands back: a Backbone that can be shaped symbolically and executed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..records.backbone import InputSpec, Shape

ShapeFn = Callable[[Shape], "dict[str, Shape]"]


class CannotExecuteHere(Exception):
    """This machine cannot run the model (e.g. NCHW convolutions on a CPU); inferred shapes stand."""


@dataclass
class Backbone:
    """A loaded model, seen only through two functions of an input shape."""

    name: str
    kind: str
    input: InputSpec
    symbolic: ShapeFn  # shapes by shape inference, no arithmetic on data
    execute: ShapeFn  # shapes of a real forward pass on zeros
    model: Any = None  # the framework object, for adapters that read its layer graph
    blocked: str | None = None  # why executing is not allowed (e.g. a suspicious op), if it is not
    suspicious: tuple = ()  # ((function, (op, ...)), ...) that could reach the host: opscan's findings
    notes: list[str] = field(default_factory=list)
    framework: str = "keras"  # whose words the advice is spelled in (records.words)
    loss: Any = None  # a loss given beside the model (a torch factory's (model, loss)); Keras keeps its own
    layout: Any = None  # the output Layout the model declares (timm's output_fmt), where shapes alone cannot tell
    execute_each: bool = False  # run a real batch at every size up to the probe's limit, not only the smallest
    # what the library declares about the model (records.facts), copied into its BackboneRecord by the probe
    tokens: Any = None  # TokenRecord: prefix tokens, patch grid, reference pooling of a token output
    classifier: Any = None  # ClassifierRecord: the model is a whole classifier
    size_rule: Any = None  # SizeRule: which input sizes the model takes, where it says so
    example_input: Any = None  # an input the caller gave with the model (a torch factory's third item)
    input_shape: tuple | None = None  # the input shape the user gave, without the batch (--input-shape)


def flatten_outputs(outputs, is_leaf: Callable[[Any], bool], prefix: str = "") -> dict[str, Any]:
    """Name every leaf of a nested output: 'output' for one tensor, dict keys and list indices joined by '/'."""
    if is_leaf(outputs):
        return {prefix or "output": outputs}
    if isinstance(outputs, dict):  # sorted by key, as tf.nest does: a restored dict's order is not stable
        items = sorted((str(key), value) for key, value in outputs.items())
    elif isinstance(outputs, (list, tuple)):
        items = [(str(index), value) for index, value in enumerate(outputs)]
    else:
        raise TypeError(f"cannot read an output of type {type(outputs).__name__}")
    if len(items) == 1 and not isinstance(outputs, dict) and not prefix:
        return flatten_outputs(items[0][1], is_leaf)
    named = {}
    for key, value in items:
        named.update(flatten_outputs(value, is_leaf, f"{prefix}/{key}" if prefix else key))
    return named


def is_tensor(value) -> bool:
    """A leaf of a model's output: anything with a shape and a dtype (tf.Tensor, TensorSpec, KerasTensor)."""
    return hasattr(value, "shape") and hasattr(value, "dtype")


def output_shapes(outputs) -> dict[str, Shape]:
    """Every named output of a (nested) model output, as a shape."""
    return {key: dims(t.shape) for key, t in flatten_outputs(outputs, is_tensor).items()}


def dims(shape) -> Shape:
    """A framework shape as a tuple of ints with None for unknown dimensions."""
    if getattr(shape, "rank", 0) is None:  # tf.TensorShape of unknown rank
        return ()
    return tuple(None if d is None else int(d) for d in shape)
