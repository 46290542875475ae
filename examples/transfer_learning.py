"""The Keras transfer-learning tutorial's classifier (random weights: shapes do not depend on them).

    shapelint check examples/transfer_learning.py:build              a correct head
    shapelint check examples/transfer_learning.py:forgot_pooling     Dense(1) straight on the feature map
"""

import keras

IMG_SHAPE = (160, 160, 3)


def build():
    base_model = keras.applications.MobileNetV2(input_shape=IMG_SHAPE, include_top=False, weights=None)
    base_model.trainable = False
    inputs = keras.Input(shape=IMG_SHAPE)
    x = base_model(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def forgot_pooling():
    base_model = keras.applications.MobileNetV2(input_shape=IMG_SHAPE, include_top=False, weights=None)
    inputs = keras.Input(shape=IMG_SHAPE)
    x = keras.layers.Dropout(0.2)(base_model(inputs, training=False))
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model
