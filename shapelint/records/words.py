"""The words a framework's advice is spelled in. Rules and the verdict ask `words_for(record.framework)`;
they never spell a layer themselves. Each adapter package provides its `WORDS` in a framework-free
module `shapelint/adapters/<package>/words.py`, found here by name, so importing this imports no framework.

Templates are `str.format` strings; the keys each one takes are named beside it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache

from .backbone import Layout

# records' `framework` -> the adapter package that speaks for it
# ("tensorflow:KERAS_HUB": a Words other than the package's WORDS)
PACKAGES = {"keras": "tensorflow", "tf_keras": "tensorflow", "tensorflow": "tensorflow", "torch": "torch",
            "onnx": "onnx", "keras_hub": "tensorflow:KERAS_HUB"}
DEFAULT = "keras"


@dataclass(frozen=True)
class Words:
    framework: str
    name: str  # the framework as a user names it: "Keras could not build the model"
    pool: str  # global average pooling over a channels-last tensor; {dims}: 1, 2 or 3 spatial axes, {axes}: their indices
    pool_first: str  # the same over a channels-first tensor
    pool_name: str  # the 2-D global pooling layer's name, as in "do not add GlobalAveragePooling2D"
    double_pool_error: str  # what the framework says when a pooled vector is pooled again
    dense: str  # a classifier layer; {units}, {features} (its input features, where the framework needs them)
    dense_activation: str  # the same with an activation; {units}, {features}, {activation}
    flatten: str
    backbone_pool: str  # how the user asks the backbone itself to pool
    pooled_backbone: str  # the usual ways a backbone arrives already pooled
    binary_fix: str  # SL204's fix; {layer}
    loss_call: str  # a loss as written with its logits flag; {loss}, {from_logits}
    use_loss: str  # an instruction to use a loss; {loss}
    remove_activation: str  # an instruction to drop an activation; {activation}, {layer}
    activation_fix: str = "End '{layer}' in {activation}"  # an instruction to end a layer in an activation; {activation}, {layer}
    # a map already pooled to 1×1 that keeps its spatial axes: drop them, nothing to average
    flatten_pooled: str = "Flatten()"
    class_token: str = "x[:, 0]"  # take the class token of (N, L, C) tokens
    patch_mean: str = "x[:, {start}:].mean(axis=1)"  # average the patch tokens only; {start}: the prefix token count
    # the class token beside the mean of the patch tokens (Dinov2ForImageClassification); {start}
    class_and_mean: str = "keras.ops.concatenate([x[:, 0], keras.ops.mean(x[:, {start}:], axis=1)], axis=-1)"
    # a saved model whose input declares free height and width but runs at one size; {size}
    reexport_dynamic: str = "Rebuild the model with a free input size (keras.Input((None, None, 3))), or resize inputs to {size}"
    # how to re-head a whole classifier, by the library that built it (ClassifierRecord.library);
    # {features}, {attribute}, {num_classes}; "" picks the framework's own way
    fine_tune: tuple[tuple[str, str], ...] = ()
    # (family, the loss on probabilities, the loss on logits) for "categorical" and "binary" labels
    losses: tuple[tuple[str, str, str], ...] = ()

    @property
    def flatten_name(self) -> str:
        """Flatten() as a name: "do not add Flatten"."""
        return self.flatten.partition("(")[0]

    def global_pool(self, dims: int = 2, channels_first: bool = False) -> str:
        """The global pooling over `dims` spatial axes, for a channels-last or channels-first tensor."""
        axes = tuple(range(2, 2 + dims)) if channels_first else tuple(range(1, 1 + dims))
        return (self.pool_first if channels_first else self.pool).format(dims=dims, axes=axes)

    def pooling_for(self, layout: Layout) -> str:
        """The global pooling a backbone output of this layout needs; "" when it needs none."""
        if layout is Layout.NLC:
            return self.global_pool(1)
        if layout in (Layout.NHWC, Layout.NCHW):
            return self.global_pool(2, channels_first=layout is Layout.NCHW)
        return ""

    def loss_for(self, family: str, logits: bool = False) -> str:
        """The loss for one family of labels, taking probabilities or logits."""
        for name, on_probabilities, on_logits in self.losses:
            if name == family:
                return on_logits if logits else on_probabilities
        return family

    def fine_tune_for(self, library: str, **fields) -> str:
        """How to give a whole classifier built by `library` a new number of classes."""
        recipes = dict(self.fine_tune)
        recipe = recipes.get(library, recipes.get("", ""))
        return recipe.format(**{"features": "in_features", "attribute": "classifier", "num_classes": "num_classes",
                                **{k: v for k, v in fields.items() if v is not None}})

    def dense_call(self, units, features="in_features", activation: str | None = None) -> str:
        if activation in (None, "linear"):
            return self.dense.format(units=units, features=features)
        return self.dense_activation.format(units=units, features=features, activation=activation)


@lru_cache(maxsize=None)
def words_for(framework: str | None) -> Words:
    """The Words of a record's framework; Keras's for a framework no adapter speaks for yet."""
    package, _, name = (PACKAGES.get(framework or DEFAULT) or PACKAGES[DEFAULT]).partition(":")
    try:
        return getattr(importlib.import_module(f"shapelint.adapters.{package}.words"), name or "WORDS")
    except ModuleNotFoundError:
        return importlib.import_module(f"shapelint.adapters.{PACKAGES[DEFAULT]}.words").WORDS


def loss_text(words: Words, loss: str, from_logits: bool | None) -> str:
    """A loss as the user wrote it: with its logits flag where it has one (crossentropies), without elsewhere
    ('MeanSquaredError()', never 'MeanSquaredError(from_logits=False)')."""
    if "from_logits" not in words.loss_call or "Crossentropy" in loss:
        return words.loss_call.format(loss=loss, from_logits=from_logits)
    return words.loss_call.replace("(from_logits={from_logits})", "()").replace(" ()", "").format(loss=loss)
