"""SL23x: heads put on a model that already is a classifier."""

from __future__ import annotations

from ..records.layers import ModelRecord
from ..records.words import words_for
from .registry import rule
from .verdict import verdict
from .walk import last_activation, text


@rule("SL230", "layer-after-class-scores", "warning", "head")
def layer_after_class_scores(model: ModelRecord, **_):
    """A classifier layer is put on the class scores of a whole classifier instead of replacing its classifier.

    ## What it does
    Reports a `Dense` / `nn.Linear` whose input is the output of a whole classifier (a
    `keras.applications` model with `include_top=True`, a torchvision or timm model with its `fc`),
    or the softmax probabilities of an earlier classifier layer.

    ## Why is this bad?
    The new layer learns from 1000 ImageNet scores (or probabilities squashed by a softmax) instead
    of the features they were computed from: it trains, but slowly and to a worse accuracy, and the
    old classifier's weights are wasted.

    ## Example
    ```python
    base = keras.applications.MobileNetV2(include_top=True, weights="imagenet")
    outputs = keras.layers.Dense(5, activation="softmax")(base.output)
    ```

    ## Use instead
    ```python
    base = keras.applications.MobileNetV2(include_top=False, weights="imagenet", pooling="avg")
    outputs = keras.layers.Dense(5, activation="softmax")(base.output)
    ```
    """
    words = words_for(model.framework)
    whole = model.backbone.classifier if model.backbone else None
    scores = bool(whole) and verdict(model.backbone).scores
    for layer in model.layers:
        if layer.kind != "dense" or len(layer.inbound) != 1 or not layer.input_shape or len(layer.input_shape) != 2:
            continue
        source = layer.inbound[0]
        if scores and source == model.backbone_layer:
            fix = words.fine_tune_for(whole.library, features=whole.features, attribute=whole.attribute,
                                      num_classes=layer.units)
            yield (
                f"{layer.call_text} '{layer.name}' is put on the {whole.width or 'own'} class scores of '{source}', "
                "a whole classifier",
                f"Re-head the classifier instead: {fix}",
                layer.name,
            )
            continue
        before = last_activation(model, source)
        if (before is not None and before.activation == "softmax" and before.output_shape
                and before.name != model.backbone_layer):
            yield (
                f"{layer.call_text} '{layer.name}' is put on the softmax probabilities {text(before.output_shape)} "
                f"of {before.call_text} '{before.name}'",
                f"Replace {before.call_text} '{before.name}' with {words.dense_call(layer.units or 'num_classes')} "
                f"instead of adding a layer after it",
                layer.name,
            )
