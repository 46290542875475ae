"""What a KerasHub token backbone declares about its tokens: read from the backbone's own arguments (ViTBackbone's
use_class_token and patch_size, DINOV2Backbone's num_register_tokens) and the pooling its ImageClassifier uses."""

from __future__ import annotations

from ...records.facts import CLASS, CLASS_TOKEN, DISTILLATION, REGISTER, TokenRecord

# backbone class -> (its ImageClassifier, which pools with pooling="token": x[:, 0])
CLASSIFIERS = {"ViTBackbone": "ViTImageClassifier", "DeiTBackbone": "DeiTImageClassifier"}


def keras_hub_tokens(model) -> TokenRecord | None:
    """The TokenRecord of a KerasHub ViT, DeiT or DINOv2 backbone; None for any other backbone."""
    name = type(model).__name__
    patch = getattr(model, "patch_size", None)
    patch = patch[0] if isinstance(patch, (tuple, list)) else patch
    shape = getattr(model, "image_shape", None)
    if name not in (*CLASSIFIERS, "DINOV2Backbone") or not patch:
        return None
    grid = (shape[0] // patch, shape[1] // patch) if shape and shape[0] and shape[1] else None
    if name == "DINOV2Backbone":
        prefix = (CLASS,) + (REGISTER,) * int(getattr(model, "num_register_tokens", 0) or 0)
        return TokenRecord(prefix, grid, int(patch), None, "", "keras_hub DINOV2Backbone (no ImageClassifier)")
    prefix = (CLASS, DISTILLATION) if name == "DeiTBackbone" else ((CLASS,) if model.use_class_token else ())
    classifier = CLASSIFIERS[name]
    return TokenRecord(prefix, grid, int(patch), CLASS_TOKEN if prefix else None,
                       f"keras_hub.models.{classifier}(pooling='token')" if prefix else "",
                       f"keras_hub {classifier} pooling='token'")
