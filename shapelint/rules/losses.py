"""SL205, SL207-SL211: the pairing of the model's last activation and units with its loss.

One table says what each loss expects of the output, by the name the adapter records (a Keras loss
class, or a torch loss module such as CrossEntropyLoss); the rules compare it with the output's
activation and size. Each wrong pairing is one finding, under the code whose fix it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..records.layers import ModelRecord
from ..records.words import words_for
from .registry import rule
from .walk import last_activation, single_output

PROBABILITIES = ("softmax", "sigmoid")
LOGITS = ("linear", None)  # no activation: raw scores
LOG_PROBABILITIES = ("log_softmax",)
NON_NEGATIVE = ("relu", "relu6", "softplus")  # activations whose outputs cannot go below zero


@dataclass(frozen=True)
class Loss:
    """What a loss expects: `family` of labels, and `expects` probabilities, logits or log-probabilities
    (None: the record's from_logits says)."""

    family: str  # "categorical" (one label of k), "binary" (a probability per unit), "regression"
    expects: str | None = None


LOSSES = {
    # Keras: the from_logits argument decides
    "CategoricalCrossentropy": Loss("categorical"),
    "SparseCategoricalCrossentropy": Loss("categorical"),
    "CategoricalFocalCrossentropy": Loss("categorical"),
    "BinaryCrossentropy": Loss("binary"),
    "BinaryFocalCrossentropy": Loss("binary"),
    "MeanSquaredError": Loss("regression"),
    "MeanAbsoluteError": Loss("regression"),
    "MeanSquaredLogarithmicError": Loss("regression"),
    "MeanAbsolutePercentageError": Loss("regression"),
    "Huber": Loss("regression"),
    "LogCosh": Loss("regression"),
    # torch: the loss class decides
    "CrossEntropyLoss": Loss("categorical", "logits"),
    "NLLLoss": Loss("categorical", "log_probabilities"),
    "BCEWithLogitsLoss": Loss("binary", "logits"),
    "BCELoss": Loss("binary", "probabilities"),
    "MSELoss": Loss("regression"),
    "L1Loss": Loss("regression"),
    "SmoothL1Loss": Loss("regression"),
    "HuberLoss": Loss("regression"),
}
CROSSENTROPIES = tuple(name for name, loss in LOSSES.items() if loss.family != "regression")


@dataclass(frozen=True)
class Pairing:
    """A one-output model's last layer, its activation, its units and its loss, as the rules compare them."""

    layer: str
    call: str
    activation: str | None
    units: int | None
    loss: str
    family: str
    expects: str  # what the loss takes: probabilities, logits or log_probabilities
    text: str  # the loss as the user wrote it, e.g. CategoricalCrossentropy(from_logits=False)


def pairing(model: ModelRecord) -> Pairing | None:
    known = LOSSES.get(model.loss or "")
    if model.build_error:  # the graph stops where the model failed: its output is not the model's
        return None
    found = single_output(model) if len(model.outputs) == 1 else _scored_output(model, known)
    if known is None or found is None:
        return None
    out, last, units = found
    if last is None:
        return None
    expects = known.expects or ("logits" if model.from_logits else "probabilities")
    words = words_for(model.framework)
    written = words.loss_call.format(loss=model.loss, from_logits=model.from_logits)
    return Pairing(last.name, last.call_text, last.activation, units, model.loss, known.family, expects, written)


@rule("SL205", "logits-loss-mismatch", "error", "head")
def logits_loss_mismatch(model: ModelRecord, **_):
    """The loss's `from_logits` (or its kind, in torch) does not match the model's last activation.

    ## What it does
    Reports a model trained with a crossentropy loss (binary, categorical, sparse categorical,
    focal; torch `CrossEntropyLoss`, `BCEWithLogitsLoss`, `BCELoss`, `NLLLoss`) where a loss that
    takes logits follows a sigmoid or softmax output, or a loss that takes probabilities follows a
    linear output (raw logits).

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
    # softmax outputs with the default from_logits=False, and a sigmoid with binary_crossentropy, are right too
    ```
    """
    p = pairing(model)
    if p is None or p.family == "regression":
        return
    words = words_for(model.framework)
    if p.expects == "logits" and p.activation in PROBABILITIES and not _sigmoids_for_one_label(p):
        use = words.use_loss.format(loss=_flipped(model, words))
        yield (
            f"The model ends in {p.call} '{p.layer}' but the loss is {p.text}: {p.activation} is applied twice",
            f"{use}, or {words.remove_activation.format(activation=p.activation, layer=p.layer)}",
            p.layer,
        )
    elif p.expects == "logits" and p.activation in LOG_PROBABILITIES and LOSSES[model.loss].expects == "logits":
        # a loss class that applies log_softmax itself (torch's CrossEntropyLoss); a from_logits=True flag
        # says the user means log-probabilities as logits, which they are
        yield (
            f"The model ends in {p.call} '{p.layer}' but the loss is {p.text}, which applies log_softmax itself: "
            "log_softmax is applied twice",
            f"{words.use_loss.format(loss=words.loss_for(p.family))}, or "
            f"{words.remove_activation.format(activation=p.activation, layer=p.layer)}",
            p.layer,
        )
    elif p.expects == "probabilities" and p.activation in LOG_PROBABILITIES:
        yield (
            f"The model ends in {p.call} '{p.layer}', log-probabilities (never above 0), but the loss is "
            f"{p.text}, which expects probabilities",
            f"{words.activation_fix.format(activation='sigmoid' if p.family == 'binary' else 'softmax', layer=p.layer)}"
            f" instead, or {_then(words.use_loss.format(loss=words.loss_for(p.family, logits=True)))} on the logits",
            p.layer,
        )
    elif p.expects == "probabilities" and p.activation in LOGITS:
        yield (
            f"The model ends in {p.call} '{p.layer}' with no activation (logits) but the loss is "
            f"{p.text}, which expects probabilities",
            words.use_loss.format(loss=_flipped(model, words)),
            p.layer,
        )
    elif p.expects == "log_probabilities" and p.activation not in LOG_PROBABILITIES and p.activation in (
            *PROBABILITIES, *LOGITS):
        yield (
            f"The model ends in {p.call} '{p.layer}' but the loss is {p.text}, which expects log-probabilities",
            words.use_loss.format(loss=words.loss_for(p.family, logits=True)) + (
                f" and {_then(words.remove_activation.format(activation=p.activation, layer=p.layer))}"
                if p.activation in PROBABILITIES else ""),
            p.layer,
        )


def _before_softmax(model: ModelRecord, p: Pairing | None):
    """The non-negative activation (ReLU) a final softmax or log-softmax normalises, where there is one."""
    layer = model.layer(p.layer) if p is not None and p.activation in ("softmax", "log_softmax") else None
    if layer is None or layer.kind != "activation":  # Dense(10, activation="softmax") normalises its own scores
        return None
    before = last_activation(model, layer.inbound[0]) if layer is not None and len(layer.inbound) == 1 else None
    return before if before is not None and before.activation in NON_NEGATIVE else None


def _scored_output(model: ModelRecord, known: Loss | None):
    """Of several outputs (a GAN discriminator's (real/fake, classes)), the one a categorical loss scores:
    the only one with more than one class. None when that is not one output."""
    if known is None or known.family != "categorical":
        return None
    scored = [name for name in model.outputs if (model.layer(name) and model.layer(name).output_shape
              and len(model.layer(name).output_shape) == 2 and (model.layer(name).output_shape[-1] or 0) > 1)]
    if len(scored) != 1:
        return None
    return single_output(replace(model, outputs=(scored[0],)))


def _sigmoids_for_one_label(p: Pairing) -> bool:
    """k > 1 sigmoid outputs scored by a categorical loss (on probabilities, or on logits: then the sigmoid
    squashes them first)."""
    return p.activation == "sigmoid" and (p.units or 0) > 1 and p.family == "categorical" and \
        p.expects in ("probabilities", "logits")


def _flipped(model: ModelRecord, words) -> str:
    """The same loss taking the other kind of input: from_logits flipped, or torch's sibling class."""
    if LOSSES[model.loss].expects is None:
        return words.loss_call.format(loss=model.loss, from_logits=not model.from_logits)
    known = LOSSES[model.loss]
    return words.loss_for(known.family, logits=known.expects != "logits")


def _then(sentence: str) -> str:
    """An instruction continued after a comma: its first letter in lower case."""
    return sentence[:1].lower() + sentence[1:]


@rule("SL207", "sigmoid-with-categorical-loss", "error", "head")
def sigmoid_with_categorical_loss(model: ModelRecord, **_):
    """Several sigmoid outputs are trained with a categorical crossentropy.

    ## What it does
    Reports a model whose last layer has k > 1 sigmoid units and whose loss is categorical or
    sparse categorical crossentropy (torch `CrossEntropyLoss`, which then takes the sigmoids as logits).

    ## Why is this bad?
    Sigmoids do not sum to one; categorical crossentropy rescales them into a distribution, so
    the gradient only pushes the true class up relative to the others and the outputs drift.
    One label per sample wants softmax; several labels per sample want binary crossentropy.

    ## Example
    ```python
    model.add(keras.layers.Dense(10, activation="sigmoid"))
    model.compile(loss="categorical_crossentropy")
    ```

    ## Use instead
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))  # one label per sample
    model.compile(loss="categorical_crossentropy")           # or: sigmoid with binary_crossentropy (multi-label)
    ```
    """
    p = pairing(model)
    if p and _sigmoids_for_one_label(p):
        words = words_for(model.framework)
        yield (
            f"The model ends in {p.call} '{p.layer}', {p.units} independent sigmoids, but the loss is {p.text}, "
            "which expects one distribution over the classes",
            f"{words.activation_fix.format(activation='softmax', layer=p.layer)} (one label per sample), or "
            f"{_then(words.use_loss.format(loss=words.loss_for('binary')))} (several labels per sample)",
            p.layer,
        )


@rule("SL208", "softmax-with-binary-loss", "error", "head")
def softmax_with_binary_loss(model: ModelRecord, **_):
    """A softmax over more than two classes is trained with binary crossentropy.

    ## What it does
    Reports a model whose last layer is a softmax over k > 2 units and whose loss is binary
    crossentropy on probabilities. A 2-unit softmax with binary crossentropy on one-hot labels
    computes the same loss as categorical crossentropy and is not reported.

    ## Why is this bad?
    Binary crossentropy scores each unit as its own yes/no question, which a softmax cannot
    answer independently; Keras then also picks binary accuracy for `metrics=["accuracy"]`,
    which reports a flattering number (about 1 - 1/k when nothing is learnt).

    ## Example
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    ```

    ## Use instead
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    ```
    """
    p = pairing(model)
    if p and p.activation == "softmax" and (p.units or 0) > 2 and p.family == "binary" and p.expects == "probabilities":
        words = words_for(model.framework)
        yield (
            f"The model ends in {p.call} '{p.layer}', a softmax over {p.units} classes, but the loss is {p.text}, "
            "which scores each unit as a separate yes/no",
            f"{words.use_loss.format(loss=words.loss_for('categorical'))} (one label per "
            f"sample), or {_then(words.activation_fix.format(activation='sigmoid', layer=p.layer))} "
            "(several labels per sample)",
            p.layer,
        )


@rule("SL209", "categorical-loss-on-one-unit", "error", "head")
def categorical_loss_on_one_unit(model: ModelRecord, **_):
    """A categorical crossentropy is computed over a single output unit.

    ## What it does
    Reports a one-unit output (sigmoid or linear) trained with categorical or sparse categorical
    crossentropy. (A one-unit softmax is `single-unit-softmax`.)

    ## Why is this bad?
    Over one unit the normalised prediction is always 1.0, so categorical crossentropy is zero
    for every sample and nothing is learnt; with sparse labels, class 1 is out of range.

    ## Example
    ```python
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="categorical_crossentropy")
    ```

    ## Use instead
    ```python
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy")
    ```
    """
    p = pairing(model)
    if p and p.units == 1 and p.family == "categorical" and p.activation != "softmax":
        words = words_for(model.framework)
        yield (
            f"The model ends in {p.call} '{p.layer}', a single unit, but the loss is {p.text}: "
            "over one unit it is always zero",
            f"{words.use_loss.format(loss=words.loss_for('binary'))} with a sigmoid output "
            "for two classes, or give the last layer one unit per class with softmax",
            p.layer,
        )


@rule("SL210", "unnormalised-output", "error", "head")
def unnormalised_output(model: ModelRecord, **_):
    """The last activation (relu, tanh, ...) gives neither probabilities nor logits to a crossentropy.

    ## What it does
    Reports a crossentropy-trained model whose last layer ends in an activation other than
    softmax, sigmoid or none: relu, tanh, elu, softplus and the like.

    ## Why is this bad?
    A relu output is not a probability (it is unbounded and often zero, so the clipped log
    explodes or the gradient dies), and as logits it cannot go negative. Training stalls or gives
    NaN losses.

    ## Example
    ```python
    model.add(keras.layers.Dense(10, activation="relu"))
    model.compile(loss="categorical_crossentropy")
    ```

    ## Use instead
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy")
    ```
    """
    p = pairing(model)
    if p and p.family != "regression" and p.activation not in (*PROBABILITIES, *LOGITS, *LOG_PROBABILITIES) \
            and not (p.expects == "logits" and p.activation in NON_NEGATIVE):  # non-negative-logits says it
        words = words_for(model.framework)
        wanted = "sigmoid" if p.family == "binary" or p.units == 1 else "softmax"
        yield (
            f"The model ends in {p.call} '{p.layer}' but the loss is {p.text}: {p.activation} outputs are "
            "neither probabilities nor logits",
            f"{words.activation_fix.format(activation=wanted, layer=p.layer)}, or drop the {p.activation} "
            "and train on logits",
            p.layer,
        )


@rule("SL211", "regression-loss-on-classifier", "warning", "head")
def regression_loss_on_classifier(model: ModelRecord, **_):
    """A softmax classifier is trained with a regression loss (mse, mae, ...).

    ## What it does
    Reports a model whose last layer is a softmax over k > 1 classes and whose loss is mean
    squared error, mean absolute error, Huber or the like.

    ## Why is this bad?
    The squared error on softmax outputs has vanishing gradients when the model is confidently
    wrong, so it learns far slower than with crossentropy and often stalls.

    ## Example
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(loss="mse")
    ```

    ## Use instead
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy")
    ```
    """
    p = pairing(model)
    if p and p.family == "regression" and p.activation == "softmax" and (p.units or 0) > 1:
        words = words_for(model.framework)
        yield (
            f"The model ends in {p.call} '{p.layer}', a softmax over {p.units} classes, but the loss is "
            f"{model.loss}, a regression loss",
            words.use_loss.format(loss=words.loss_for("categorical")),
            p.layer,
        )




@rule("SL220", "non-negative-logits", "error", "head")
def non_negative_logits(model: ModelRecord, **_):
    """A ReLU (or another activation that cannot go negative) ends a model whose loss takes logits.

    ## What it does
    Reports a model whose output goes through ReLU, ReLU6 or softplus and whose loss takes raw logits:
    torch `CrossEntropyLoss` and `BCEWithLogitsLoss`, or a Keras crossentropy with `from_logits=True`;
    or whose final softmax (or log-softmax) normalises ReLU outputs.

    ## Why is this bad?
    Logits must be free to go negative: after a ReLU every class scores at least zero, so the loss can
    only push the right class up, never the wrong ones down, and a unit stuck at zero has no gradient
    at all. Training runs, slowly and to a worse model, with no error.

    ## Example
    ```python
    def forward(self, x):
        return F.relu(self.fc2(F.relu(self.fc1(x))))  # trained with nn.CrossEntropyLoss()
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))  # logits
    ```
    """
    p = pairing(model)
    before = _before_softmax(model, p)
    if p and p.family != "regression" and before is not None:
        yield (
            f"{before.call_text} '{before.name}' comes right before {p.call} '{p.layer}': the scores it normalises "
            f"are {before.activation} outputs, which cannot go below zero, so no class can be scored down",
            f"Remove the {before.activation} after the last classifier layer ('{before.name}'): softmax takes "
            "the raw scores, negative ones included",
            before.name,
        )
    elif p and p.family != "regression" and p.expects == "logits" and p.activation in NON_NEGATIVE:
        yield (
            f"The model ends in {p.call} '{p.layer}' but the loss is {p.text}, which takes logits: "
            f"{p.activation} outputs cannot go below zero, so no class can be scored down",
            f"Remove the {p.activation} at the end of the model ('{p.layer}'): the loss takes the raw scores, "
            "negative ones included",
            p.layer,
        )
