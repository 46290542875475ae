"""What a torch module does, in the words of records/layers.py (KINDS), and how the user wrote it."""

from __future__ import annotations

from .runtime import import_torch

ACTIVATIONS = {"Softmax": "softmax", "Sigmoid": "sigmoid", "LogSoftmax": "log_softmax", "Softmax2d": "softmax",
               "ReLU": "relu", "GELU": "gelu", "SiLU": "silu", "Tanh": "tanh", "Hardswish": "hard_swish",
               "LeakyReLU": "leaky_relu", "ReLU6": "relu6", "ELU": "elu", "Mish": "mish", "Identity": None}
DROPOUTS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "Identity")


def kind_of(mod, is_inner: bool) -> tuple:
    """(kind, units, pooling, pool_dims, activation) of one module."""
    torch = import_torch()
    nn = torch.nn
    cls = type(mod).__name__
    if is_inner:
        return "model", None, None, None, None
    if isinstance(mod, nn.Linear):
        return "dense", mod.out_features, None, None, "linear"
    if isinstance(mod, nn.Flatten):
        return "flatten", None, None, None, None
    if isinstance(mod, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)):
        size = mod.output_size
        ones = all(s == 1 for s in (size if isinstance(size, tuple) else (size,)))
        pooling = "average" if "Avg" in cls else "max"
        dims_ = 1 if cls.endswith("1d") else 2
        return ("global_pool", None, pooling, dims_, None) if ones else ("pool", None, None, None, None)
    if isinstance(mod, (nn.AvgPool1d, nn.AvgPool2d, nn.MaxPool1d, nn.MaxPool2d)):
        return "pool", None, None, None, None
    if cls in DROPOUTS:
        return "dropout", None, None, None, None
    if cls in ACTIVATIONS:
        return "activation", None, None, None, ACTIVATIONS[cls]
    if isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return "conv", None, None, None, None
    if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)):
        return "norm", None, None, None, None
    if isinstance(mod, nn.Unflatten):
        return "reshape", None, None, None, None
    return "other", None, None, None, None


def call_text(mod, cls: str) -> str:
    """How the user wrote the module: nn.Linear(512, 5), nn.AdaptiveAvgPool2d(1), nn.Softmax(dim=1)."""
    torch = import_torch()
    nn = torch.nn
    if isinstance(mod, nn.Linear):
        return f"nn.Linear({mod.in_features}, {mod.out_features})"
    if isinstance(mod, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool1d)):
        return f"nn.{cls}({mod.output_size})"
    if isinstance(mod, (nn.Softmax, nn.LogSoftmax)):
        return f"nn.{cls}(dim={mod.dim})"
    if type(mod).__module__.startswith("torch.nn"):
        return f"nn.{cls}()"
    return f"{cls}()"
