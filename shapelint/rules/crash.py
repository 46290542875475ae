"""SL217, SL218: a model whose forward fails is a finding at the call that failed, never a pass.

The adapter records every call forward made up to the one that raised (its output is then unknown and
its error is the framework's, reworded where the framework's own words hide the cause). The specific
rules (SL201 a classifier on a map, SL202 a size-bound flatten, SL214 a window larger than its map,
SL217 a classifier built for other features) explain a failure where they recognise it; SL218 reports
any failure none of them explains, so a model that cannot run never passes.
"""

from __future__ import annotations

from ..records.layers import LayerRecord, ModelRecord
from ..records.words import words_for
from .registry import REGISTRY, rule
from .walk import text, upstream

# calls that hand a vector on with the same features: the classifier's input is what came before them
PASS_THROUGH = ("dropout", "activation", "norm", "math")


def failing_layer(model: ModelRecord) -> LayerRecord | None:
    """The first recorded call the model's forward failed in (its output could not be computed)."""
    if not model.build_error:
        return None
    return next((layer for layer in model.layers if layer.error and layer.output_shapes is None), None)


def feeder(model: ModelRecord, layer: LayerRecord) -> LayerRecord | None:
    """The call whose output reaches `layer`'s input, looking back through dropout and the like."""
    current, seen = (model.layer(layer.inbound[0]) if layer.inbound else None), set()
    while current is not None and current.kind in PASS_THROUGH and current.inbound and current.name not in seen:
        seen.add(current.name)
        current = model.layer(current.inbound[0])
    return current


def spatial(shape) -> tuple:
    """The axes between the channels and the batch of a channels-first map or sequence: (N, C, *these)."""
    return tuple(shape[2:]) if shape and len(shape) >= 3 else ()


def flattens_a_map(layer: LayerRecord | None) -> bool:
    """A flatten whose input still has positions (more than 1×1): its features depend on the input size."""
    shape = layer.input_shape if layer is not None else None
    return bool(layer is not None and layer.kind == "flatten" and shape and any(d != 1 for d in spatial(shape)))


def mismatched(layer: LayerRecord) -> int | None:
    """The features a dense call received where they are not the ones it was built for."""
    shape = layer.input_shape
    if layer.kind != "dense" or not layer.features or not shape or len(shape) != 2 or shape[-1] is None:
        return None
    return shape[-1] if shape[-1] != layer.features else None


@rule("SL217", "linear-features-mismatch", "error", "head")
def classifier_features_mismatch(model: ModelRecord, **_):
    """A classifier is built for a different number of features than its input has.

    ## What it does
    Reports an `nn.Linear` (a dense layer that states its input features) whose input vector has a
    different number of features than it was built for: a replaced classifier sized for another
    backbone (`model.fc = nn.Linear(2048, 3)` on a ResNet-18, which gives 512), a classifier sized for
    the flatten of a map at another input size, or for the channels of a map that was flattened
    instead of pooled. The model cannot run at the checked size. (Where it runs at one checked size
    and not at another, `flatten-fixes-input-size` says so.)

    ## Why is this bad?
    The forward pass fails at the first batch (`mat1 and mat2 shapes cannot be multiplied`), usually
    after the data pipeline and the training loop were set up around it, and the error names neither
    the layer nor the number it should have had.

    ## Example
    ```python
    model = torchvision.models.resnet18(weights=None)
    model.fc = nn.Linear(2048, 3)  # resnet50's width
    ```

    ## Use instead
    ```python
    model = torchvision.models.resnet18(weights=None)
    model.fc = nn.Linear(model.fc.in_features, 3)  # 512
    ```
    """
    words = words_for(model.framework)
    for layer in model.layers:
        received = mismatched(layer)
        before = feeder(model, layer)
        if received is None:
            continue
        fix = f"Build {layer.call_text} '{layer.name}' as {words.dense_call(layer.units, received)}"
        if flattens_a_map(before) and before.input_shape[1] != layer.features:
            shape = before.input_shape
            pool = words.global_pool(len(spatial(shape)), channels_first=True)
            yield (
                f"{layer.call_text} '{layer.name}' expects {layer.features} features but {before.call_text} "
                f"'{before.name}' turns the {text(shape)} map into {received}",
                f"{fix}, or add {pool} before {before.call_text} '{before.name}' and build it for "
                f"{shape[1]} features, which do not change with the input size",
                layer.name,
            )
            continue
        if flattens_a_map(before):
            shape = before.input_shape
            yield (
                f"{layer.call_text} '{layer.name}' expects {layer.features} features, the channels of the "
                f"{text(shape)} map, but {before.call_text} '{before.name}' gives {received}: the map was "
                "flattened, not pooled",
                f"Add {words.global_pool(len(spatial(shape)), channels_first=True)} before {before.call_text} "
                f"'{before.name}'",
                layer.name,
            )
            continue
        giver = "the backbone" if before is not None and before.name == model.backbone_layer else (
            f"{before.call_text} '{before.name}'" if before is not None else "its input")
        yield (
            f"{layer.call_text} '{layer.name}' expects {layer.features} features; {giver} gives {received}",
            fix,
            layer.name,
        )


@rule("SL218", "model-cannot-run", "error", "head")
def model_cannot_run(model: ModelRecord, **_):
    """The model's forward pass fails, for a reason no other rule explains.

    ## What it does
    Reports the call where the model's forward pass failed at the checked input size, with the
    framework's own error, when no more specific rule (`dense-on-feature-map`,
    `flatten-fixes-input-size`, `shrinks-to-nothing`, `linear-features-mismatch`, ...) already
    explains the failure. A model that cannot run is never reported as passing.

    ## Why is this bad?
    The model fails on its first batch; a check that passes it, or reports it as a tool error,
    sends the user looking in the wrong place.

    ## Example
    ```python
    class Net(nn.Module):
        def forward(self, x):
            return self.fc(x.view(-1, 999))  # 999 does not divide the features
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def forward(self, x):
            return self.fc(torch.flatten(x, 1))
    ```
    """
    layer = failing_layer(model)
    if layer is None or explained(model, layer):
        return
    yield (
        f"The model cannot run: {layer.call_text} '{layer.name}' fails with {layer.error}",
        f"Make {layer.call_text} '{layer.name}' fit what reaches it: its input is "
        f"{text(layer.input_shape) if layer.input_shape else 'unknown'}",
        layer.name,
    )


def explained(model: ModelRecord, layer: LayerRecord) -> bool:
    """Another rule reports this failure: a finding at the failing call, or one worded from the build error."""
    before = upstream(model, layer.name) | {layer.name, None}
    for code in ("SL201", "SL202", "SL203", "SL214", "SL215", "SL217"):
        for item in REGISTRY[code].check(model):
            if (item[2] if len(item) > 2 else None) in before:
                return True
    return False


@rule("SL219", "softmax-over-batch", "error", "head")
def softmax_over_batch(model: ModelRecord, **_):
    """Softmax (or log-softmax) is taken over the batch axis instead of the classes.

    ## What it does
    Reports a softmax or log-softmax whose axis is the batch axis (axis 0): `F.softmax(x, dim=0)`,
    `nn.Softmax(dim=0)`, or a softmax left to pick its own axis on a rank-3 input, which picks 0.

    ## Why is this bad?
    Each class's scores are normalised across the samples of the batch, so a sample's "probabilities"
    depend on which other samples share its batch and do not sum to one. The model trains and
    predicts without an error, and its accuracy changes with the batch size.

    ## Example
    ```python
    return F.softmax(self.fc(x), dim=0)
    ```

    ## Use instead
    ```python
    return F.softmax(self.fc(x), dim=1)  # the classes
    ```
    """
    for layer in model.layers:
        shape = layer.input_shape
        if layer.kind == "activation" and layer.activation in ("softmax", "log_softmax") and layer.axes == (0,) \
                and shape and len(shape) >= 2:
            yield (
                f"{layer.call_text} '{layer.name}' normalises a {text(shape)} input over axis 0, the batch: each "
                "class is normalised across the samples, not each sample across the classes",
                f"Take the {layer.activation} in '{layer.name}' over the classes, the last axis ({len(shape) - 1})",
                layer.name,
            )
