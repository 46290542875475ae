"""What a model does, as facts every framework states the same way. No framework imports.

The adapters read these from the library where it declares them (timm's `num_prefix_tokens` and
`global_pool`, a Hugging Face config, torchvision's `fc`, a Keras top) or from the shapes the probe saw;
rules and the verdict reason on them and never on a class name.

- TokenRecord: a token sequence's layout, what its prefix tokens are and how the checkpoint pools them.
- ClassifierRecord: the model is a whole classifier (its output is class scores), and how to re-head it.
- SizeRule: which input sizes the model takes, stated as what it is ("a multiple of 14"), not as a minimum.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# what one prefix token is, in TokenRecord.prefix
CLASS, DISTILLATION, REGISTER = "class", "distillation", "register"
# how a checkpoint pools its tokens, in TokenRecord.reference
CLASS_TOKEN = "class_token"  # token 0 (timm global_pool="token", BERT-style pooler)
MEAN_PATCHES = "mean_patches"  # the mean of the patch tokens only, prefix tokens excluded (timm "avg")
MEAN_ALL = "mean_all"  # the mean of every token, prefix tokens included
ATTENTION = "attention"  # a learned attention pool (SigLIP's MAP head, timm "map")
# the class token beside the mean of the patch tokens, concatenated (Dinov2ForImageClassification)
CLASS_AND_MEAN = "class_and_mean_patches"
REFERENCES = (CLASS_TOKEN, MEAN_PATCHES, MEAN_ALL, ATTENTION, CLASS_AND_MEAN)


@dataclass(frozen=True)
class TokenRecord:
    """A token output (N, L, C): which of the L tokens are prefix tokens, the patch grid, the reference pooling."""

    prefix: tuple[str, ...] = ()  # one entry per prefix token, in order: ("class", "register", "register", ...)
    grid: tuple[int, int] | None = None  # the patch grid at the record's size, where the model says
    patch: int | None = None  # the patch size in pixels
    reference: str | None = None  # one of REFERENCES: how the checkpoint's own head pools; None: not declared
    switch: str = ""  # how the library selects that pooling ("global_pool='token'", "pooler_output")
    declared_by: str = ""  # where it was read ("timm num_prefix_tokens", "config.json")

    @property
    def num_prefix(self) -> int:
        return len(self.prefix)

    @property
    def has_class_token(self) -> bool:
        return bool(self.prefix) and self.prefix[0] == CLASS

    def count(self, kind: str) -> int:
        return sum(1 for item in self.prefix if item == kind)

    def to_json(self) -> dict:
        return {"prefix": list(self.prefix), "grid": list(self.grid) if self.grid else None, "patch": self.patch,
                "reference": self.reference, "switch": self.switch, "declared_by": self.declared_by}

    @classmethod
    def from_json(cls, data: dict | None) -> TokenRecord | None:
        if data is None:
            return None
        return cls(tuple(data.get("prefix", ())), tuple(data["grid"]) if data.get("grid") else None,
                   data.get("patch"), data.get("reference"), data.get("switch", ""), data.get("declared_by", ""))


@dataclass(frozen=True)
class ClassifierRecord:
    """The model ends in its own classifier: its output is `width` class scores, computed from `features`."""

    width: int | None  # how many classes the model outputs
    features: int | None = None  # the classifier's input features (what a new classifier takes)
    attribute: str | None = None  # where the classifier lives on the model: "fc", "classifier", "head"
    library: str = ""  # whose fine-tuning recipe applies: "timm", "torchvision", "hf", "keras", "keras_hub"
    pools: bool = True  # the model pools before its classifier (a re-headed model needs no pooling of its own)

    def to_json(self) -> dict:
        return {"width": self.width, "features": self.features, "attribute": self.attribute,
                "library": self.library, "pools": self.pools}

    @classmethod
    def from_json(cls, data: dict | None) -> ClassifierRecord | None:
        if data is None:
            return None
        return cls(data.get("width"), data.get("features"), data.get("attribute"), data.get("library", ""),
                   data.get("pools", True))


@dataclass(frozen=True)
class SizeRule:
    """Which input sizes work, as the constraint it is. Every field that is set must hold for a size to work."""

    multiple_of: int | None = None  # height and width must be multiples of this (a ViT's patch size)
    square_only: bool = False
    even: bool = False  # height and width must be even
    only: tuple[tuple[int, int], ...] = ()  # exactly these sizes (a fixed export); empty: no such limit
    at_least: tuple[int, int] | None = None  # the smallest size that works, where failing is monotonic in size
    declared_dynamic: bool | None = None  # the file's input declares free height/width (ONNX, .pt2)
    evidence: str = ""  # what it was read from: "patch_size 14", "probed 154, 160, 161"

    def allows(self, size: tuple[int, int]) -> bool:
        h, w = size
        if self.only and tuple(size) not in self.only:
            return False
        if self.multiple_of and (h % self.multiple_of or w % self.multiple_of):
            return False
        if self.square_only and h != w:
            return False
        if self.even and (h % 2 or w % 2):
            return False
        return not (self.at_least and (h < self.at_least[0] or w < self.at_least[1]))

    @property
    def restricts(self) -> bool:
        """It says more than a minimum: multiples, parity, squareness or a list of sizes."""
        return bool(self.multiple_of or self.even or self.square_only or self.only)

    def forbids(self, size: tuple[int, int]) -> bool:
        """The size breaks a constraint other than the minimum (so failing there is not 'too small')."""
        return self.restricts and not replace(self, at_least=None).allows(tuple(size))

    def to_json(self) -> dict:
        return {"multiple_of": self.multiple_of, "square_only": self.square_only, "even": self.even,
                "only": [list(s) for s in self.only], "at_least": list(self.at_least) if self.at_least else None,
                "declared_dynamic": self.declared_dynamic, "evidence": self.evidence}

    @classmethod
    def from_json(cls, data: dict | None) -> SizeRule | None:
        if data is None:
            return None
        return cls(data.get("multiple_of"), data.get("square_only", False), data.get("even", False),
                   tuple(tuple(s) for s in data.get("only", ())),
                   tuple(data["at_least"]) if data.get("at_least") else None, data.get("declared_dynamic"),
                   data.get("evidence", ""))
