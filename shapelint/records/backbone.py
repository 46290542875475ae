"""Plain records of what a probe saw. No framework imports: rules and formatters read only these."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from .facts import ClassifierRecord, SizeRule, TokenRecord

Shape = tuple  # tuple[int | None, ...]; None is an unknown dimension


class Layout(str, Enum):
    """How a tensor's axes are laid out; names the channel and spatial axes (timm's Format)."""

    NHWC = "channels_last"
    NCHW = "channels_first"
    NLC = "tokens"
    NC = "vector"
    UNKNOWN = "unknown"

    @property
    def spatial_axes(self) -> tuple[int, ...]:
        return {"channels_last": (1, 2), "channels_first": (2, 3), "tokens": (1,)}.get(self.value, ())

    @property
    def channel_axis(self) -> int | None:
        return {"channels_last": -1, "channels_first": 1, "tokens": -1, "vector": -1}.get(self.value)


@dataclass(frozen=True)
class InputSpec:
    """The image input a backbone declares: dtype, layout and any fixed height/width."""

    dtype: str = "float32"
    layout: Layout = Layout.NHWC
    channels: int = 3
    height: int | None = None
    width: int | None = None

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        if self.height and self.width:
            return (self.height, self.width)
        return None

    @classmethod
    def from_shape(cls, shape, dtype: str) -> InputSpec:
        """From a rank-4 input shape; channels_first when axis 1 looks like channels and the last does not."""
        _, a, b, c = shape
        if a in (1, 3, 4) and c not in (1, 3, 4):
            return cls(dtype=dtype, layout=Layout.NCHW, channels=a, height=b, width=c)
        return cls(dtype=dtype, layout=Layout.NHWC, channels=c or 3, height=a, width=b)

    def to_json(self) -> dict:
        return {"dtype": self.dtype, "layout": self.layout.value, "channels": self.channels,
                "height": self.height, "width": self.width}

    @classmethod
    def from_json(cls, data: dict) -> InputSpec:
        return cls(data["dtype"], Layout(data["layout"]), data["channels"], data.get("height"), data.get("width"))

    def shape(self, size: tuple[int, int], batch: int = 1) -> Shape:
        h, w = size
        if self.layout is Layout.NCHW:
            return (batch, self.channels, h, w)
        return (batch, h, w, self.channels)


@dataclass(frozen=True)
class ProbeRecord:
    """The outputs of one backbone at one input size, or the one-line reason that size failed."""

    size: tuple[int, int]
    input_shape: Shape
    outputs: dict[str, Shape] = field(default_factory=dict)
    error: str | None = None
    executed: bool = False
    why: str | None = None  # why a size nobody asked for was probed ("smallest size that works"); None: asked for

    @property
    def ok(self) -> bool:
        return self.error is None and not self.empty

    @property
    def empty(self) -> bool:
        """A map with a zero or negative dimension: the input was too small to leave anything."""
        return any(d is not None and d <= 0 for shape in self.outputs.values() for d in shape)

    def to_json(self) -> dict:
        return {
            "size": list(self.size),
            "input_shape": list(self.input_shape),
            "outputs": {name: list(shape) for name, shape in self.outputs.items()},
            "error": self.error,
            "executed": self.executed,
            "why": self.why,
        }

    @classmethod
    def from_json(cls, data: dict) -> ProbeRecord:
        return cls(
            size=tuple(data["size"]),
            input_shape=tuple(data["input_shape"]),
            outputs={name: tuple(shape) for name, shape in data["outputs"].items()},
            error=data.get("error"),
            executed=data.get("executed", False),
            why=data.get("why"),
        )


@dataclass(frozen=True)
class BackboneRecord:
    """Everything the probe learned about one source: its input and one record per input size."""

    source: str
    input: InputSpec
    records: tuple[ProbeRecord, ...]
    kind: str = ""  # which adapter loaded it, e.g. "keras3", "tf_keras", "savedmodel"
    # ((function or "graph", (op, ...)), ...): ops that could reach files, Python or the network (SL105)
    suspicious: tuple = ()
    framework: str = "keras"  # whose words the advice is spelled in (records.words)
    declared_layout: Layout | None = None  # the main output's layout as the model states it (timm's output_fmt)
    tokens: TokenRecord | None = None  # a token output's prefix tokens, grid and reference pooling
    classifier: ClassifierRecord | None = None  # set when the model is a whole classifier: its output is class scores
    size_rule: SizeRule | None = None  # which input sizes work, where the model or the probe says more than a minimum

    @property
    def output_names(self) -> list[str]:
        for record in self.records:
            if record.outputs:
                return list(record.outputs)
        return []

    def explained(self, requested, reasons: dict) -> BackboneRecord:
        """The same record with `why` set on rows at sizes outside `requested` that `reasons` explains."""
        requested = set(requested)
        records = tuple(replace(r, why=reasons[r.size]) if r.why is None and r.size not in requested
                        and r.size in reasons else r for r in self.records)
        return replace(self, records=records)

    def to_json(self) -> dict:
        return {"source": self.source, "kind": self.kind, "input": self.input.to_json(),
                "records": [r.to_json() for r in self.records],
                "suspicious": [[where, list(ops)] for where, ops in self.suspicious], "framework": self.framework,
                "declared_layout": self.declared_layout.value if self.declared_layout else None,
                "tokens": self.tokens.to_json() if self.tokens else None,
                "classifier": self.classifier.to_json() if self.classifier else None,
                "size_rule": self.size_rule.to_json() if self.size_rule else None}

    @classmethod
    def from_json(cls, data: dict) -> BackboneRecord:
        records = tuple(ProbeRecord.from_json(r) for r in data["records"])
        suspicious = tuple((where, tuple(ops)) for where, ops in data.get("suspicious", ()))
        declared = Layout(data["declared_layout"]) if data.get("declared_layout") else None
        return cls(data["source"], InputSpec.from_json(data["input"]), records, data.get("kind") or "", suspicious,
                   data.get("framework", "keras"), declared, TokenRecord.from_json(data.get("tokens")),
                   ClassifierRecord.from_json(data.get("classifier")), SizeRule.from_json(data.get("size_rule")))
