"""SL24x: how a head pools a backbone's tokens, against the prefix tokens and the pooling its checkpoint declares.

The head's token calls are LayerRecords with `tokens` set (x[:, 0] reads (0, 1), x[:, 5:] (5, None),
x.mean(dim=1) (0, None)); a pool's span on the backbone's own token axis is found by following its input back
through slices and shape-keeping layers (norms, dropout) to the backbone. The backbone's TokenRecord says which
positions are prefix tokens and how the checkpoint pools.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..records.facts import CLASS, CLASS_AND_MEAN, CLASS_TOKEN, MEAN_ALL, MEAN_PATCHES, TokenRecord
from ..records.layers import LayerRecord, ModelRecord
from ..records.words import words_for
from .facts_text import REFERENCE_WORDS, prefix_text, reference_text, token_pooling
from .registry import rule
from .walk import producer

PASS_THROUGH = ("norm", "dropout", "activation", "math")  # keep every token where they are


@dataclass(frozen=True)
class TokenPool:
    """One call that pools or picks tokens of the backbone's output: where it reads, and what that amounts to."""

    layer: LayerRecord
    start: int
    stop: int  # exclusive, on the backbone's token axis
    length: int  # the backbone's tokens at the record's size
    tokens: TokenRecord

    @property
    def single(self) -> bool:
        return self.stop - self.start == 1

    @property
    def includes_prefix(self) -> bool:
        """A pool over patch tokens that also takes in prefix tokens."""
        return not self.single and self.start < self.tokens.num_prefix < self.stop

    @property
    def pooling(self) -> str | None:
        """What this pool amounts to, in TokenRecord.reference terms; None for anything else."""
        prefix = self.tokens.num_prefix
        if self.single:
            return CLASS_TOKEN if self.start == 0 and self.tokens.has_class_token else None
        if self.stop != self.length or self.layer.pooling not in (None, "average"):
            return None
        if self.start == prefix:
            return MEAN_PATCHES
        return MEAN_ALL if self.start == 0 else None


def token_pools(model: ModelRecord) -> list[TokenPool]:
    """Every call in the head that reduces the backbone's tokens to one vector, with its span. Without a backbone
    that declares its tokens, tokens that forward itself prepends (torch.cat((cls_token, x), dim=1)) count."""
    tokens = model.backbone.tokens if model.backbone else None
    source, length = model.backbone_layer, None
    if tokens is None or not source:
        tokens, length = _prepended(model)
        source = None
    if tokens is None:
        return []
    pools = []
    for layer in model.layers:
        span = layer.tokens
        if span is None and layer.kind == "global_pool" and layer.pool_dims == 1:
            span = (0, None)  # GlobalAveragePooling1D: every token
        out = layer.output_shape
        if span is None or layer.name == source or (out is not None and len(out) != 2):
            continue  # a slice that keeps the token axis is composed by the call that pools it
        found = _on_tokens(model, layer, span, source, length)
        if found:
            pools.append(TokenPool(layer, *found, tokens))
    return pools


def _prepended(model: ModelRecord) -> tuple[TokenRecord | None, int | None]:
    """Tokens a concat on the token axis puts before the data's own (a learned class token joined in forward):
    the inputs ahead of the one the data reached, where some input came from no recorded call (a parameter)."""
    for layer in model.layers:
        shapes, out = layer.input_shapes, layer.output_shape
        if layer.kind != "concat" or layer.axes != (1,) or not out or len(out) != 3 or len(shapes) < 2 \
                or len(layer.inbound) >= len(shapes) or any(len(s) != 3 or s[1] is None for s in shapes):
            continue
        data = max(range(len(shapes)), key=lambda i: shapes[i][1])
        count = sum(s[1] for s in shapes[:data])
        if count:
            prefix = (CLASS,) + ("prefix",) * (count - 1)
            return TokenRecord(prefix, declared_by=f"{layer.call_text} puts {count} token(s) first"), out[1]
    return None, None


def _on_tokens(model: ModelRecord, layer: LayerRecord, span, source: str | None, expected: int | None):
    """(start, stop, length) of `span` on the token axis of `source` (the backbone layer), or of the prepended
    sequence of `expected` tokens; None when the input is not those tokens."""
    shape = layer.input_shapes[0] if layer.input_shapes else None
    if not shape or len(shape) != 3 or shape[1] is None:
        return None
    start, stop = _absolute(span, shape[1])
    length = shape[1]  # the tokens at this point; the source's own count once the walk reaches it
    current, seen = producer(model, layer.inbound[0]) if layer.inbound else None, set()
    while current is not None and current.name not in seen:
        if source is None and length == expected:
            return start, stop, length
        seen.add(current.name)
        if current.name == source:
            return start, stop, length
        if current.kind == "select" and current.tokens is not None and current.input_shape:
            length = current.input_shape[1]
            first, _ = _absolute(current.tokens, length)
            start, stop = start + first, stop + first
        elif current.kind not in PASS_THROUGH or current.output_shape != current.input_shape:
            return None
        current = producer(model, current.inbound[0]) if current.inbound else None
    return (start, stop, length) if source is None and length == expected else None


def _absolute(span, length: int) -> tuple[int, int]:
    start, stop = span
    start = start + length if start < 0 else start
    stop = length if stop is None else (stop + length if stop < 0 else stop)
    return start, min(stop, length)


def _call(pool: TokenPool) -> str:
    return pool.layer.call_text


def _source(model: ModelRecord) -> str:
    return model.backbone.source if model.backbone and model.backbone.tokens else "the model's tokens"


def _backbone_text(model: ModelRecord, pool: TokenPool) -> str:
    return f"{_source(model)} ({prefix_text(pool.tokens)}, then {pool.length - pool.tokens.num_prefix} patch tokens)"


@rule("SL240", "mean-includes-prefix-tokens", "warning", "head")
def token_mean_includes_prefix(model: ModelRecord, **_):
    """A mean or max over the tokens also takes in the class, distillation or register tokens.

    ## What it does
    Reports a head that averages (or max-pools) a ViT's token sequence from token 0 when the model has
    prefix tokens before its patches: a class token, DeiT's distillation token, DINOv2's register tokens.
    The prefix tokens are read from the library (timm's `num_prefix_tokens`, a Hugging Face config).

    ## Why is this bad?
    No checkpoint pools that way: timm's `global_pool="avg"` and the Hugging Face heads average the patch
    tokens only. Register tokens carry global artefacts by design, so averaging them in quietly gives
    worse features; nothing fails.

    ## Example
    ```python
    backbone = timm.create_model("vit_small_patch14_reg4_dinov2", num_classes=0, global_pool="")
    logits = self.fc(backbone(x).mean(dim=1))  # 1 class + 4 register tokens averaged with the patches
    ```

    ## Use instead
    ```python
    tokens = backbone(x)
    logits = self.fc(tokens[:, 0])  # the class token, as timm's default global_pool="token"
    logits = self.fc(tokens[:, backbone.num_prefix_tokens:].mean(dim=1))  # or the patch tokens only
    ```
    """
    words = words_for(model.framework)
    for pool in token_pools(model):
        if pool.includes_prefix and pool.tokens.reference != MEAN_ALL:
            reference = reference_text(pool.tokens)
            expects = f"; the checkpoint's reference pooling is {reference}" if reference else ""
            yield (
                f"{_call(pool)} pools tokens {pool.start}..{pool.stop - 1} of {_backbone_text(model, pool)}: "
                f"the {prefix_text(pool.tokens)} are pooled with the patches{expects}",
                f"Pool the patch tokens only, {words.patch_mean.format(start=pool.tokens.num_prefix)}, or pool as "
                f"the checkpoint does: {token_pooling(pool.tokens, words)}",
                pool.layer.name,
            )


@rule("SL241", "token-zero-without-class-token", "error", "head")
def no_class_token(model: ModelRecord, **_):
    """Token 0 is taken as a class token from a model that has none.

    ## What it does
    Reports `x[:, 0]` (or `last_hidden_state[:, 0]`) on the tokens of a model without a class token,
    such as SigLIP's vision tower, whose tokens are all patches and whose checkpoint pools them with
    a learned attention head.

    ## Why is this bad?
    Token 0 is then the top-left patch: the classifier sees one corner of the image. Training still
    runs and reaches a plausible but much worse accuracy.

    ## Example
    ```python
    vision = SiglipVisionModel(config)
    features = vision(pixel_values=x).last_hidden_state[:, 0]  # the first patch, not a summary
    ```

    ## Use instead
    ```python
    features = vision(pixel_values=x).pooler_output  # the attention-pool head the checkpoint was trained with
    ```
    """
    words = words_for(model.framework)
    for pool in token_pools(model):
        if pool.single and pool.start == 0 and not pool.tokens.has_class_token:
            reference = reference_text(pool.tokens)
            expects = f"; the checkpoint pools with {reference}" if reference else ""
            yield (
                f"{_call(pool)} takes token 0 of {_source(model)}, which has no class token: token 0 "
                f"is the first of its {pool.length} patch tokens{expects}",
                f"Pool as the checkpoint does: {token_pooling(pool.tokens, words)}",
                pool.layer.name,
            )


@rule("SL242", "token-pooling-differs", "info", "head")
def token_pooling_differs(model: ModelRecord, **_):
    """The head pools the tokens differently from the checkpoint's reference pooling.

    ## What it does
    Reports a head whose pooling (class token, mean of the patch tokens, plain mean) is sound but not
    the one the checkpoint's own head uses: timm's default `global_pool`, a Hugging Face
    *ForImageClassification head or pooler, SigLIP's attention pool. The reference is named.

    ## Why is this bad?
    Features pooled another way than in pre-training are weaker for linear probes and frozen
    backbones: a SigLIP attention pool replaced by a plain mean gives much smaller similarities.
    It is a choice, not a bug, when the whole model is fine-tuned.

    ## Example
    ```python
    vision = SiglipVisionModel(config)
    features = vision(pixel_values=x).last_hidden_state.mean(dim=1)  # not the attention pool
    ```

    ## Use instead
    ```python
    features = vision(pixel_values=x).pooler_output
    ```
    """
    words = words_for(model.framework)
    pools = token_pools(model)
    joined = _class_and_mean(model, pools)
    for pool in pools:
        pooling = CLASS_AND_MEAN if pool.layer.name in joined else pool.pooling
        reference = pool.tokens.reference
        if pooling is None or reference is None or pooling == reference or _same(pooling, reference, pool.tokens):
            continue
        if pool.includes_prefix or (pool.single and not pool.tokens.has_class_token):
            continue  # SL240 / SL241
        yield (
            f"{_call(pool)} pools {_source(model)} by {REFERENCE_WORDS[pooling]}; the checkpoint's reference "
            f"pooling is {reference_text(pool.tokens)}",
            f"Pool as the checkpoint does, {token_pooling(pool.tokens, words)}, unless the whole model is fine-tuned",
            pool.layer.name,
        )


def _same(pooling: str, reference: str, tokens: TokenRecord) -> bool:
    """Without prefix tokens, the mean of all tokens is the mean of the patches."""
    return not tokens.prefix and {pooling, reference} <= {MEAN_ALL, MEAN_PATCHES}


def _class_and_mean(model: ModelRecord, pools: list[TokenPool]) -> set[str]:
    """The pools whose class token and patch mean are joined by one concat (Dinov2ForImageClassification's way)."""
    kinds = {pool.layer.name: pool.pooling for pool in pools}
    joined = set()
    for layer in model.layers:
        if layer.kind == "concat" and {kinds.get(n) for n in layer.inbound} >= {CLASS_TOKEN, MEAN_PATCHES}:
            joined |= {n for n in layer.inbound if kinds.get(n) in (CLASS_TOKEN, MEAN_PATCHES)}
    return joined

