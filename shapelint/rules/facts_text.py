"""The model's own facts in words: its prefix tokens, the pooling its checkpoint expects, the sizes it takes.

Pure: TokenRecord and SizeRule in, sentences and the framework's spelling (records.words) out. The verdict and
the rules ask here, so a token output is never advised a mean over its class and register tokens, and a size
constraint is never called a minimum.
"""

from __future__ import annotations

from ..records.facts import (
    ATTENTION,
    CLASS,
    CLASS_AND_MEAN,
    CLASS_TOKEN,
    DISTILLATION,
    MEAN_ALL,
    MEAN_PATCHES,
    REGISTER,
    SizeRule,
    TokenRecord,
)
from ..records.words import Words
from ..sources import format_size
from ..text import counted, listed, plural

REFERENCE_WORDS = {CLASS_TOKEN: "the class token", MEAN_PATCHES: "the mean of the patch tokens",
                   MEAN_ALL: "the mean of all tokens", ATTENTION: "a learned attention pool over the tokens",
                   CLASS_AND_MEAN: "the class token beside the mean of the patch tokens"}


def prefix_text(tokens: TokenRecord) -> str:
    """'1 class token and 4 register tokens', 'no class token'."""
    if not tokens.prefix:
        return "no class token"
    return listed(counted(tokens.count(kind), f"{kind} token") for kind in dict.fromkeys(tokens.prefix))


def layout_text(tokens: TokenRecord, length: int | None, size: tuple[int, int] | None) -> str:
    """'1 class token and 4 register tokens, then 256 patch tokens (16×16 patches of 14 pixels)'."""
    if length is None:
        return prefix_text(tokens)
    patches = length - tokens.num_prefix
    grid = ""
    if tokens.patch and size and (size[0] // tokens.patch) * (size[1] // tokens.patch) == patches:
        grid = f" ({size[0] // tokens.patch}×{size[1] // tokens.patch} patches of {tokens.patch} pixels)"
    if not tokens.prefix:
        return f"no class token: all {patches} tokens are patch tokens{grid}"
    return f"{prefix_text(tokens)}, then {patches} patch tokens{grid}"


def reference_text(tokens: TokenRecord) -> str:
    """'the class token (timm ...: default global_pool='token')'; '' when the model does not say."""
    if tokens.reference not in REFERENCE_WORDS:
        return ""
    return f"{REFERENCE_WORDS[tokens.reference]} ({tokens.declared_by})" if tokens.declared_by else \
        REFERENCE_WORDS[tokens.reference]


def token_pooling(tokens: TokenRecord, words: Words) -> str:
    """How to pool this token output the way its checkpoint does, in the framework's words."""
    start = tokens.num_prefix
    if tokens.reference == CLASS_TOKEN and tokens.has_class_token:
        return words.class_token
    if tokens.reference == CLASS_AND_MEAN and tokens.has_class_token:
        return words.class_and_mean.format(start=start)
    if tokens.reference == ATTENTION and tokens.switch:
        return f"the model's attention pool ({tokens.switch})"
    if tokens.reference == MEAN_ALL or not start:
        return words.pool.format(dims=1, axes=(1,))
    return words.patch_mean.format(start=start)


def pooled_width(tokens: TokenRecord | None, channels):
    """The features token_pooling gives: twice the channels where the class token and the patch mean are joined."""
    if tokens is not None and channels and tokens.reference == CLASS_AND_MEAN and tokens.has_class_token:
        return 2 * channels
    return channels


def token_advice(tokens: TokenRecord, words: Words) -> str:
    """What the checkpoint expects and the alternatives that keep prefix tokens out of a mean."""
    reference = reference_text(tokens)
    if not reference:  # the suggested pooling already leaves the prefix tokens out
        return ""
    parts = [f"The checkpoint's reference pooling is {reference}."]
    if tokens.switch:
        parts.append(f"The model pools that way itself with {tokens.switch}.")
    if tokens.prefix and tokens.reference != MEAN_PATCHES:
        others = [kind for kind in (CLASS, DISTILLATION, REGISTER) if kind in tokens.prefix]
        plural = "s" if tokens.num_prefix > 1 else ""
        parts.append(f"To average instead, leave the {' and '.join(others)} token{plural} out: "
                     f"{words.patch_mean.format(start=tokens.num_prefix)}.")
    if not tokens.has_class_token:
        parts.append(f"There is no class token: {words.class_token} is the first patch token.")
    return " ".join(parts)


# --- sizes ---

def restricts(rule: SizeRule | None) -> bool:
    return bool(rule and rule.restricts)


def forbids(rule: SizeRule | None, size) -> bool:
    return bool(rule and rule.forbids(tuple(size)))


def rule_text(rule: SizeRule) -> str:
    """'height and width must be multiples of 14', 'only 224 (the declared dynamic axes do not hold)'."""
    parts = []
    if rule.only:
        sizes = ", ".join(format_size(s) for s in rule.only)
        held = ", although the input declares a dynamic height and width" if rule.declared_dynamic else ""
        parts.append(f"only {sizes}{held}")
    if rule.multiple_of:
        parts.append(f"height and width must be multiples of {rule.multiple_of}")
    if rule.even:
        parts.append("height and width must be even")
    if rule.square_only:
        parts.append("square only (height equal to width)")
    if rule.at_least:
        parts.append(f"at least {format_size(rule.at_least)}")
    return "; ".join(parts)


def sizes_that(sizes, one: str, many: str) -> str:
    """'154 works', '160, 100 fail': sizes and a verb that agrees with how many they are."""
    return f"{', '.join(format_size(s) for s in sizes)} {plural(len(sizes), one, many)}"


def sizes_sentence(rule: SizeRule, working, failed) -> str:
    """'Input sizes: height and width must be multiples of 14 (timm patch_embed.patch_size 14, ...); 154 works,
    160 fails.'"""
    seen = [sizes_that(sizes, one, many) for sizes, one, many in ((working, "works", "work"), (failed, "fails", "fail"))
            if sizes]
    evidence = f" ({rule.evidence})" if rule.evidence else ""
    return f"Input sizes: {rule_text(rule)}{evidence}." + (f" Probed: {'; '.join(seen)}." if seen else "")
