"""Anything TensorFlow can call on an image tensor: tf_keras models, hub.KerasLayer, restored SavedModels.

Shapes come from tracing the call into a graph (no data flows), execution from one eager call on zeros.
"""

from __future__ import annotations

from typing import Callable

from ..records import InputSpec
from ._quiet import import_tensorflow
from .base import Backbone, dims, flatten_outputs


def backbone(call: Callable, spec: InputSpec, name: str, kind: str, model=None) -> Backbone:
    tf = import_tensorflow()

    def is_leaf(value):
        return isinstance(value, (tf.Tensor, tf.TensorSpec)) or hasattr(value, "shape") and hasattr(value, "dtype")

    def symbolic(shape):
        traced = tf.function(call, autograph=False).get_concrete_function(tf.TensorSpec(shape, spec.dtype))
        outputs = flatten_outputs(traced.structured_outputs, is_leaf)
        return {key: dims(t.shape) for key, t in outputs.items()}

    def execute(shape):
        outputs = flatten_outputs(call(tf.zeros(shape, spec.dtype)), is_leaf)
        return {key: dims(t.shape) for key, t in outputs.items()}

    return Backbone(name, kind, spec, symbolic, execute, model=model)
