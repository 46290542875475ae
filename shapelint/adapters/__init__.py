"""Adapters: the only modules that import a framework. Each turns a Source into a Backbone.

One subpackage per framework (adapters/tensorflow, adapters/torch, adapters/onnx), each with the same modules:
`load` (load(source, unsafe, trust) and from_object(obj, name) -> Backbone), `graph`
(model_record(...) for the head rules) and `runtime` (start(): import the framework quietly, once;
clear_session(): forget the previous source). This module names them without importing any.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

from ..text import listed, plural

FRAMEWORKS = ("tensorflow", "torch", "onnx")
# what a source kind needs installed, beyond its framework's first module
NEEDS = {"timm": ("torch", "timm"), "torchvision": ("torch", "torchvision"), "hf": ("torch", "transformers"),
         "onnx": ("onnx", "onnxruntime"), "keras-hub": ("keras_hub",), "kerashub-preset": ("keras_hub",)}
# the shapelint extra that installs a module
EXTRA = {"torch": "torch", "timm": "torch", "torchvision": "torch", "transformers": "torch",
         "onnx": "onnx", "onnxruntime": "onnx", "keras_hub": "kerashub"}


def adapter(framework: str, part: str):
    """shapelint.adapters.<framework>.<part> ('load', 'graph' or 'runtime'), imported on first use."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"no adapter for framework {framework!r}")
    return importlib.import_module(f"{__name__}.{framework}.{part}")


def missing(source) -> str | None:
    """One line naming what to install when the modules a source needs are absent (found without importing)."""
    needed = NEEDS.get(source.kind, (source.framework,))
    absent = [name for name in needed if importlib.util.find_spec(name) is None]
    if not absent:
        return None
    extra = EXTRA.get(absent[0])
    how = f"pip install 'shapelint[{extra}]'" if extra else f"pip install {' '.join(absent)}"
    return f"{source.text}: needs {listed(absent)}, which {plural(len(absent), 'is', 'are')} not installed ({how})"


def framework_of(obj) -> str:
    """The framework a live model object belongs to; torch and onnx are recognised only if the caller imported them."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.nn.Module):
        return "torch"
    if isinstance(obj, (tuple, dict)) and torch is not None and isinstance(
            obj[0] if isinstance(obj, tuple) and obj else obj.get("model") if isinstance(obj, dict) else None,
            torch.nn.Module):
        return "torch"
    onnx = sys.modules.get("onnx")
    if onnx is not None and isinstance(obj, onnx.ModelProto):
        return "onnx"
    return "tensorflow"
