"""SL2xx: bugs in the head a model puts on its backbone, read from the ModelRecord of its layer graph."""

from __future__ import annotations

import re

from ..records.backbone import Layout
from ..records.layers import LayerRecord, ModelRecord
from ..records.words import words_for
from ..sources import format_size
from .registry import rule
from .verdict import flat_features, shape_text, verdict

CROSSENTROPIES = ("BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
                  "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy")
PROBABILITIES = ("softmax", "sigmoid")
NDIM = re.compile(r"expected ndim=(\d+), found ndim=(\d+)")
LAYER = re.compile(r"""layer ["']([^"']+)["']""")
FULL_SHAPE = re.compile(r"Full shape received: (\([^)]*\))")


def text(shape) -> str:
    """(None, 7, 7, 1280) as Keras prints a layer's shape: the batch as it is, other unknown dimensions as '?'."""
    return shape_text(shape, batch=str(shape[0]))


def channels_first(model: ModelRecord, shape) -> bool:
    """A rank-4 map in a model whose backbone returns channels_first maps is taken to be channels_first."""
    main = verdict(model.backbone).primary if model.backbone and len(shape) == 4 else None
    return bool(main and main.layout is Layout.NCHW)


def pool_for(model: ModelRecord, shape) -> str:
    """The global pooling that removes every axis between the batch and the channels of `shape`."""
    words = words_for(model.framework)
    if channels_first(model, shape):
        return words.global_pool(2, channels_first=True)
    return words.global_pool({3: 1, 5: 3}.get(len(shape), 2))


def kind_of(shape) -> str:
    return "token sequence" if len(shape) == 3 else "feature map"


@rule("SL201", "dense-on-feature-map", "error", "head")
def dense_on_feature_map(model: ModelRecord, **_):
    """A Dense layer is applied to a feature map or token sequence whose spatial axes reach the output.

    ## What it does
    Reports a `Dense` layer whose input has rank 3 or 4 (`(N, H, W, C)` or `(N, L, C)`) when no
    global pooling, `Flatten` or reshape to a vector removes those axes before the model output.
    A per-position MLP followed by global pooling is legitimate and is not reported.

    ## Why is this bad?
    Keras applies `Dense` to the last axis only, at every position: the model returns
    `(N, 7, 7, num_classes)` instead of `(N, num_classes)`. Losses may broadcast over the extra
    axes, so training can run and quietly learn the wrong thing.

    ## Example
    ```python
    backbone = keras.applications.MobileNetV2(include_top=False, weights=None)
    model = keras.Sequential([backbone, keras.layers.Dense(5)])  # outputs (N, 7, 7, 5)
    ```

    ## Use instead
    ```python
    model = keras.Sequential([backbone, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    ```
    """
    tainted = set()  # layers downstream of a reported Dense: one finding per path, at its first Dense
    for layer in model.layers:
        if any(name in tainted for name in layer.inbound):
            tainted.add(layer.name)
            continue
        shape, out = layer.input_shape, layer.output_shape
        if layer.kind != "dense" or not shape or len(shape) < 3 or not out:
            continue
        kept = [o.output_shape for o in model.reachable_outputs(layer.name) if o.output_shape and len(o.output_shape) >= 3]
        if kept:
            tainted.add(layer.name)
            tail = f"; the model outputs {text(kept[0])}" if kept[0] != out else ""
            yield (
                f"{layer.call_text} '{layer.name}' receives a {text(shape)} {kind_of(shape)} "
                f"and returns {text(out)}{tail}",
                f"Add {pool_for(model, shape)} before {layer.call_text} '{layer.name}'",
                layer.name,
            )


@rule("SL202", "flatten-fixes-input-size", "warning", "head")
def flatten_fixes_input_size(model: ModelRecord, **_):
    """Flatten turns a feature map into a vector whose length depends on the input size.

    ## What it does
    Reports a `Flatten` layer on a rank-3 or rank-4 input whose number of features changes
    with the input image size. Flatten on an already pooled `(N, C)` vector is a no-op and is
    not reported.

    ## Why is this bad?
    The `Dense` layer after it is built for one feature count, so the whole model then works at
    exactly one input size; any other size fails with an incompatible-shape error at run time.
    It also multiplies the head's weights by the map's area.

    ## Example
    ```python
    backbone = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(224, 224, 3))
    model = keras.Sequential([backbone, keras.layers.Flatten(), keras.layers.Dense(5)])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([backbone, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    ```
    """
    for layer in model.layers:
        shape, out, alt = layer.input_shape, layer.output_shape, layer.alt_output_shape
        if layer.kind != "flatten" or not shape or len(shape) < 3 or not out or not alt:
            continue
        features, alt_features = flat_features(out), flat_features(alt)
        if features is None or alt_features is None or features == alt_features:
            continue
        channels = shape[1] if channels_first(model, shape) else shape[-1]
        yield (
            f"{layer.class_name} '{layer.name}' turns a {text(shape)} {kind_of(shape)} into {features} features at "
            f"{format_size(model.size)} but {alt_features} at {format_size(model.alt_size)}; "
            "the layers after it accept only one input size",
            f"Replace {layer.class_name} '{layer.name}' with {pool_for(model, shape)} ({channels} features at every size)",
            layer.name,
        )


@rule("SL203", "double-pooling", "error", "head")
def double_pooling(model: ModelRecord, **_):
    """Global pooling is applied to a tensor that is already pooled.

    ## What it does
    Reports a global pooling layer whose input has already lost its spatial or token axes:
    a backbone built with `pooling="avg"`, a TF Hub `feature_vector` module, or a second pooling
    layer. When the model cannot even be built because Keras raised
    `expected ndim=4, found ndim=2`, the layer Keras named is reported instead of a crash.

    ## Why is this bad?
    Keras refuses to build the model (`expected ndim=4, found ndim=2`), or, where shape checks are
    skipped, the layer averages over the wrong axis and the head sees garbage.

    ## Example
    ```python
    backbone = keras.applications.MobileNetV2(include_top=False, weights=None, pooling="avg")
    model = keras.Sequential([backbone, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([backbone, keras.layers.Dense(5)])
    ```
    """
    if model.build_error:
        yield from _double_pooling_from_error(model.build_error, words_for(model.framework))
        return
    for layer in model.layers:
        shape = layer.input_shape
        if layer.pooling and shape and len(shape) < layer.pool_dims + 2:
            source = f" from '{layer.inbound[0]}'" if layer.inbound else ""
            yield (
                f"{layer.class_name} '{layer.name}' expects a rank-{layer.pool_dims + 2} input but receives "
                f"an already pooled {text(shape)}{source}",
                f"Remove {layer.class_name} '{layer.name}': its input is already pooled",
                layer.name,
            )


def _double_pooling_from_error(error: str, words):
    ndim, name = NDIM.search(error), LAYER.search(error)
    if not ndim or int(ndim.group(2)) >= int(ndim.group(1)):
        return
    layer = name.group(1) if name else None
    shape = FULL_SHAPE.search(error)
    received = f" {shape.group(1)}" if shape else ""
    yield (
        f"{words.name} could not build the model: layer '{layer}' expects ndim={ndim.group(1)} but receives an "
        f"already pooled ndim={ndim.group(2)} tensor{received}",
        f"Remove '{layer}': its input is already pooled ({words.pooled_backbone})",
        layer,
    )


@rule("SL204", "single-unit-softmax", "error", "head")
def single_unit_softmax(model: ModelRecord, **_):
    """Softmax is taken over a last axis of size 1, so it always outputs 1.0.

    ## What it does
    Reports a layer with a softmax activation (`Dense(1, activation="softmax")`, `Softmax()`,
    `Activation("softmax")`) whose output's last axis has size 1.

    ## Why is this bad?
    Softmax normalises over the last axis; over one element the result is exactly 1.0 for every
    input. The model predicts the same class for everything and its gradient is zero.

    ## Example
    ```python
    model.add(keras.layers.Dense(1, activation="softmax"))  # binary classifier
    ```

    ## Use instead
    ```python
    model.add(keras.layers.Dense(1, activation="sigmoid"))  # or Dense(2, activation="softmax")
    ```
    """
    for layer in model.layers:
        out = layer.output_shape
        if layer.activation == "softmax" and out and len(out) >= 2 and out[-1] == 1:
            yield (
                f"{layer.call_text} '{layer.name}' returns {text(out)}: softmax over one unit is always 1.0",
                words_for(model.framework).binary_fix.format(layer=layer.name),
                layer.name,
            )


@rule("SL205", "logits-loss-mismatch", "error", "head")
def logits_loss_mismatch(model: ModelRecord, **_):
    """The compiled loss's `from_logits` does not match the model's last activation.

    ## What it does
    Reports a model compiled with a crossentropy loss (binary, categorical, sparse categorical,
    focal) where `from_logits=True` follows a sigmoid or softmax output, or `from_logits=False`
    follows a linear output.

    ## Why is this bad?
    With `from_logits=True` the loss applies softmax/sigmoid again to probabilities, squashing
    the gradients; with `from_logits=False` it treats raw logits as probabilities and clips them.
    Both train, slowly and badly, with no error.

    ## Example
    ```python
    model = keras.Sequential([backbone, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5, activation="softmax")])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```

    ## Use instead
    ```python
    model = keras.Sequential([backbone, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```
    """
    if model.loss not in CROSSENTROPIES or len(model.outputs) != 1:
        return
    last = _last_activation(model, model.outputs[0])
    if last is None:
        return
    words = words_for(model.framework)
    loss = words.loss_call.format(loss=model.loss, from_logits=model.from_logits)
    if model.from_logits and last.activation in PROBABILITIES:
        use = words.use_loss.format(loss=words.loss_call.format(loss=model.loss, from_logits=False))
        yield (
            f"The model ends in {last.call_text} '{last.name}' but the loss is {loss}: "
            f"{last.activation} is applied twice",
            f"{use}, or {words.remove_activation.format(activation=last.activation, layer=last.name)}",
            last.name,
        )
    elif not model.from_logits and last.activation == "linear":
        yield (
            f"The model ends in {last.call_text} '{last.name}' with no activation (logits) but the loss is "
            f"{loss}, which expects probabilities",
            words.use_loss.format(loss=words.loss_call.format(loss=model.loss, from_logits=True)),
            last.name,
        )


def _last_activation(model: ModelRecord, name: str) -> LayerRecord | None:
    """The layer that decides the output's activation, looking back through dropout and the like."""
    layer, seen = _producer(model, name), set()
    while layer and layer.activation is None and layer.kind == "dropout" and len(layer.inbound) == 1:
        if layer.name in seen:  # a malformed record with a cycle
            return None
        seen.add(layer.name)
        layer = _producer(model, layer.inbound[0])
    return layer if layer and layer.activation is not None else None


def _producer(model: ModelRecord, name: str) -> LayerRecord | None:
    """The layer that computes `name`'s output: a nested head model is followed to its last layer."""
    layer, seen = model.layer(name), set()
    while layer and layer.expanded and len(layer.inbound) == 1 and layer.name not in seen:
        seen.add(layer.name)
        layer = model.layer(layer.inbound[0])
    return layer


@rule("SL206", "classes-mismatch", "error", "head")
def classes_mismatch(model: ModelRecord, num_classes: int | None = None, **_):
    """The model's output size differs from the number of classes (`--num-classes N`).

    ## What it does
    With `--num-classes N`, reports a single-output model whose last axis is not N. One unit is
    accepted for N=2 when it is a sigmoid or linear binary head.

    ## Why is this bad?
    Sparse labels beyond the output size raise only at training time, or worse, on GPU, silently
    produce NaN losses; too many units waste capacity on classes that never occur.

    ## Example
    ```
    shapelint check mymodel.keras --num-classes 5   # the last layer is Dense(10)
    ```

    ## Use instead
    ```python
    outputs = keras.layers.Dense(5)(features)
    ```
    """
    if not num_classes or len(model.outputs) != 1:
        return
    last = _producer(model, model.outputs[0])
    out = last.output_shape if last else None
    if not out or out[-1] is None or out[-1] == num_classes:
        return
    head = _last_activation(model, last.name)
    if num_classes == 2 and out[-1] == 1 and (head is None or head.activation in ("sigmoid", "linear")):
        return
    words = words_for(model.framework)
    features = last.input_shape[-1] if last.input_shape and last.input_shape[-1] else "in_features"
    fix = f"Make the last layer {words.dense_call(num_classes, features)}"
    if num_classes == 2:
        fix += f" or {words.dense_call(1, features, 'sigmoid')}"
    yield (
        f"The model outputs {text(out)} from {last.call_text} '{last.name}' but there are {num_classes} classes",
        fix,
        last.name,
    )
