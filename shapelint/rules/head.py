"""SL2xx: bugs in the head a model puts on its backbone, read from the ModelRecord of its layer graph."""

from __future__ import annotations

import re

from ..records.backbone import Layout
from ..records.layers import ModelRecord
from ..records.words import words_for
from ..sources import format_size
from .registry import rule
from .verdict import flat_features, verdict
from .walk import last_activation, producer, text, upstream

NDIM = re.compile(r"expected ndim=(\d+), found ndim=(\d+)")
LAYER = re.compile(r"""layer ["']([^"']+)["']""")
FULL_SHAPE = re.compile(r"Full shape received: (\([^)]*\))")


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
    return {3: "token sequence", 5: "volume"}.get(len(shape), "feature map")


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
        if layer.kind == "dense" and shape and len(shape) >= 3 and out is None and layer.error:
            tainted.add(layer.name)  # it cannot even run: the last axis is not the features it was built for
            yield _dense_cannot_run(model, layer)
            continue
        if layer.kind != "dense" or not shape or len(shape) < 3 or not out or _pooled_to_one(model, layer):
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


def _pooled_to_one(model: ModelRecord, layer) -> bool:
    """Every position axis of the layer's input is 1 (N, 1, C), at each size checked, or after a global pooling
    that keeps its axes: the layer runs once per sample, as a classifier should."""
    shape, alt = layer.input_shape, layer.alt_output_shape
    if not all(d == 1 for d in shape[1:-1]):
        return False
    if alt is None or all(d == 1 for d in alt[1:-1]):  # one position wherever the size was checked
        return True
    return any(getattr(model.layer(name), "kind", None) == "global_pool" for name in upstream(model, layer.name))


def _dense_cannot_run(model: ModelRecord, layer) -> tuple:
    shape, words = layer.input_shape, words_for(model.framework)
    pooled = channels_first(model, shape) or len(shape) == 4 and shape[1] == layer.features
    ones = all(d == 1 for d in (shape[2:] if pooled else shape[1:-1]))
    fix = words.flatten_pooled if ones else pool_for(model, shape)
    return (
        f"{layer.call_text} '{layer.name}' receives a {text(shape)} {kind_of(shape)} and cannot run: it acts on "
        f"the last axis, of size {shape[-1]}, not on the {layer.features or 'input'} features it was built for",
        f"Add {fix} before {layer.call_text} '{layer.name}'" + (" (the map is already 1×1)" if ones else ""),
        layer.name,
    )


@rule("SL202", "flatten-fixes-input-size", "warning", "head")
def flatten_fixes_input_size(model: ModelRecord, **_):
    """Flatten throws away a size freedom the model has: its features depend on the input size.

    ## What it does
    Reports a `Flatten` layer on a feature map, sequence or volume whose number of features
    changes with the input size, when the model could otherwise take other sizes: a pretrained
    backbone (nested model, Hub layer) sits before it, or the input is declared with a free size.
    A model declared at one size with no backbone (a LeNet trained from scratch on 28×28 MNIST)
    loses nothing and is not reported; Flatten on an already pooled `(N, C)` vector is a no-op.
    When Keras cannot even build the model because a Flatten over a free length leaves the next
    layer's input size unknown (`last dimension ... should be defined`), that is reported too.

    ## Why is this bad?
    The `Dense` layer after it is built for one feature count, so the whole model then works at
    exactly one input size, though its backbone works at many; any other size fails with an
    incompatible-shape error at run time. It also multiplies the head's weights by the map's area.

    ## Example
    ```python
    backbone = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(224, 224, 3))
    model = keras.Sequential([backbone, keras.layers.Flatten(), keras.layers.Dense(5)])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([backbone, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    # declared at one size with no backbone, Flatten is fine:
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    ```
    """
    if model.build_error:
        yield from _flatten_from_error(model.build_error, words_for(model.framework))
        return
    for layer in model.layers:
        shape, out, alt = layer.input_shape, layer.output_shape, layer.alt_output_shape
        if layer.kind != "flatten" or not shape or len(shape) < 3 or not out or not alt:
            continue
        features, alt_features = flat_features(out), flat_features(alt)
        if features is None or alt_features is None or features == alt_features or not _size_free(model, layer.name):
            continue
        channels = shape[1] if channels_first(model, shape) else shape[-1]
        yield (
            f"{_named(layer)} '{layer.name}' turns a {text(shape)} {kind_of(shape)} into {features} features at "
            f"{format_size(model.size)} but {alt_features} at {format_size(model.alt_size)}; "
            "the layers after it accept only one input size",
            f"Replace {_named(layer)} '{layer.name}' with {pool_for(model, shape)} ({channels} features at every size)",
            layer.name,
        )


def _named(layer) -> str:
    """A layer by its class (Flatten), a call forward made as it was written (torch.flatten(x, 1))."""
    return layer.call_text if layer.function else layer.class_name


def _size_free(model: ModelRecord, name: str) -> bool:
    """Could the model take other input sizes before layer `name`? A backbone before it, or a free input."""
    if model.backbone_layer and model.backbone_layer in upstream(model, name):
        return True
    return any(None in shape[1:-1] for shape in model.inputs if len(shape) >= 3)


UNDEFINED = re.compile(r"(last dimension of the inputs to a `?Dense`? layer should be defined|"
                       r"Shapes used to initialize variables must be fully-defined)")
VARIABLE = re.compile(r"""variable path=['"](?:[^'"]*/)?([^/'"]+)/kernel""")


def _flatten_from_error(error: str, words):
    if not UNDEFINED.search(error):
        return
    found = VARIABLE.search(error) or LAYER.search(error)
    layer = found.group(1) if found else None
    where = f"'{layer}'" if layer else "the classifier"
    yield (
        f"{words.name} could not build the model: {where} receives an input whose feature size is unknown "
        "(a Flatten over an input of free size)",
        f"Replace the {words.flatten_name} before {where} with {words.global_pool(1)} for a sequence "
        f"or {words.global_pool(2)} for an image",
        layer,
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
        axis = layer.axes[0] if layer.axes and layer.kind == "activation" else -1  # the axis it normalises
        if layer.activation == "softmax" and out and len(out) >= 2 and -len(out) <= axis < len(out) \
                and out[axis] == 1:
            yield (
                f"{layer.call_text} '{layer.name}' returns {text(out)}: softmax over one unit is always 1.0",
                words_for(model.framework).binary_fix.format(layer=layer.name),
                layer.name,
            )


@rule("SL206", "classes-mismatch", "error", "head")
def classes_mismatch(model: ModelRecord, num_classes: int | None = None, **_):
    """The model's output size differs from the number of classes (`--num-classes N`).

    ## What it does
    With `--num-classes N`, reports a single-output model whose last axis is not N. One unit is
    accepted for N=2 (a sigmoid or linear binary head; a one-unit softmax is `single-unit-softmax`).

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
    last = producer(model, model.outputs[0])
    out = last.output_shape if last else None
    if not out or out[-1] is None or out[-1] == num_classes:
        return
    if num_classes == 2 and out[-1] == 1:  # a binary head: sigmoid or logits are right, softmax is SL204's
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


@rule("SL212", "double-activation", "error", "head")
def double_activation(model: ModelRecord, **_):
    """Softmax (or sigmoid) is applied to an output that already went through it.

    ## What it does
    Reports an activation layer (`Activation("softmax")`, `Softmax()`) whose input comes from a
    layer that already ends in the same softmax or sigmoid, e.g. `Dense(10, activation="softmax")`.

    ## Why is this bad?
    A second softmax flattens the distribution towards uniform (its inputs are all in [0, 1]), so
    the loss barely moves and predictions lose their confidence; nothing raises an error.

    ## Example
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.add(keras.layers.Activation("softmax"))
    ```

    ## Use instead
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    ```
    """
    for layer in model.layers:
        if layer.kind != "activation" or layer.activation not in ("softmax", "sigmoid") or len(layer.inbound) != 1:
            continue
        before = last_activation(model, layer.inbound[0])
        if before is not None and before.activation == layer.activation:
            yield (
                f"{layer.call_text} '{layer.name}' applies {layer.activation} to the output of "
                f"{before.call_text} '{before.name}', which already applied it",
                f"Remove {layer.call_text} '{layer.name}'",
                layer.name,
            )


@rule("SL213", "batch-axis-changed", "error", "head")
def batch_axis_changed(model: ModelRecord, **_):
    """A layer's output batch stops following the input batch: samples are mixed or split.

    ## What it does
    Shapes the model at batch sizes 1 and 2 (symbolically) and reports the first layer whose
    output batch is not 1 and 2: typically a reshape to `(-1, C)` that folds spatial or sequence
    positions into the batch, so a head that should have pooled "runs" with a grown batch.

    ## Why is this bad?
    The model returns more (or fewer) rows than it was given. The loss then compares predictions
    with the wrong labels or fails far from the cause (`logits and labels must have the same first
    dimension`), and whatever trains learns per-position, not per-sample.

    ## Example
    ```python
    x = keras.layers.Conv2D(64, 3)(inputs)                  # (N, 6, 6, 64)
    outputs = keras.layers.Dense(10)(keras.ops.reshape(x, (-1, 64)))   # (36 N, 10)
    ```

    ## Use instead
    ```python
    outputs = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(x))   # (N, 10)
    ```
    """
    changed = {name for name, _, _ in model.batch_changes}
    for name, one, two in model.batch_changes:
        layer = model.layer(name)
        if layer is None or any(parent in changed for parent in layer.inbound):
            continue  # report where it starts, not every layer after
        squeezed = len(one) < len(two)
        fix = (f"Keep the batch axis in '{name}': use {words_for(model.framework).flatten_pooled} instead of "
               "removing every axis of size 1" if squeezed else
               f"Keep the batch axis in '{name}': pool or flatten the other axes "
               f"({pool_for(model, layer.input_shape or one)}) instead of folding them into the batch")
        yield (
            f"{layer.call_text} '{name}' returns {text(one)} for a batch of {model.batch_sizes[0]} and {text(two)} "
            f"for a batch of {model.batch_sizes[1]}: "
            "its output batch no longer follows the input batch",
            fix,
            name,
        )


@rule("SL216", "output-is-feature-map", "error", "head")
def output_is_feature_map(model: ModelRecord, **_):
    """A classifier on a backbone returns a downsampled feature map instead of one prediction per image.

    ## What it does
    Reports a model output that still has spatial or sequence axes smaller than the input's (so not
    a per-pixel segmentation map), comes after a probed backbone, and is trained as a classifier (it
    ends in softmax or sigmoid, or the loss is a crossentropy), when no Dense layer on the way is
    already reported by `dense-on-feature-map`: typically a `Conv2D(num_classes, 1)` head that was
    never pooled.

    ## Why is this bad?
    The model predicts one class distribution per position of the map, `(N, 7, 7, 5)`, not per image.
    Keras may broadcast the labels over the extra axes and train without an error.

    ## Example
    ```python
    model = keras.Sequential([backbone, keras.layers.Conv2D(5, 1, activation="softmax")])  # (N, 7, 7, 5)
    ```

    ## Use instead
    ```python
    model = keras.Sequential([backbone, keras.layers.Conv2D(5, 1), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Softmax()])
    ```
    """
    from .losses import CROSSENTROPIES  # the loss table lives with the loss rules

    reported = {o.name for layer in model.layers if layer.kind == "dense" and layer.input_shape
                and len(layer.input_shape) >= 3 for o in model.reachable_outputs(layer.name)}
    for out in model.output_layers():
        shape = producer(model, out.name).output_shape if producer(model, out.name) else None
        if not shape or len(shape) < 3 or out.name in reported or not model.size:
            continue
        if not model.backbone_layer or model.backbone_layer not in upstream(model, out.name):
            continue
        if tuple(d for d in shape[1:-1][:2]) == tuple(model.size[:len(shape) - 2]):
            continue  # as large as the input: a dense prediction (segmentation), not an unpooled classifier
        last = last_activation(model, out.name)
        if not (last and last.activation in ("softmax", "sigmoid")) and model.loss not in CROSSENTROPIES:
            continue
        yield (
            f"The model outputs {text(shape)} from {out.call_text} '{out.name}': a {kind_of(shape)} of predictions, "
            "not one per image",
            f"Add {pool_for(model, shape)} before the classifier's activation, after '{out.name}'",
            out.name,
        )
