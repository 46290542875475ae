"""The input forward takes, where the model does not say: what the input meets first decides.

An nn.Module has no declared input. The layer that receives it says what it must be: nn.Linear(784, ...)
takes (N, 784) vectors, nn.Embedding takes (N, L) integer token ids, nn.Conv1d(1, ...) takes (N, 1, L)
sequences, nn.Conv2d(1, ...) takes one-channel images. Each distinct first layer of the model (in the order
its modules were defined) proposes an input; graph.py runs the proposals on the meta device and keeps the
first that runs. An input the user gave (a factory's third item, --input-shape) is taken as it is. `choose` runs them: on
the meta device at batch 2, else once on real CPU tensors where the meta device was the trouble, else at
the batch the model needs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from math import prod

from .runtime import import_torch
from .trace import Call, Trace, trace

TOKENS = (32, 48)  # the token-sequence lengths a token model is checked at (two, so lengths may vary)
SEQUENCE = (1024, 2048, 8000, 16000)  # sequence lengths tried for a Conv1d model, shortest first
VOLUME_DEPTH = 16  # frames of a Conv3d clip
MAX_PROPOSALS = 12  # inputs tried before the furthest failure is taken as the model's
# a matrix product that does not fit: "a and b must have same reduction dim, but got [2, 20] X [300, 200]"
PRODUCT = re.compile(r"same reduction dim, but got \[[\d, ]+\] X \[(\d+), \d+\]")


@dataclass(frozen=True)
class Proposal:
    """One input forward may take. `shape(size, batch)` gives its shape at an image size (ignored where the
    input has none), `note` says in one line what was assumed and why."""

    kind: str  # "image", "vector", "tokens", "sequence" (N, C, L), "steps" (N, L, C), "volume", "given"
    channels: int = 3  # image/sequence/volume channels, vector features
    length: int | None = None  # a sequence's length
    dtype: str = "float32"
    given: tuple | None = None  # the shape the user gave, without the batch
    note: str = ""
    time_first: bool = False  # an RNN without batch_first: (L, N, C)

    def shape(self, size, batch: int, alt: bool = False) -> tuple:
        h, w = size or (None, None)
        if self.kind == "given":
            return (batch, *self.given)
        if self.kind == "vector":
            return (batch, self.channels)
        if self.kind == "tokens":
            return (batch, self.length or TOKENS[alt])
        if self.kind == "sequence":
            return (batch, self.channels, self.length * (2 if alt else 1))
        if self.kind == "steps":
            length = self.length or TOKENS[alt]
            return (length, batch, self.channels) if self.time_first else (batch, length, self.channels)
        if self.kind == "volume":
            return (batch, self.channels, VOLUME_DEPTH, h, w)
        return (batch, self.channels, h, w)

    @property
    def image(self) -> bool:
        return self.kind == "image"

    def make(self, size, batch: int, alt: bool = False, device: str = "meta"):
        torch = import_torch()
        dtype = getattr(torch, self.dtype)
        return torch.zeros(self.shape(size, batch, alt), dtype=dtype, device=device)


def given(shape, dtype: str = "float32", why: str = "as given") -> Proposal:
    shape = tuple(int(d) for d in shape)
    text = "(N, " + ", ".join(map(str, shape)) + ")"
    return Proposal("given", given=shape, dtype=dtype, note=f"input {text} {dtype}, {why}")


def proposals(model, channels: int = 3) -> list[Proposal]:
    """The inputs the model's layers propose, first layer first; an RGB image when nothing proposes one."""
    torch = import_torch()
    nn = torch.nn
    found: list[Proposal] = []
    for name, module in model.named_modules() if isinstance(model, nn.Module) else ():
        proposal = _proposal(nn, name, module)
        if proposal is not None and proposal not in found:
            found.append(proposal)
    images = [p for p in found if p.image]
    if not images:  # an image is always worth a try: a model may take it through a layer listed later
        found.append(Proposal("image", channels))
    return found


def _proposal(nn, name: str, module) -> Proposal | None:
    written = f"{type(module).__name__} '{name}'" if name else type(module).__name__
    if isinstance(module, nn.Conv2d):
        if module.in_channels == 3:
            return Proposal("image", 3)
        return Proposal("image", module.in_channels,
                        note=f"input (N, {module.in_channels}, H, W) images: the channels of {written}")
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return Proposal("tokens", dtype="int64",
                        note=f"input (N, {TOKENS[0]}) integer token ids: {written} takes them")
    if isinstance(module, nn.Linear):
        return Proposal("vector", module.in_features,
                        note=f"input (N, {module.in_features}) vectors: the features of {written}")
    if isinstance(module, nn.Conv1d):
        return Proposal("sequence", module.in_channels, length=SEQUENCE[0],
                        note=f"input (N, {module.in_channels}, L) sequences: the channels of {written}")
    if isinstance(module, (nn.RNN, nn.LSTM, nn.GRU)):
        first = not module.batch_first
        return Proposal("steps", module.input_size, time_first=first,
                        note=f"input ({'L, N' if first else 'N, L'}, {module.input_size}) sequences: {written} "
                             "takes them")
    if isinstance(module, nn.Conv3d):
        return Proposal("volume", module.in_channels,
                        note=f"input (N, {module.in_channels}, {VOLUME_DEPTH}, H, W) clips: the channels of {written}")
    if isinstance(module, nn.BatchNorm1d):
        return Proposal("vector", module.num_features,
                        note=f"input (N, {module.num_features}) vectors: the features of {written}")
    return None


def fitted(proposal: Proposal, error: str, layer_features: int | None, received: int | None) -> list[Proposal]:
    """Inputs the failure itself proposes. A token or step sequence flattened into a classifier built for
    other features: the length that gives them (a window classifier over 5 tokens). A product with the
    model's own weights at its first call ('[2, 20] X [300, 200]'): inputs whose last axis is what it takes."""
    found = []
    if proposal.kind in ("tokens", "steps") and layer_features and received:
        length = proposal.length or TOKENS[0]
        per_token, rest = divmod(received, length)
        if per_token and not rest and layer_features % per_token == 0 and layer_features // per_token != length:
            found.append(Proposal(proposal.kind, proposal.channels, length=layer_features // per_token,
                                  dtype=proposal.dtype, note=proposal.note.replace(
                                      f"(N, {length})", f"(N, {layer_features // per_token})"),
                                  time_first=proposal.time_first))
    product = PRODUCT.search(error)
    if product:
        features = int(product.group(1))
        found += [Proposal("vector", features, note=f"input (N, {features}) vectors: what the first product takes"),
                  Proposal("steps", features, note=f"input (N, L, {features}) sets of vectors: what the first "
                                                   "product takes")]
    return found


def longer(proposal: Proposal) -> list[Proposal]:
    """The same sequence at the longer lengths to try when a short one shrinks to nothing."""
    if proposal.kind != "sequence":
        return []
    return [Proposal(proposal.kind, proposal.channels, length=n, note=proposal.note)
            for n in SEQUENCE if n > (proposal.length or 0)]


# what PyTorch says when a convolution or pooling window is larger than what is left of the input
SHRINKS = ("Output size is too small", "greater than actual input size", "Invalid computed output size")


def choose(model, backbone, size, keyword, whole: bool) -> tuple:
    """(the input forward takes, its trace at `size`, How it ran): the one the user gave, else the first the model's own
    layers propose that runs (inputs.py); when none runs, the one that got furthest, so the failure found is
    the model's and not the guess's."""
    if backbone.example_input is not None:
        example = backbone.example_input
        taken = given(tuple(example.shape)[1:], str(example.dtype).replace("torch.", ""),
                             "as the factory's example input")
    elif backbone.input_shape:
        taken = given(backbone.input_shape)
    elif whole or keyword:
        taken = Proposal("image", backbone.input.channels)
    else:
        taken = None
    if taken is not None:
        return (taken, *_attempt(model, taken, size, keyword))
    best, tried = None, set()
    todo = proposals(model, backbone.input.channels)
    while todo and len(tried) < MAX_PROPOSALS:
        proposal = todo.pop(0)
        trace, how = _attempt(model, proposal, size, keyword)
        if trace.error is None:
            return proposal, trace, how
        if best is None or len(trace.calls) > len(best[1].calls):
            best = (proposal, trace, how)
        if any(words in trace.error for words in SHRINKS):
            todo = longer(proposal) + todo
        if trace.failed is not None:
            features, received = _mismatch(trace.failed)
            todo = [p for p in fitted(proposal, trace.error, features, received) if p not in tried] + todo
        tried.add(proposal)
    return best


def _mismatch(call: Call) -> tuple:
    """(the features a failing dense call was built for, the features it received)."""
    facts = call.function
    features = facts.features if facts is not None else getattr(call.module, "in_features", None)
    shape = call.inputs[0] if call.inputs else None
    return features, (shape[-1] if shape and len(shape) == 2 else None)


@dataclass(frozen=True)
class How:
    """Where the traces run: the meta device at batch 2, unless the model needs real values (x.item(), a CPU
    tensor made in forward) or a batch of its own (a batch_size it builds its hidden state for)."""

    device: str = "meta"
    batch: int = 2

    def trace(self, model, taken, size, keyword, batch: int | None = None, alt: bool = False) -> Trace:
        return trace(model, taken.make(size, batch or self.batch, alt, self.device), keyword)


def _attempt(model, taken, size, keyword) -> tuple:
    """(trace, how) of one input: on the meta device first, then one small real CPU run where the meta device
    was the trouble, then at the model's own batch_size where it has one; the first that runs, else the one
    that got furthest."""
    batch = getattr(model, "batch_size", None)
    batches = [2] + ([batch] if isinstance(batch, int) and not isinstance(batch, bool) and 2 < batch <= 64 else [])
    best, last = None, ""
    for how in (How(device, size_) for size_ in batches for device in ("meta", "cpu")):
        if how.device == "cpu" and not _meta_trouble(last):
            continue  # the meta device was not the trouble: a real run would fail the same way
        trace = how.trace(model, taken, size, keyword)
        last = trace.error or ""
        if trace.error is None:
            return trace, how
        if best is None or len(trace.calls) > len(best[0].calls):
            best = (trace, how)
    folding = _folding_batch(best[0].error or "", best[1].batch)
    if folding:  # x.view(-1, C) with C larger than one sample: it runs only where samples fold together
        how = How(best[1].device, folding)
        trace = how.trace(model, taken, size, keyword)
        if trace.error is None:
            return trace, how
    return best


RESHAPE = re.compile(r"shape '\[([-\d, ]+)\]' is invalid for input of size (\d+)")


def _folding_batch(error: str, batch: int) -> int | None:
    """The smallest batch a reshape to a fixed row size accepts, where that row holds more than one sample."""
    found = RESHAPE.search(error)
    if not found:
        return None
    target = [int(d) for d in found.group(1).split(",")]
    row = prod(d for d in target if d > 0)
    per_sample, rest = divmod(int(found.group(2)), batch)
    if -1 not in target or rest or not per_sample or row <= per_sample:
        return None
    needed = row // math.gcd(row, per_sample)
    return needed if 2 < needed <= 64 else None


def _meta_trouble(error: str) -> bool:
    """The meta device, not the model, refused: a value read (x.item(), if x.sum() > 0), a CPU tensor made in
    forward, or an op without a meta kernel."""
    return "meta" in error or "device" in error or error.startswith("NotImplementedError")
