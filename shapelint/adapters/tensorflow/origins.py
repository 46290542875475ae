"""Keras 3 and tf_keras layers: where the user's code created them (see adapters/origins.py).

The torch twin wraps torch.nn.Module the same way; rules and formatters only see LayerRecord.origin.
"""

from __future__ import annotations

import contextlib

from ..origins import origin_of, recording

__all__ = ["origin_of", "recording_layers"]


def layer_classes() -> list:
    """The base Layer classes whose __init__ every Keras 3 and tf_keras layer (and model) runs."""
    import keras
    import tf_keras

    return list(dict.fromkeys([keras.layers.Layer, tf_keras.layers.Layer]))


@contextlib.contextmanager
def recording_layers():
    with recording(layer_classes()):
        yield
