"""What to do, where a factory's error is one a TensorFlow user is known to meet: the error in their words."""

from __future__ import annotations

from ...sources import FactoryError

# what Keras 3 says when a factory puts a tf_keras layer (hub.KerasLayer) into a Keras 3 model
KERAS3_REFUSES_HUB = ("Only instances of `keras.Layer` can be added to a Sequential model",
                      "A KerasTensor cannot be used as input to a TensorFlow function")


def keras3_holding_hub(text: str, exc: FactoryError) -> FactoryError | None:
    """The factory put hub.KerasLayer into a Keras 3 model: say to build it with tf_keras (as inspect's usage
    does); None for any other error."""
    said = next((words for words in KERAS3_REFUSES_HUB if words in exc.cause), None)
    if said is None:
        return None
    return FactoryError(
        f"{text}: hub.KerasLayer is a tf_keras layer, which a Keras 3 model cannot hold: build the model with "
        "tf_keras.Sequential([...]) or tf_keras.Model (import tf_keras), or load the SavedModel with "
        f"keras.layers.TFSMLayer for inference (Keras 3 said: {said})", exc.cause, exc.lines)
