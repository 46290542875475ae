"""Keras 3 and tf_keras layers: where the user's code created them (see adapters/origins.py).

The torch twin wraps torch.nn.Module the same way; rules and formatters only see LayerRecord.origin.
"""

from __future__ import annotations

import contextlib
import sys

from ..origins import origin_of, recording

__all__ = ["origin_of", "recording_layers", "recording_loaded_layers"]


def layer_classes() -> list:
    """The base classes whose __init__ every Keras 3 and tf_keras layer (and model) runs, and Keras 3's
    Operation, which a keras.ops call in a functional model (keras.ops.mean) becomes."""
    import keras
    import tf_keras

    return list(dict.fromkeys([keras.layers.Layer, tf_keras.layers.Layer, keras.Operation]))


@contextlib.contextmanager
def recording_layers():
    with recording(layer_classes()) as made:
        yield made


@contextlib.contextmanager
def recording_loaded_layers():
    """The same for whichever of Keras 3 and tf_keras is already imported, importing neither (the pytest
    plugin wraps each test with it, so a model built in a test gets its lines too)."""
    classes = [getattr(getattr(sys.modules.get(name), "layers", None), "Layer", None) for name in ("keras", "tf_keras")]
    with recording([cls for cls in dict.fromkeys(classes) if isinstance(cls, type)]):
        yield
