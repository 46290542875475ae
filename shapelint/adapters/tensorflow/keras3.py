"""Keras 3 models: shapes by compute_output_spec (per-layer shape inference), execution on zeros."""

from __future__ import annotations

from ...records.backbone import InputSpec
from ...sources import SourceError
from ..base import Backbone, dims, output_shapes
from .runtime import host_limits, import_tensorflow


def is_keras3(obj) -> bool:
    import_tensorflow()
    import keras

    return isinstance(obj, keras.Model)


def backbone(model, name: str, kind: str = "keras3") -> Backbone:
    import_tensorflow()
    import keras
    import numpy as np

    spec = input_spec(getattr(model, "inputs", None) or [], name)

    def symbolic(shape):
        return output_shapes(model.compute_output_spec(keras.KerasTensor(shape, dtype=spec.dtype)))

    def execute(shape):
        with host_limits():
            return output_shapes(model(np.zeros(shape, dtype=spec.dtype), training=False))

    return Backbone(name, kind, spec, symbolic, execute, model=model)


def application(build, name: str) -> Backbone:
    """A keras.applications backbone built once for every input size.

    A few architectures (NASNet) build with input_shape=(None, None, 3) but cannot run at any size,
    because they crop by static shapes; those are rebuilt for each probed size instead.
    """
    result = backbone(build(), name)
    if result.input.fixed_size:
        return result
    try:
        result.symbolic(result.input.shape((224, 224)))
        return result
    except Exception:
        pass
    built = {}

    def at(shape) -> Backbone:
        if shape not in built:
            built[shape] = backbone(build(input_shape=tuple(shape[1:])), name)
        return built[shape]

    def symbolic(shape):
        return at(shape).symbolic(shape)

    def execute(shape):
        return at(shape).execute(shape)

    rebuilt = Backbone(name, "keras3", result.input, symbolic, execute, model=result.model)
    rebuilt.notes.append("rebuilt for each input size: the architecture cannot run with a variable input shape")
    return rebuilt


def input_spec(inputs, name: str) -> InputSpec:
    """The one image input of a model, from its symbolic inputs; other inputs are refused."""
    if not inputs:
        return InputSpec()  # subclassed model not yet built: assume NHWC float images
    images = [t for t in inputs if len(t.shape) == 4]
    if len(inputs) > 1 or not images:
        shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
        raise SourceError(f"{name}: expected one image input (N, H, W, C), found {shapes}")
    return InputSpec.from_shape(dims(images[0].shape), str(getattr(images[0].dtype, "name", images[0].dtype)))
