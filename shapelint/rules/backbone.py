"""SL1xx: what the probe says about a backbone on its own."""

from __future__ import annotations

from ..records.backbone import BackboneRecord
from ..records.words import words_for
from ..sources import format_size
from .registry import rule
from .verdict import APPLIED, POOLED, REQUIRED, shape_text, verdict


@rule("SL101", "pooling-required", "info", "backbone")
def pooling_required(backbone: BackboneRecord, **_):
    """The backbone returns a feature map or token sequence: the head must pool it.

    ## What it does
    Reports a backbone whose output keeps spatial axes (rank 4, NHWC or NCHW) or token axes
    (rank 3), as `keras.applications` models built with `include_top=False` do.

    ## Why is this bad?
    It is not bad in itself, but a `Dense` layer placed directly after it is applied at every
    position, so the model returns `(N, 7, 7, num_classes)` instead of `(N, num_classes)`, and
    `Flatten()` ties the model to one input size.

    ## Example
    ```python
    backbone = keras.applications.MobileNetV2(include_top=False, weights=None)
    model = keras.Sequential([backbone, keras.layers.Dense(5)])  # (N, 7, 7, 5)
    ```

    ## Use instead
    ```python
    model = keras.Sequential([backbone, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    ```
    """
    main = verdict(backbone).primary
    if backbone.classifier is not None and backbone.classifier.pools:
        return  # a whole classifier: its own head pools the map (whole-classifier says how to re-head it)
    if main and main.pooling == REQUIRED:
        pool = main.pooling_layer
        alternative = words_for(backbone.framework).backbone_pool
        if main.tokens is not None and main.tokens.switch:
            alternative = f"let the model pool: {main.tokens.switch}"
        yield (
            f"{backbone.source} returns a {main.layout.value} output {shape_text(main.example_shape)} "
            f"at {format_size(main.example_size)}; the head must pool it",
            f"{'Pool with' if main.tokens is not None else 'Add'} {pool} before the classifier (or {alternative})",
        )


@rule("SL102", "pooling-applied", "info", "backbone")
def pooling_applied(backbone: BackboneRecord, **_):
    """The backbone already returns a pooled vector: do not pool again.

    ## What it does
    Reports a backbone whose output is rank 2, `(N, features)`: global pooling, flattening or a
    classifier already happened inside it. TF Hub `feature_vector` modules and
    `keras.applications` models built with `pooling="avg"` are like this. A map that keeps its
    spatial axes at 1×1 at every size (`nn.Sequential(*list(resnet.children())[:-1])`, an ONNX
    export ending in `GlobalAveragePool`) is pooled too: flatten it, there is nothing to average.

    ## Why is this bad?
    Adding `GlobalAveragePooling2D()` after it fails while the model is built with
    `expected ndim=4, found ndim=2`.

    ## Example
    ```python
    backbone = hub.KerasLayer("https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/feature_vector/5")
    model = tf_keras.Sequential([backbone, tf_keras.layers.GlobalAveragePooling2D(), tf_keras.layers.Dense(5)])
    ```

    ## Use instead
    ```python
    model = tf_keras.Sequential([backbone, tf_keras.layers.Dense(5)])
    ```
    """
    main, words = verdict(backbone).primary, words_for(backbone.framework)
    if backbone.classifier is not None:
        return  # class scores, not features: whole-classifier says how to re-head it
    if main and main.pooling == POOLED:
        yield (
            f"{backbone.source} returns a map already pooled to 1×1, {shape_text(main.example_shape)} at every size",
            f"Flatten it ({words.flatten_pooled}) and put {words.dense_call('num_classes', main.channels)} after it; "
            f"do not add {words.pool_name}",
        )
    if main and main.pooling == APPLIED:
        yield (
            f"{backbone.source} already returns a vector {shape_text(main.example_shape)}; pooling was applied inside it",
            f"Put {words.dense_call('num_classes')} directly after it; do not add {words.pool_name} or "
            f"{words.flatten_name}",
        )


@rule("SL103", "fixed-input-size", "info", "backbone")
def fixed_input_size(backbone: BackboneRecord, **_):
    """The backbone accepts only one input size.

    ## What it does
    Reports a backbone that worked at exactly one of the probed input sizes, typically the size
    its input layer or SavedModel signature declares.

    ## Why is this bad?
    Images must be resized to exactly that size; a pipeline that feeds another size fails at run
    time, far from where the model was built.

    ## Example
    ```python
    backbone = keras.applications.ResNet50(include_top=True, weights=None)  # 224×224 only
    ```

    ## Use instead
    ```python
    backbone = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(None, None, 3))
    ```
    """
    v, size_rule = verdict(backbone), backbone.size_rule
    if v.input_sizes == "fixed" and not (size_rule and size_rule.only and size_rule.declared_dynamic):  # SL111's
        others = ", ".join(format_size(s) for s in v.failed)
        said = f" ({size_rule.evidence})" if size_rule and size_rule.only and size_rule.evidence else ""
        failed = f"; {others} failed" if others else ""
        yield (
            f"{backbone.source} works only at {format_size(v.working[0])}{said}"
            + (failed or ", the input size it declares"),
            f"Resize inputs to {format_size(v.working[0])}, or rebuild the backbone with a variable input shape",
        )


@rule("SL104", "input-too-small", "warning", "backbone")
def input_too_small(backbone: BackboneRecord, **_):
    """An input size is too small for the backbone: it fails or leaves an empty feature map.

    ## What it does
    Reports probed sizes below the smallest size that works. Each stride-2 stage halves the map;
    when it reaches zero the backbone raises or returns an empty map such as `(1, 0, 0, 1024)`.

    ## Why is this bad?
    An empty map pools to NaN or zeros, so small images silently produce garbage predictions.

    ## Example
    ```
    shapelint probe keras:DenseNet121 --sizes 16,224
    ```

    ## Use instead
    Upscale small images to at least the reported minimum size before the backbone.
    """
    v = verdict(backbone)
    if v.too_small:
        records = {r.size: r for r in backbone.records}
        first = records[v.too_small[0]]
        why = first.error or "an empty output " + ", ".join(shape_text(s) for s in first.outputs.values())
        small = ", ".join(format_size(s) for s in v.too_small)
        yield (
            f"{small} too small for {backbone.source} ({format_size(first.size)}: {why}); "
            f"the smallest size that works is {format_size(v.min_size)}",
            f"Resize inputs to at least {format_size(v.min_size)}",
        )


@rule("SL106", "whole-classifier", "info", "backbone")
def whole_classifier(backbone: BackboneRecord, num_classes: int | None = None, **_):
    """The source is a whole classifier: its output is class scores, re-head it the way its library says.

    ## What it does
    Reports a model that ends in its own classifier (torchvision's `fc`, timm's `get_classifier()`,
    a Hugging Face `*ForImageClassification`, `keras.applications` with `include_top=True`, a KerasHub
    `ImageClassifier` preset), with its class count and its library's way to change it. Quiet when
    `--num-classes` matches that count.

    ## Why is this bad?
    It is not bad in itself, but a layer added after the class scores learns from 1000 ImageNet
    logits (or softmax probabilities) instead of features: it trains, slowly and badly.

    ## Example
    ```python
    model = torchvision.models.resnet18(weights="DEFAULT")
    model = nn.Sequential(model, nn.Linear(1000, 3))
    ```

    ## Use instead
    ```python
    model = torchvision.models.resnet18(weights="DEFAULT")
    model.fc = nn.Linear(model.fc.in_features, 3)
    ```
    """
    v = verdict(backbone)
    c = v.classifier
    if c is None or (num_classes and (c.width in (num_classes, None) or (num_classes == 2 and c.width == 1))):
        return
    width = f"{c.width} output{'s' if c.width != 1 else ''}" if c.width else "its own classes"
    where = f" from '{c.attribute}'" if c.attribute else ""
    asked = f", but there are {num_classes} classes" if num_classes else ""
    fine_tune = words_for(backbone.framework).fine_tune_for(c.library, features=c.features, attribute=c.attribute,
                                                           num_classes=num_classes)
    yield (
        f"{backbone.source} is a classifier with {width}{where}{asked}: its output is class scores, not features",
        f"To fine-tune it for your classes, {fine_tune}; do not add a layer after its outputs",
    )
