"""SL11x: which input sizes a backbone takes, stated as the constraint it is (records.facts.SizeRule)."""

from __future__ import annotations

from ..records.backbone import BackboneRecord
from ..records.words import words_for
from ..sources import format_size
from .facts_text import forbids, rule_text, sizes_that
from .registry import rule


@rule("SL110", "input-size-constraint", "warning", "backbone")
def input_size_constraint(backbone: BackboneRecord, **_):
    """Some input sizes fail for a reason other than being too small: multiples, parity or squareness.

    ## What it does
    Reports probed sizes that fail because the backbone needs height and width to be multiples of
    a number (a ViT's patch size with timm's `dynamic_img_size=True`), even, or equal, and names the
    constraint, found where the model declares it or by probing sizes chosen to tell them apart.

    ## Why is this bad?
    A size that breaks the constraint fails at run time, or is cropped silently where the model
    floors it; calling it "too small" sends users to resize upwards, which does not help.

    ## Example
    ```
    shapelint probe "timm:vit_small_patch14_dinov2?num_classes=0&dynamic_img_size=true" --sizes 224,160
    # 160 fails: height and width must be multiples of 14 (154 works)
    ```

    ## Use instead
    Resize (or pad) inputs to sizes the constraint allows: 154 or 168 for patch 14.
    """
    size_rule = backbone.size_rule
    if size_rule is None or size_rule.only:
        return
    failed = [r.size for r in backbone.records if not r.ok and forbids(size_rule, r.size)]
    if failed:
        working = [r.size for r in backbone.records if r.ok]
        works = f" ({sizes_that(working, 'works', 'work')})" if working else ""
        yield (
            f"{sizes_that(failed, 'fails', 'fail')} for {backbone.source}: {rule_text(size_rule)}{works}",
            f"Resize or pad inputs {_allowed_sizes(size_rule)}: {_nearest(size_rule, failed[0])}",
        )


@rule("SL111", "dynamic-axes-do-not-hold", "warning", "backbone")
def dynamic_axes_do_not_hold(backbone: BackboneRecord, **_):
    """A saved model declares a free height and width but runs at one size only.

    ## What it does
    Reports an ONNX file or a `.pt2` program whose image input declares dynamic height and width
    (`(n, 3, h, w)`) when only one size runs: the export traced a position embedding or a reshape for
    the size it was exported at, so the dynamic axes are a promise the graph does not keep.

    ## Why is this bad?
    Loaders and serving code trust the declared axes and send other sizes, which then fail deep in
    the graph with a broadcast error, or are refused only once deployed.

    ## Example
    ```python
    vit = timm.create_model("vit_small_patch14_dinov2", num_classes=0)  # position embeddings for 518
    torch.onnx.export(vit, x, "vit.onnx", dynamic_axes={"x": {2: "h", 3: "w"}}, dynamo=False)
    ```

    ## Use instead
    ```python
    vit = timm.create_model("vit_small_patch14_dinov2", num_classes=0, dynamic_img_size=True)
    torch.onnx.export(vit, (x,), "vit.onnx", dynamo=True,
                      dynamic_shapes={"x": {2: torch.export.Dim("h"), 3: torch.export.Dim("w")}})
    ```
    """
    size_rule = backbone.size_rule
    if size_rule and size_rule.only and size_rule.declared_dynamic:
        only = ", ".join(format_size(s) for s in size_rule.only)
        failed = ", ".join(format_size(r.size) for r in backbone.records if not r.ok)
        yield (
            f"{backbone.source} declares a dynamic height and width ({size_rule.evidence.split('; ')[0]}) but runs "
            f"only at {only}; "
            f"{failed} failed",
            words_for(backbone.framework).reexport_dynamic.format(size=only),
        )


def _allowed_sizes(size_rule) -> str:
    """'to multiples of 14', 'to even, square sizes'."""
    if size_rule.multiple_of:
        kinds = [f"multiples of {size_rule.multiple_of}"]
    else:
        kinds = ["even sizes"] if size_rule.even else []
    if size_rule.square_only:
        kinds = [f"square {kinds[0]}" if kinds else "square sizes"]
    return "to " + (kinds[0] if kinds else "sizes that work")


def _nearest(size_rule, size) -> str:
    """The allowed sizes next to a failing one, as an example."""
    h, w = size
    step = size_rule.multiple_of or (2 if size_rule.even else 0)
    if step:
        below, above = (h // step * step, w // step * step), (-(-h // step) * step, -(-w // step) * step)
        return f"{format_size(below)} or {format_size(above)} instead of {format_size(size)}"
    if size_rule.square_only:
        side = max(h, w)
        return f"{format_size((side, side))} instead of {format_size(size)}"
    return f"not {format_size(size)}"

