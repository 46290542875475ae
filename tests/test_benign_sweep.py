"""The false-positive side of the op allowlist: what users really save must not be refused.

Common Keras layers (image augmentation with its stateless random ops, normalisation, recurrent layers, text
preprocessing with its regular expressions, Keras 3's audio spectrogram), in Keras 3 and tf_keras, each saved the two ways
a SavedModel is made (Keras 3 model.export(), tf_keras save_format="tf"): the op scan finds nothing off the
allowlist in any of them.
"""

from __future__ import annotations

import pytest

from shapelint.adapters.tensorflow import opscan

pytestmark = pytest.mark.filterwarnings("ignore:::(keras|tf_keras|tensorflow)")


def image_layers(layers):
    """One layer of each common kind, chained over a 16x16x3 image."""
    return [
        layers.Rescaling(1 / 255), layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.1),
        layers.RandomTranslation(0.1, 0.1), layers.RandomContrast(0.1), layers.Resizing(16, 16),
        layers.Conv2D(4, 3, padding="same"), layers.BatchNormalization(), layers.ReLU(),
        layers.DepthwiseConv2D(3, padding="same"), layers.SeparableConv2D(4, 3, padding="same"), layers.LeakyReLU(),
        layers.Conv2DTranspose(4, 3, padding="same"), layers.LayerNormalization(), layers.PReLU(), layers.ELU(),
        layers.MaxPooling2D(2), layers.AveragePooling2D(1), layers.ZeroPadding2D(1), layers.Cropping2D(1),
        layers.UpSampling2D(), layers.SpatialDropout2D(0.1), layers.Dropout(0.1), layers.Activation("gelu"),
        layers.Reshape((16, 64)), layers.Permute((2, 1)),
        layers.LSTM(4, return_sequences=True), layers.GRU(4, return_sequences=True), layers.Conv1D(4, 3),
        layers.GlobalAveragePooling1D(), layers.Dense(3), layers.Softmax(),
    ]


def _text(layers, inputs, vectorizer):
    vectorizer.adapt(["the cat sat", "a dog ran, quickly!"])
    x = layers.Embedding(32, 4)(vectorizer(inputs))
    return layers.Dense(2)(layers.GlobalAveragePooling1D()(x))


@pytest.fixture(scope="session")
def saved(tmp_path_factory):
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras
    import tf_keras

    out = tmp_path_factory.mktemp("benign-sweep")
    folders = []
    for name, api in (("keras3", keras), ("tf_keras", tf_keras)):
        inputs = api.Input((16, 16, 3))
        x = inputs
        for layer in image_layers(api.layers):
            x = layer(x)
        image = api.Model(inputs, x)
        text_inputs = api.Input((1,), dtype="string")
        text = api.Model(text_inputs, _text(api.layers, text_inputs, api.layers.TextVectorization(
            max_tokens=32, output_sequence_length=5)))
        models = [("image", image), ("text", text)]
        if api is keras:  # Keras 3's audio preprocessing (tf_keras has none)
            audio_inputs = api.Input((1600,))
            spectrogram = api.layers.MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=16)(audio_inputs)
            models.append(("audio", api.Model(audio_inputs, api.layers.Dense(2)(spectrogram))))
        for kind, model in models:
            folder = out / f"{name}_{kind}"
            if api is keras:
                model.export(str(folder), verbose=False)
            else:
                model.save(str(folder), save_format="tf")
            folders.append(folder)
    assert tf is not None
    return folders


def test_common_layers_saved_both_ways_hold_only_allowed_ops(saved):
    refused = {folder.name: opscan.scan_path(folder) for folder in saved}
    assert refused == {folder.name: () for folder in saved}
