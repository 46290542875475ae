"""Anything TensorFlow can call on an image tensor: tf_keras models, hub.KerasLayer, restored SavedModels.

Shapes come from tracing the call into a graph (no data flows), execution from one eager call on zeros.
"""

from __future__ import annotations

from typing import Callable

from ...records.backbone import InputSpec
from ..base import Backbone, output_shapes
from .runtime import host_limits, import_tensorflow


def backbone(call: Callable, spec: InputSpec, name: str, kind: str, model=None, declared=None) -> Backbone:
    """declared: the full input shape a signature fixes, e.g. (1, 224, 224, 3), with None where free;
    by default what the InputSpec fixes (height and width, when it has them)."""
    tf = import_tensorflow()
    if declared is None:
        declared = spec.shape((spec.height, spec.width), batch=None)

    def fits(shape):
        """Refuse early, in one line, a shape the declared input cannot take (e.g. a fixed signature)."""
        if not tf.TensorShape(declared).is_compatible_with(shape):
            raise ValueError(f"input {tuple(shape)} does not fit the declared input {tuple(declared)}")

    def symbolic(shape):
        fits(shape)
        traced = tf.function(call, autograph=False).get_concrete_function(tf.TensorSpec(shape, spec.dtype))
        return output_shapes(traced.structured_outputs)

    def execute(shape):
        fits(shape)
        with host_limits():
            return output_shapes(call(tf.zeros(shape, spec.dtype)))

    return Backbone(name, kind, spec, symbolic, execute, model=model, framework="tf_keras" if kind == "tf_keras" else "keras")
