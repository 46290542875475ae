"""What a PyTorch token model says about its tokens and its input sizes, read where its library declares it.

- timm: `num_prefix_tokens`, `cls_token` / `dist_token` / `reg_token`, `patch_embed.patch_size` and `grid_size`,
  `dynamic_img_size` / `dynamic_img_pad`, and the default `global_pool` of the checkpoint's architecture (the model
  is built once more on the meta device without the caller's options: that default is the reference pooling,
  even when the caller asked for `global_pool=""`).
- Hugging Face: the config (`patch_size`, `image_size`, `num_register_tokens`, `vision_use_head`,
  `use_mean_pooling`) and what the model type's *ForImageClassification head or pooler takes.
"""

from __future__ import annotations

import sys
from functools import lru_cache

from ...records.facts import (
    ATTENTION,
    CLASS,
    CLASS_AND_MEAN,
    CLASS_TOKEN,
    DISTILLATION,
    MEAN_PATCHES,
    REGISTER,
    SizeRule,
    TokenRecord,
)
from .runtime import import_torch

# timm's global_pool values -> how the head pools (timm/layers/pool1d.py global_pool_nlc; 'map': AttentionPoolLatent)
TIMM_POOLS = {"token": CLASS_TOKEN, "avg": MEAN_PATCHES, "map": ATTENTION}


def token_record(model) -> TokenRecord | None:
    """The TokenRecord of a timm or Hugging Face token model; None for any other model."""
    module = type(model).__module__
    if module.startswith("timm") and hasattr(model, "num_prefix_tokens") and hasattr(model, "patch_embed"):
        return _timm(model)
    if module.startswith("transformers") and getattr(model, "config", None) is not None:
        return _hf(model.config)
    return None


def size_rule(model) -> SizeRule | None:
    """The sizes a timm ViT takes, as it declares them: multiples of the patch size (dynamic_img_size), one size
    (strict_img_size), or any (dynamic_img_pad); None where the model does not say."""
    embed = getattr(model, "patch_embed", None)
    if not type(model).__module__.startswith("timm") or embed is None or not hasattr(embed, "patch_size"):
        return None
    patch = _side(embed.patch_size)
    if getattr(embed, "dynamic_img_pad", False):
        return None  # padded up to a multiple of the patch size: every size works
    if getattr(model, "dynamic_img_size", False) or getattr(embed, "dynamic_img_size", False):
        return SizeRule(multiple_of=patch, evidence=f"timm patch_embed.patch_size {patch}, dynamic_img_size=True")
    size = getattr(embed, "img_size", None)
    if getattr(embed, "strict_img_size", False) and size:
        size = tuple(int(s) for s in size)
        return SizeRule(only=(size,), evidence=f"timm img_size {_size_text(size)}, strict_img_size=True")
    return None


def _timm(model) -> TokenRecord:
    prefix = [CLASS] if getattr(model, "cls_token", None) is not None else []
    if getattr(model, "dist_token", None) is not None:
        prefix.append(DISTILLATION)
    registers = getattr(model, "reg_token", None)
    prefix += [REGISTER] * (int(registers.shape[1]) if registers is not None else getattr(model, "num_reg_tokens", 0))
    total = int(model.num_prefix_tokens)
    prefix = (prefix + ["prefix"] * total)[:total]  # what the model counts is what it has
    embed = model.patch_embed
    grid = getattr(embed, "grid_size", None)
    default = _timm_default_pool(model)
    architecture = (getattr(model, "pretrained_cfg", None) or {}).get("architecture") or type(model).__name__
    return TokenRecord(tuple(prefix), tuple(int(g) for g in grid) if grid else None, _side(embed.patch_size),
                       TIMM_POOLS.get(default), f"global_pool='{default}'" if default in TIMM_POOLS else "",
                       f"timm {architecture}: num_prefix_tokens={total}, default global_pool='{default}'")


def _timm_default_pool(model) -> str:
    """The global_pool the checkpoint's architecture is built with, whatever this instance was given."""
    architecture = (getattr(model, "pretrained_cfg", None) or {}).get("architecture")
    default = _built_pool(architecture) if architecture else None
    if default is None:
        default = getattr(model, "global_pool", "") or ""
    return default


@lru_cache(maxsize=32)
def _built_pool(architecture: str) -> str | None:
    """Build the architecture on the meta device (no memory, no weights) and read its global_pool."""
    timm = sys.modules.get("timm")
    if timm is None:
        return None
    torch = import_torch()
    try:
        with torch.device("meta"):
            pool = timm.create_model(architecture, pretrained=False).global_pool
    except Exception:  # an architecture timm no longer builds alone: the instance's own pool stands
        return None
    return getattr(pool, "pool_type", pool) if not isinstance(pool, str) else pool


def _hf(config) -> TokenRecord | None:
    """Prefix tokens and reference pooling per model type, as the library's own heads take them."""
    kind = getattr(config, "model_type", "")
    registers = int(getattr(config, "num_register_tokens", 0) or 0)
    patch = getattr(config, "patch_size", None)
    image = getattr(config, "image_size", None)
    if not isinstance(patch, int):
        return None
    grid = (image // patch,) * 2 if isinstance(image, int) else None
    if kind in ("vit", "vit_msn", "deit"):
        prefix = (CLASS, DISTILLATION) if kind == "deit" else (CLASS,)
        head = "DeiTForImageClassification" if kind == "deit" else "ViTForImageClassification"
        return TokenRecord(prefix, grid, patch, CLASS_TOKEN, "", f"transformers {head}")
    if kind in ("dinov2", "dinov2_with_registers"):
        head = "Dinov2WithRegistersForImageClassification" if registers else "Dinov2ForImageClassification"
        return TokenRecord((CLASS,) + (REGISTER,) * registers, grid, patch, CLASS_AND_MEAN, "",
                           f"transformers {head}")
    if kind in ("dinov3_vit",):
        return TokenRecord((CLASS,) + (REGISTER,) * registers, grid, patch, CLASS_TOKEN, "pooler_output",
                           "transformers DINOv3ViTModel pooler_output")
    if kind in ("clip_vision_model", "clip"):
        return TokenRecord((CLASS,), grid, patch, CLASS_TOKEN, "pooler_output",
                           "transformers CLIPVisionModel pooler_output, the class token after post_layernorm")
    if kind in ("siglip_vision_model", "siglip2_vision_model"):
        head = getattr(config, "vision_use_head", True)
        return TokenRecord((), grid, patch, ATTENTION if head else None, "pooler_output" if head else "",
                           f"transformers SiglipVisionModel, vision_use_head={head}")
    if kind in ("beit", "data2vec-vision"):
        mean = getattr(config, "use_mean_pooling", True)
        return TokenRecord((CLASS,), grid, patch, MEAN_PATCHES if mean else CLASS_TOKEN, "pooler_output",
                           f"transformers {kind} pooler (use_mean_pooling={mean})")
    return None


def _side(patch) -> int:
    return int(patch[0]) if isinstance(patch, (tuple, list)) else int(patch)


def _size_text(size) -> str:
    return str(size[0]) if size[0] == size[1] else f"{size[0]}x{size[1]}"



def export_size_rule(program) -> SizeRule | None:
    """What a torch.export program declares about its image input's height and width: free (a symbol) or not,
    a multiple where the dimension is written as one (8*s1), and the smallest value its range constraints allow."""
    user_inputs = set(program.graph_signature.user_inputs)
    node = next((n for n in program.graph.nodes if n.op == "placeholder" and n.name in user_inputs
                 and "val" in n.meta), None)
    if node is None or len(node.meta["val"].shape) != 4:
        return None
    sides = node.meta["val"].shape[2:]
    if all(isinstance(d, int) for d in sides):
        return None
    multiples, lows = [], []
    for side in sides:
        expr = getattr(getattr(side, "node", None), "expr", None)
        coefficient = expr.as_coeff_Mul()[0] if expr is not None and hasattr(expr, "as_coeff_Mul") else 1
        multiples.append(int(coefficient) if getattr(coefficient, "is_Integer", False) else 1)
        ranges = program.range_constraints.get(expr) if expr is not None else None
        lows.append(int(ranges.lower) * multiples[-1] if ranges is not None and ranges.lower.is_integer else None)
    multiple = multiples[0] if multiples[0] == multiples[1] and multiples[0] > 1 else None
    at_least = tuple(lows) if None not in lows and max(lows) > 1 else None
    shown = ", ".join(str(s) for s in node.meta["val"].shape)
    return SizeRule(multiple_of=multiple, at_least=at_least, declared_dynamic=True,
                    evidence=f"torch.export declares the input ({shown})" +
                             (f", height and width from {at_least[0]}" if at_least else ""))
