"""From probe records to the three answers: is pooling required, already applied, and does it make sizes safe.

Two facts change the answer: a map whose spatial axes are 1×1 at every probed size is already pooled (flatten
it, do not pool it again), and a source that is a whole classifier (BackboneRecord.classifier) is re-headed the
way its library says, never given a layer after its logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from math import prod

from ..records.backbone import BackboneRecord, Layout, ProbeRecord, Shape
from ..records.facts import ClassifierRecord, SizeRule, TokenRecord
from ..records.words import Words, words_for
from ..sources import format_size
from . import facts_text

REQUIRED, APPLIED, UNKNOWN = "required", "applied", "unknown"
POOLED = "pooled"  # a map that keeps its spatial axes, 1×1 at every size: flatten it, nothing to average


@dataclass(frozen=True)
class OutputVerdict:
    """What one output of the backbone looks like across the sizes that worked."""

    name: str
    pooling: str
    rank: int | None
    channels: int | None
    layout: Layout
    output_stride: int | None = None
    pooling_makes_sizes_safe: bool | None = None
    flatten_features: dict = field(default_factory=dict)  # size label -> what Flatten() would give
    example_shape: Shape = ()
    example_size: tuple[int, int] | None = None
    framework: str = "keras"  # whose words the advice is spelled in
    tokens: TokenRecord | None = None  # a token output's prefix tokens and reference pooling (the main output)

    @property
    def words(self) -> Words:
        return words_for(self.framework)

    @property
    def pooled_map(self) -> bool:
        return self.pooling == POOLED

    @property
    def pooling_layer(self) -> str:
        """The layer that pools this output, spelled as the user should write it in their framework."""
        if self.pooling == REQUIRED and self.layout is Layout.NLC and self.tokens is not None:
            return facts_text.token_pooling(self.tokens, self.words)
        return self.words.pooling_for(self.layout) if self.pooling == REQUIRED else ""

    @property
    def classifier(self) -> str:
        channels = self.channels if self.pooling in (REQUIRED, APPLIED, POOLED) and self.channels else "in_features"
        if self.pooling == REQUIRED and self.layout is Layout.NLC:
            channels = facts_text.pooled_width(self.tokens, channels)
        return self.words.dense_call("num_classes", channels)

    @property
    def suggested_head(self) -> str:
        if self.pooling == APPLIED:
            return self.classifier
        if self.pooling == POOLED:
            return f"{self.words.flatten_pooled} → {self.classifier}"
        return f"{self.pooling_layer} → {self.classifier}" if self.pooling == REQUIRED else ""


@dataclass(frozen=True)
class Verdict:
    outputs: tuple[OutputVerdict, ...]
    input_sizes: str  # variable, fixed, restricted or unknown
    min_size: tuple[int, int] | None
    too_small: tuple[tuple[int, int], ...]
    working: tuple[tuple[int, int], ...]
    failed: tuple[tuple[int, int], ...]
    classifier: ClassifierRecord | None = None  # the source is a whole classifier
    framework: str = "keras"
    size_rule: SizeRule | None = None  # the sizes the model takes, where it or the probe says more than a minimum

    @property
    def fine_tune(self) -> str:
        """How to give the whole classifier the user's number of classes, in its library's words; "" otherwise."""
        c = self.classifier
        if c is None:
            return ""
        return words_for(self.framework).fine_tune_for(c.library, features=c.features, attribute=c.attribute)

    @property
    def scores(self) -> bool:
        """The probed output is the classifier's class scores (not the feature map of its backbone)."""
        main = self.primary
        return bool(self.classifier and main and main.layout is Layout.NC
                    and (self.classifier.width is None or main.channels == self.classifier.width))

    @property
    def primary(self) -> OutputVerdict | None:
        return self.outputs[0] if self.outputs else None

    def to_json(self) -> dict:
        main = self.primary
        data = {
            "pooling": main.pooling if main else UNKNOWN,
            "rank": main.rank if main else None,
            "channels": main.channels if main else None,
            "layout": main.layout.value if main else Layout.UNKNOWN.value,
            "output_stride": main.output_stride if main else None,
            "pooling_makes_sizes_safe": main.pooling_makes_sizes_safe if main else None,
            "suggested_head": self.fine_tune or (main.suggested_head if main else ""),
            "classifier": self.classifier.to_json() if self.classifier else None,
            "input_sizes": self.input_sizes,
            "min_size": list(self.min_size) if self.min_size else None,
            "working_sizes": [list(s) for s in self.working],
            "failed_sizes": [list(s) for s in self.failed],
            "text": describe(self),
            "outputs": {},
        }
        for out in self.outputs:
            item = asdict(out)
            item.pop("name")
            item.pop("framework")
            item["tokens"] = out.tokens.to_json() if out.tokens else None
            item["layout"] = out.layout.value
            item["example_shape"] = list(out.example_shape)
            item["example_size"] = list(out.example_size) if out.example_size else None
            item["suggested_head"] = out.suggested_head
            data["outputs"][out.name] = item
        return data


def verdict(backbone: BackboneRecord) -> Verdict:
    ok = [r for r in backbone.records if r.ok]
    bad = [r for r in backbone.records if not r.ok]
    names = backbone.output_names
    if "default" in names:  # what hub.KerasLayer returns from a dict of outputs (its output_key default)
        names = ["default"] + [n for n in names if n != "default"]
    declared = {names[0]: backbone.declared_layout} if names and backbone.declared_layout else {}
    fixed = bool(backbone.input.fixed_size)
    outputs = tuple(_output_verdict(name, ok, backbone.input.layout, backbone.framework, declared.get(name), fixed)
                    for name in names)
    if outputs and backbone.tokens and outputs[0].layout is Layout.NLC:
        outputs = (replace(outputs[0], tokens=backbone.tokens),) + outputs[1:]
    working = tuple(r.size for r in ok)
    smallest = min(working, key=_area) if working else None
    rule = backbone.size_rule
    explained = {r.size for r in bad if facts_text.forbids(rule, r.size)}  # a constraint, not a minimum
    too_small = ()
    if smallest and not backbone.input.fixed_size:
        too_small = tuple(r.size for r in bad if r.size[0] <= smallest[0] and r.size[1] <= smallest[1]
                          and r.size not in explained)
    if not working:
        sizes = "unknown"
    elif rule and rule.only and len(working) == 1:
        sizes = "fixed"
    elif explained:
        sizes = "restricted"
    elif backbone.input.fixed_size and len(working) == 1:
        sizes = "fixed"
    elif len(working) + len(too_small) == len(backbone.records):
        sizes = "variable"  # every failure is explained by a size below the minimum
    elif len(working) == 1:
        sizes = "fixed"
    else:
        sizes = "restricted"
    return Verdict(outputs, sizes, smallest if too_small else None, too_small, working, tuple(r.size for r in bad),
                   backbone.classifier, backbone.framework,
                   rule if facts_text.restricts(rule) or (rule and rule.at_least) else None)


def _output_verdict(name: str, ok: list[ProbeRecord], input_layout: Layout, framework: str,
                    declared: Layout | None = None, fixed: bool = False) -> OutputVerdict:
    shapes = {r.size: r.outputs[name] for r in ok if name in r.outputs}
    ranks = {len(s) for s in shapes.values()}
    if len(ranks) != 1:
        return OutputVerdict(name, UNKNOWN, None, None, Layout.UNKNOWN, framework=framework)
    rank = ranks.pop()
    layout = _layout(rank, shapes, input_layout, declared)
    axis = layout.channel_axis
    channels = {s[axis] for s in shapes.values()} if axis is not None else set()
    size, example = next(iter(shapes.items()))
    safe = None  # pooled, is the feature size the same at every size seen? (needs two sizes to tell)
    if layout.spatial_axes and len(shapes) > 1:
        safe = len(channels) == 1 and None not in channels
    pooled = _pooled(shapes, layout, fixed)
    return OutputVerdict(
        name=name,
        pooling=POOLED if pooled else REQUIRED if layout.spatial_axes else APPLIED if layout is Layout.NC else UNKNOWN,
        rank=rank,
        channels=channels.pop() if len(channels) == 1 else None,
        layout=layout,
        output_stride=None if pooled else _stride(shapes, layout),
        pooling_makes_sizes_safe=safe,
        flatten_features={format_size(s): flat_features(shape) for s, shape in shapes.items()} if layout.spatial_axes else {},
        example_shape=example,
        example_size=size,
        framework=framework,
    )


STRIDES = (1, 2, 4, 8, 16, 32, 64, 128)  # network output strides are products of stride-2 stages
USUAL_MAX_STRIDE = 64  # backbones end at stride 32, a few at 64


def _pooled(shapes: dict, layout: Layout, fixed: bool) -> bool:
    """A map whose spatial axes are all 1 at every size seen: pooled inside, whatever the input size.
    A stride of s makes every input up to s pixels 1×1 too, so it proves pooling only where the model takes one
    size, or where some input side is larger than the strides backbones use (MobileNetV2 is 1×1 at 31 and 32)."""
    if len(layout.spatial_axes) != 2 or not shapes:
        return False
    if not fixed and max(max(size) for size in shapes) <= USUAL_MAX_STRIDE:
        return False
    return all(shape[a] == 1 for shape in shapes.values() for a in layout.spatial_axes)


def _layout(rank: int, shapes: dict, input_layout: Layout, declared: Layout | None = None) -> Layout:
    """What the model declares, where its rank agrees; else which axes vary with the input size."""
    if declared is not None and rank == {Layout.NHWC: 4, Layout.NCHW: 4, Layout.NLC: 3, Layout.NC: 2}.get(declared):
        return declared
    if rank == 2:
        return Layout.NC
    if rank == 3:
        return Layout.NLC
    if rank != 4:
        return Layout.UNKNOWN
    varies = [len({s[a] for s in shapes.values()}) > 1 for a in range(4)]
    if varies[2] and varies[3] and not varies[1]:
        return Layout.NCHW
    if varies[1] and varies[2] and not varies[3]:
        return Layout.NHWC
    return Layout.NCHW if input_layout is Layout.NCHW else Layout.NHWC


def _stride(shapes: dict, layout: Layout) -> int | None:
    """How many input pixels make one output position, when one integer explains every size seen.

    'same' padding gives out = ceil(in / s); 'valid' padding (Inception) gives floor((in - k) / s) + 1,
    which is floor(in / s) plus an offset that may differ by one between sizes.
    """
    if len(layout.spatial_axes) != 2:
        return None
    pairs = []
    for (h, w), shape in shapes.items():
        out_h, out_w = (shape[a] for a in layout.spatial_axes)
        if not out_h or not out_w:
            return None
        pairs += [(h, out_h), (w, out_w)]
    strides = STRIDES
    for stride in strides:
        if all(o in (i // stride, -(-i // stride)) for i, o in pairs):
            return stride
    if len({i for i, _ in pairs}) < 2:
        return None
    for stride in strides:
        offsets = {o - i // stride for i, o in pairs}
        if max(offsets) - min(offsets) <= 1 and all(o <= i // stride for i, o in pairs):
            return stride
    return None


def flat_features(shape: Shape) -> int | None:
    """How many features Flatten() makes of one sample of this shape; None when a dimension is unknown."""
    rest = shape[1:]
    return None if None in rest else prod(rest)


def _area(size) -> int:
    return size[0] * size[1]


def shape_text(shape: Shape, batch: str = "N") -> str:
    """(N, 7, 7, 1280): the batch axis named, unknown dimensions as '?'."""
    dims = [batch] + ["?" if d is None else str(d) for d in shape[1:]]
    return "(" + ", ".join(dims) + (",)" if len(dims) == 1 else ")")


def describe(v: Verdict) -> str:
    """The verdict in words, with the numbers that justify it."""
    main = v.primary
    if main is None:
        return "No input size worked; see the errors above."
    at = f" at {format_size(main.example_size)}" if main.example_size else ""
    parts = []
    if v.classifier is not None:
        parts.append(_classifier_text(v, main, at))
    elif main.pooling == POOLED:
        parts.append(
            f"Already pooled to 1×1: the output {shape_text(main.example_shape)}{at} keeps its spatial axes at 1 at "
            f"every size. Flatten only ({main.words.flatten_pooled}), then {main.classifier}; do not add "
            f"{main.words.pool_name}. {main.words.flatten_name} gives {main.channels} features at every size."
        )
    elif main.pooling == REQUIRED:
        what = "token sequence" if main.layout is Layout.NLC else f"{main.layout.value} feature map"
        stride = f" (output stride {main.output_stride})" if main.output_stride else ""
        tokens = main.tokens
        layout = f": {facts_text.layout_text(tokens, main.example_shape[1], main.example_size)}" if tokens else ""
        parts.append(
            f"Pooling required: the output is a {what} {shape_text(main.example_shape)}{at}{stride}{layout}. "
            f"Use {main.suggested_head}."
        )
        if tokens:
            parts.append(facts_text.token_advice(tokens, main.words))
        pool = main.pooling_layer
        flat = list(main.flatten_features.items())
        if main.pooling_makes_sizes_safe and len({n for _, n in flat}) > 1:
            flat = " and ".join(f"{n} at {s}" for s, n in flat[:2])
            parts.append(f"{pool} gives (N, {main.channels}) at every size; {main.words.flatten} would give {flat}.")
        elif main.pooling_makes_sizes_safe and main.output_stride is None:  # no stride explains an unchanged map
            parts.append(f"{pool} gives (N, {main.channels}) at every size; the map itself does not change with "
                         "the input size here (the backbone resizes or crops internally).")
        elif main.pooling_makes_sizes_safe is False:
            parts.append(f"The feature size changes with the input, so {pool} alone does not make sizes safe.")
    elif main.pooling == APPLIED:
        parts.append(
            f"Pooling applied: the output is already a vector {shape_text(main.example_shape)}{at}. "
            f"Do not add {main.words.pool_name} ({main.words.double_pool_error}), and {main.words.flatten_name} would "
            f"do nothing; use {main.suggested_head}."
        )
    else:
        parts.append(f"Pooling unknown: the output {shape_text(main.example_shape)} has rank {main.rank}.")
    if v.size_rule and facts_text.restricts(v.size_rule):
        parts.append(facts_text.sizes_sentence(v.size_rule, v.working, v.failed))
    elif v.input_sizes == "fixed":
        parts.append(f"Input size is fixed: only {format_size(v.working[0])} works.")
    elif v.input_sizes == "variable" and v.min_size:
        parts.append(f"Every probed size from {format_size(v.min_size)} up works.")
    elif v.input_sizes == "variable":
        parts.append("Every probed input size works.")
    elif v.input_sizes == "restricted":
        parts.append(f"Only some sizes work: {', '.join(format_size(s) for s in v.working)}.")
    if v.min_size:
        small = ", ".join(format_size(s) for s in v.too_small)
        parts.append(f"Too small: {small}.")
    if len(v.outputs) > 1:
        parts.append(f"{len(v.outputs)} outputs; the verdict describes '{main.name}'.")
        parts += [_other_output(out) for out in v.outputs[1:]]
    return " ".join(parts)


def _classifier_text(v: Verdict, main: OutputVerdict, at: str) -> str:
    """A whole classifier: its class count, and how its own library gives it the user's classes."""
    c = v.classifier
    width = f"{c.width} output{'s' if c.width != 1 else ''}" if c.width else "its own classes"
    layer = f" ('{c.attribute}'" + (f", {c.features} features in)" if c.features else ")") if c.attribute else ""
    if v.scores:
        what = f"the output {shape_text(main.example_shape)}{at} is class scores from its own classifier{layer}"
    else:
        pooled = "and its own head pools it" if c.pools else "and its own head reads it"
        what = (f"its classifier{layer} sits on a backbone, probed here, that returns "
                f"{shape_text(main.example_shape)}{at}, {pooled}")
    return (f"A classifier with {width}: {what}. To fine-tune it for your classes, {v.fine_tune}; "
            "do not add a layer after its outputs.")


def _other_output(out: OutputVerdict) -> str:
    shape = shape_text(out.example_shape)
    if out.pooling == POOLED:
        return f"'{out.name}' {shape} is already pooled to 1×1: flatten only ({out.suggested_head})."
    if out.pooling == REQUIRED:
        return f"'{out.name}' {shape} needs {out.pooling_layer} before {out.classifier}."
    if out.pooling == APPLIED:
        return f"'{out.name}' {shape} is already pooled: {out.classifier} goes right after it."
    return f"'{out.name}' {shape} has rank {out.rank}: pooling unknown."
