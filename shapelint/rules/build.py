"""SL214, SL215: models the framework could not build, read from its one-line build error.

A model whose head does not fit together fails in its factory, before there is a graph to walk;
the error names the cause, and these rules turn it into the finding it is, with the numbers it gives.
"""

from __future__ import annotations

import re

from ..records.layers import ModelRecord
from ..records.words import words_for
from .registry import rule
from .walk import text

SHRINK = (
    # Keras 3: the input that was too small, as the layer received it
    re.compile(r"Computed output size would be zero or negative\. Received:? `inputs[ .]shape=([^`]*)`"
               r"(?:, `(kernel shape|pool_size)=([^`]*)`)?"),
    # tf_keras: the layer from the node name, and the shapes it subtracted
    re.compile(r"Negative dimension size caused by subtracting (\d+) from (\d+) for '\{\{node ([^/}]+)/"),
)
TORCH_SHRINK = (
    # pooling: "Given input size: (8x2x2). Calculated output size: (8x0x0). Output size is too small"
    re.compile(r"Given input size: \(([^)]*)\)\. Calculated output size: \(([^)]*)\)\. Output size is too small"),
    # convolution: "Calculated padded input size per channel: (2 x 2). Kernel size: (5 x 5). ..."
    re.compile(r"Calculated padded input size per channel: \(([^)]*)\)\. Kernel size: \(([^)]*)\)\. "
               r"Kernel size can't be greater than actual input size"),
    # 1-d pooling: "max_pool1d() Invalid computed output size: 0"
    re.compile(r"(\w+)\(\) Invalid computed output size: (-?\d+)"),
)
RESHAPE = (
    re.compile(r"total size of the tensor must be unchanged\. Received: input_shape=(\([^)]*\)), target_shape=(\([^)]*\))"),
    re.compile(r"total size of new array must be unchanged, input_shape = (\[[^\]]*\]), output_shape = (\[[^\]]*\])"),
)


@rule("SL214", "shrinks-to-nothing", "error", "head")
def shrinks_to_nothing(model: ModelRecord, **_):
    """Valid convolutions and pooling shrink the input to nothing before the head.

    ## What it does
    Reports a model the framework cannot build because a convolution or pooling layer with
    `padding="valid"` receives a map smaller than its window (`Computed output size would be zero
    or negative`, `Negative dimension size caused by subtracting 5 from 4`).

    ## Why is this bad?
    Each valid 5×5 convolution takes 4 pixels off each side and each pooling halves the map; for
    a small declared input (28×28, a short sequence) the stack runs out of pixels and nothing builds.

    ## Example
    ```python
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 5), keras.layers.Conv2D(4, 5),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 5, padding="same"),
                              keras.layers.Conv2D(4, 5, padding="same"), keras.layers.Flatten(), keras.layers.Dense(2)])
    ```
    """
    if not model.build_error:
        return
    words = words_for(model.framework)
    keras3, legacy = (pattern.search(model.build_error) for pattern in SHRINK)
    torch_found = [pattern.search(model.build_error) for pattern in TORCH_SHRINK]
    if any(torch_found) and not keras3 and not legacy:
        yield _torch_shrink(model, *torch_found[:2])
        return
    if keras3:
        window = f" with {keras3.group(2)} {keras3.group(3)}" if keras3.group(2) else ""
        yield (
            f"{words.name} could not build the model: a convolution or pooling receives {keras3.group(1)}{window}, "
            "so its output would be empty",
            "Use padding='same' in the convolutions and pooling before it, remove a downsampling layer, or "
            "declare a larger input",
            None,
        )
    elif legacy:
        window, size, layer = legacy.groups()
        yield (
            f"{words.name} could not build the model: '{layer}' has a window of {window} but only {size} "
            "positions left, so its output would be empty",
            f"Use padding='same' in '{layer}' and the layers before it, remove a downsampling layer, or "
            "declare a larger input",
            layer,
        )


def _torch_shrink(model: ModelRecord, pool, conv) -> tuple:
    from .crash import failing_layer

    layer = failing_layer(model)
    where = f"{layer.call_text} '{layer.name}'" if layer is not None else "a convolution or pooling"
    shape = f"a {text(layer.input_shape)} input" if layer is not None and layer.input_shape else "its input"
    if pool:
        what = f"receives {pool.group(1)} and would return {pool.group(2)}"
    elif conv:
        what = f"receives a {conv.group(1)} map but its kernel is {conv.group(2)}"
    else:
        what = f"receives {shape}, smaller than its window"
    return (
        f"{words_for(model.framework).name} could not run the model: {where} {what}, so its output would be empty",
        f"Use padding in {where} and the layers before it, remove a downsampling layer, or check a larger input",
        layer.name if layer is not None else None,
    )


@rule("SL215", "reshape-size-mismatch", "error", "head")
def reshape_size_mismatch(model: ModelRecord, **_):
    """A Reshape's target does not hold the number of values that reach it.

    ## What it does
    Reports a model the framework cannot build because a `Reshape` target shape has a different
    total size from its input (`The total size of the tensor must be unchanged`).

    ## Why is this bad?
    The target was usually computed for another input size or another layer stack; the model
    cannot be built, and a `-1` "fix" that makes it build folds the difference into the batch.

    ## Example
    ```python
    model = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Reshape((10, 10)), keras.layers.Dense(2)])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Reshape((16, 16)), keras.layers.Dense(2)])
    ```
    """
    if not model.build_error:
        return
    words = words_for(model.framework)
    for pattern in RESHAPE:
        found = pattern.search(model.build_error)
        if found:
            yield (
                f"{words.name} could not build the model: a Reshape receives {found.group(1)} but its target "
                f"is {found.group(2)}, which holds a different number of values",
                "Make the Reshape target hold exactly what reaches it (the product of the input's dimensions), "
                "or pool the input to a fixed size first",
                None,
            )
            return
