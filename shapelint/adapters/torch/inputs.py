"""The input forward takes, where the model does not say: what the input meets first decides.

An nn.Module has no declared input. The layer that receives it says what it must be: nn.Linear(784, ...)
takes (N, 784) vectors, nn.Embedding takes (N, L) integer token ids, nn.Conv1d(1, ...) takes (N, 1, L)
sequences, nn.Conv2d(1, ...) takes one-channel images. Each distinct first layer of the model (in the order
its modules were defined) proposes an input; graph.py runs the proposals on the meta device and keeps the
first that runs. An input the user gave (a factory's third item, --input-shape) is taken as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .runtime import import_torch

TOKENS = (32, 48)  # the token-sequence lengths a token model is checked at (two, so lengths may vary)
SEQUENCE = (1024, 2048, 8000, 16000)  # sequence lengths tried for a Conv1d model, shortest first
VOLUME_DEPTH = 16  # frames of a Conv3d clip
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
