"""Source -> Backbone for PyTorch: timm and torchvision names, Hugging Face folders, saved files, factories.

Architectures only: timm and torchvision models are built with pretrained=False / weights=None and
Hugging Face models from their config.json, so nothing is downloaded and shapes never depend on weights.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
import warnings
from pathlib import Path

from ...errors import one_line
from ...records.backbone import InputSpec, Layout
from ...sources import Source, SourceError, shown, torch_file_kind
from ..base import Backbone
from ..factory import call_factory
from . import module
from .origins import recording_modules
from .pickles import refuse_unsafe_pickle
from .runtime import import_torch, import_vision
from .tokens import export_size_rule


def load(source: Source, unsafe: bool = False, trust: bool = False) -> Backbone:
    """unsafe: let a pickled full model (torch.save(model)) run its code while loading."""
    import_torch()
    if source.kind == "timm":
        return from_object(timm_model(source), source.text, kind="timm")
    if source.kind == "torchvision":
        return from_object(torchvision_model(source), source.text, kind="torchvision")
    if source.kind == "hf":
        return hf_backbone(source)
    if source.kind in ("torch-export", "torchscript", "torch-pickle"):
        return saved_file(source, unsafe)
    if source.kind == "factory":
        return from_object(call_factory(source, recording_modules), source.text)
    raise SourceError(f"{source.text}: unsupported source kind {source.kind}")


def from_object(obj, name: str, kind: str = "torch") -> Backbone:
    """An nn.Module, a (model, loss) or (model, loss, example_input) tuple, a dict with those keys ("model",
    "loss", "example_input"), or an ExportedProgram."""
    torch = import_torch()
    loss, example = None, None
    if isinstance(obj, dict) and isinstance(obj.get("model"), torch.nn.Module):
        obj, loss, example = obj["model"], obj.get("loss"), obj.get("example_input", obj.get("input"))
    elif isinstance(obj, tuple) and len(obj) in (2, 3) and isinstance(obj[0], torch.nn.Module):
        obj, loss, example = (*obj, None)[:3]
    if loss is not None and not isinstance(loss, torch.nn.Module):
        raise SourceError(f"{name}: the loss beside the model must be a torch loss module such as "
                          f"nn.CrossEntropyLoss(), got {type(loss).__name__}")
    if example is not None and not isinstance(example, torch.Tensor):
        raise SourceError(f"{name}: the example input beside the model must be a tensor such as "
                          f"torch.zeros(1, 3, 224, 224), got {type(example).__name__}")
    if isinstance(obj, torch.export.ExportedProgram):
        return exported(obj, name)
    if not isinstance(obj, torch.nn.Module):
        raise SourceError(f"{name}: expected a torch nn.Module or (model, loss), got {type(obj).__name__}")
    found = module.backbone(obj, name, kind, loss=loss)
    found.layout = module.declared_layout(obj)
    found.example_input = example
    return found


def timm_model(source: Source):
    timm = import_vision(source.text, "timm")
    if not timm.is_model(source.location):
        close = difflib.get_close_matches(source.location, timm.list_models(), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SourceError(f"{source.text}: unknown timm model {source.location!r}{hint}")
    options = dict(source.options)
    if options.pop("pretrained", False):
        raise SourceError(f"{source.text}: shapelint builds architectures only (pretrained=False); "
                          "shapes do not depend on weights")
    return _build(source, lambda: timm.create_model(source.location, pretrained=False, **options))


def torchvision_model(source: Source):
    torchvision = import_vision(source.text, "torchvision")
    names = torchvision.models.list_models()
    if source.location not in names:
        close = difflib.get_close_matches(source.location, names, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SourceError(f"{source.text}: unknown torchvision model {source.location!r}{hint}")
    options = dict(source.options)
    if options.pop("weights", None) not in (None, "none", "None"):
        raise SourceError(f"{source.text}: shapelint builds architectures only (weights=None); "
                          "shapes do not depend on weights")
    return _build(source, lambda: torchvision.models.get_model(source.location, weights=None, **options))


def _build(source: Source, build):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return build()
    except Exception as exc:
        raise SourceError(f"{source.text}: cannot build: {one_line(exc)}") from None


def hf_backbone(source: Source) -> Backbone:
    """A Hugging Face model from its config.json alone (random weights; remote code is never run)."""
    transformers = import_vision(source.text, "transformers")
    try:
        config = transformers.AutoConfig.from_pretrained(source.location, local_files_only=True, trust_remote_code=False)
    except Exception as exc:
        raise SourceError(f"{source.text}: cannot read config.json: {one_line(exc)}") from None
    model = _build(source, lambda: transformers.AutoModel.from_config(config, trust_remote_code=False))
    keyword = getattr(model, "main_input_name", "pixel_values")
    spec = InputSpec(layout=Layout.NCHW, channels=getattr(config, "num_channels", 3))
    notes = []
    if getattr(config, "image_size", None) and "interpolate_pos_encoding" in _parameters(model.forward):
        height, width = module.pair(config.image_size)  # position embeddings for one size, unless interpolated
        spec = InputSpec(layout=Layout.NCHW, channels=spec.channels, height=height, width=width)
        notes.append("transformers: call the model with interpolate_pos_encoding=True to accept input sizes "
                     f"other than {config.image_size}")
    found = module.backbone(model, source.text, "hf", spec, keyword=keyword)
    found.notes.extend(notes)
    return found


def _parameters(fn) -> tuple:
    import inspect

    try:
        return tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return ()


def saved_file(source: Source, unsafe: bool) -> Backbone:
    """A .pt2 / TorchScript / pickled file, loaded from a private copy whose format is checked again."""
    torch = import_torch()
    with tempfile.TemporaryDirectory(prefix="shapelint-") as folder:
        copy = Path(folder) / Path(source.location).name
        shutil.copyfile(source.location, copy)
        if torch_file_kind(copy, source.text) != source.kind:
            raise SourceError(f"{shown(source.text)}: the file changed while it was being loaded")
        try:
            if source.kind == "torch-export":
                return exported(torch.export.load(str(copy)), source.text)
            if source.kind == "torchscript":
                return module.backbone(torch.jit.load(str(copy), map_location="cpu"), source.text, "torchscript")
            if not unsafe:
                refuse_unsafe_pickle(copy, source.text)
                loaded = torch.load(str(copy), map_location="cpu", weights_only=True)
            else:
                loaded = torch.load(str(copy), map_location="cpu", weights_only=False)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"{source.text}: cannot load: {one_line(exc)}") from None
    if isinstance(loaded, dict) and all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise SourceError(f"{source.text}: a state_dict holds weights, not an architecture; pass a module:factory "
                          "that builds the model (and loads these weights if you like) instead")
    return from_object(loaded, source.text, kind="torch-pickle")


def exported(program, name: str) -> Backbone:
    """A torch.export program: its graph module, shaped by the input it was exported with."""
    shape = None
    user_inputs = set(program.graph_signature.user_inputs)
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in user_inputs and "val" in node.meta:
            shape = tuple(d if isinstance(d, int) else None for d in node.meta["val"].shape)
            break
    spec = InputSpec(layout=Layout.NCHW)
    if shape and len(shape) == 4:
        spec = InputSpec(layout=Layout.NCHW, channels=shape[1] or 3, height=shape[2], width=shape[3])
    found = module.backbone(program.module(), name, "torch-export", spec)
    found.size_rule = export_size_rule(program)
    if spec.fixed_size:
        found.notes.append("torch.export: export with dynamic_shapes (torch.export.Dim) for the height and width, "
                           "from a model that takes other sizes (timm: dynamic_img_size=True), to accept other "
                           "input sizes")
    return found
