"""Two classifiers with the head bugs `shapelint check` finds (the README's example run):

    shapelint check examples/buggy_head.py:flatten_head examples/buggy_head.py:no_pooling --num-classes 5
"""

import keras


def backbone():
    """MobileNetV2 without its classifier: (N, H, W, 3) -> (N, H/32, W/32, 1280), random weights."""
    return keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights=None, input_shape=(None, None, 3))


def flatten_head():
    """Flatten ties the model to 224x224, and the loss expects logits after a softmax."""
    model = keras.Sequential([
        keras.Input((224, 224, 3)),
        backbone(),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(5, activation="softmax", name="predictions"),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def no_pooling():
    """Dense on the 7x7 feature map: the model returns (N, 7, 7, 10) and there are 5 classes."""
    return keras.Sequential([backbone(), keras.layers.Dense(10, name="logits")])
