"""Anything TensorFlow can call on an image tensor: tf_keras models, hub.KerasLayer, restored SavedModels.

Shapes come from tracing the call into a graph (no data flows), execution from one eager call on zeros.
"""

from __future__ import annotations

from typing import Callable

from ..records import InputSpec
from ._quiet import import_tensorflow
from .base import Backbone, dims, flatten_outputs, host_limits


def backbone(call: Callable, spec: InputSpec, name: str, kind: str, model=None, declared=None) -> Backbone:
    """declared: the full input shape a signature fixes, e.g. (1, 224, 224, 3), with None where free."""
    tf = import_tensorflow()

    def is_leaf(value):
        return isinstance(value, (tf.Tensor, tf.TensorSpec)) or hasattr(value, "shape") and hasattr(value, "dtype")

    def fits(shape):
        """Refuse early, in one line, a shape the declared input cannot take (e.g. a fixed signature)."""
        if declared is not None and not tf.TensorShape(declared).is_compatible_with(shape):
            raise ValueError(f"input {tuple(shape)} does not fit the declared input {tuple(declared)}")

    def symbolic(shape):
        fits(shape)
        traced = tf.function(call, autograph=False).get_concrete_function(tf.TensorSpec(shape, spec.dtype))
        outputs = flatten_outputs(traced.structured_outputs, is_leaf)
        return {key: dims(t.shape) for key, t in outputs.items()}

    def execute(shape):
        fits(shape)
        with host_limits():
            outputs = flatten_outputs(call(tf.zeros(shape, spec.dtype)), is_leaf)
        return {key: dims(t.shape) for key, t in outputs.items()}

    return Backbone(name, kind, spec, symbolic, execute, model=model)
