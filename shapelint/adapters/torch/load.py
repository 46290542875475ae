"""Source -> Backbone for PyTorch: timm and torchvision names, Hugging Face folders, saved files, factories.

Architectures only: timm and torchvision models are built with pretrained=False / weights=None and
Hugging Face models from their config.json, so nothing is downloaded and shapes never depend on weights.
"""

from __future__ import annotations

import difflib
import json
import shutil
import tempfile
import warnings
from pathlib import Path

from ...contained import Outside, read_inside
from ...errors import one_line
from ...records.backbone import InputSpec, Layout
from ...sources import Source, SourceError, shown, torch_file_kind
from ..base import Backbone
from ..factory import call_factory
from ..private import config_refusals, option_refusals, private_homes
from . import classifier, module, torchscript
from .origins import recording_modules
from .pickles import refuse_unsafe_pickle, refuse_unsafe_pt2
from .runtime import import_torch, import_vision
from .tokens import export_size_rule


def load(source: Source, unsafe: bool = False, trust: bool = False) -> Backbone:
    """unsafe: let a pickled full model (torch.save(model)) run its code while loading. Every load runs
    offline with empty private caches (TORCH_HOME, HF_HOME, ...): nothing is downloaded or read from a
    user's cache."""
    with private_homes():
        return _load(source, unsafe, trust)


def _load(source: Source, unsafe: bool, trust: bool) -> Backbone:
    import_torch()
    if source.kind == "timm":
        return from_object(timm_model(source), source.text, kind="timm")
    if source.kind == "torchvision":
        return from_object(torchvision_model(source), source.text, kind="torchvision")
    if source.kind == "hf":
        return hf_backbone(source)
    if source.kind in ("torch-export", "torchscript", "torch-pickle"):
        return saved_file(source, unsafe, trust)
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
    found = module.backbone(obj, name, kind, classifier.input_spec(obj, module.input_spec(obj)), loss=loss)
    found.layout = module.declared_layout(obj)
    found.classifier = classifier.classifier_record(obj)
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
    _refuse_options(source, options)
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
    _refuse_options(source, options)
    if "weights_backbone" in _parameters(torchvision.models.get_model_builder(source.location)):
        options["weights_backbone"] = None  # detection and segmentation builders download an ImageNet backbone
    return _build(source, lambda: torchvision.models.get_model(source.location, weights=None, **options))


def _refuse_options(source: Source, options: dict) -> None:
    found = option_refusals(options)
    if found:
        raise SourceError(f"{shown(source.text)}: refused to load: {'; '.join(found[:3])}")


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
    config = _checked_config(source)
    for part in (config, getattr(config, "backbone_config", None)):
        if getattr(part, "use_pretrained_backbone", False):
            part.use_pretrained_backbone = False  # an architecture: no pretrained backbone is fetched
    # a checkpoint saved from a *ForImageClassification is that classifier (its config says so), not its base model
    whole = any(str(name).endswith("ForImageClassification") for name in getattr(config, "architectures", None) or ())
    auto = transformers.AutoModelForImageClassification if whole else transformers.AutoModel
    model = _build(source, lambda: auto.from_config(config, trust_remote_code=False))
    keyword = getattr(model, "main_input_name", "pixel_values")
    spec = InputSpec(layout=Layout.NCHW, channels=getattr(config, "num_channels", 3))
    notes = []
    if getattr(config, "image_size", None) and "interpolate_pos_encoding" in _parameters(model.forward):
        height, width = module.pair(config.image_size)  # position embeddings for one size, unless interpolated
        spec = InputSpec(layout=Layout.NCHW, channels=spec.channels, height=height, width=width)
        notes.append("transformers: call the model with interpolate_pos_encoding=True to accept input sizes "
                     f"other than {config.image_size}")
    found = module.backbone(model, source.text, "hf", spec, keyword=keyword)
    found.classifier = classifier.classifier_record(model)
    found.notes.extend(notes)
    return found


def _checked_config(source: Source):
    """The folder's config.json, read inside the folder (no symlink out), checked for settings that fetch or
    name host files, and loaded from a private copy of exactly those bytes."""
    import transformers

    try:
        folder = Path(source.location)
        # in the Hugging Face cache, snapshots/REV/config.json links to ../../blobs/: the repo folder holds both
        cached = folder.parent.name == "snapshots" and (folder.parent.parent / "blobs").is_dir()
        root = folder.parent.parent if cached else folder
        data = read_inside(root, (folder.relative_to(root) if cached else Path()) / "config.json")
        found = config_refusals(json.loads(data))
    except Outside as exc:
        raise SourceError(f"{shown(source.text)}: refused to load: {exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{shown(source.text)}: config.json is not JSON ({one_line(exc)})") from None
    if found:
        more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
        raise SourceError(f"{shown(source.text)}: refused to load: config.json: {'; '.join(found[:3])}{more}")
    with tempfile.TemporaryDirectory(prefix="shapelint-") as folder:
        (Path(folder) / "config.json").write_bytes(data)
        try:
            return transformers.AutoConfig.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        except Exception as exc:
            raise SourceError(f"{source.text}: cannot read config.json: {one_line(exc)}") from None


def _parameters(fn) -> tuple:
    import inspect

    try:
        return tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return ()


TORCHSCRIPT_IS_CODE = "TorchScript is code, and this archive's code"


def saved_file(source: Source, unsafe: bool, trust: bool = False) -> Backbone:
    """A .pt2 / TorchScript / pickled file, loaded from a private copy whose format is checked again
    (from its bytes, whatever its name): TorchScript when every call in its code is allowed (or with
    --trust), a .pt2 archive and a torch.save zip when their pickles name tensor rebuilders alone."""
    torch = import_torch()
    with tempfile.TemporaryDirectory(prefix="shapelint-") as folder:
        copy = Path(folder) / Path(source.location).name
        shutil.copyfile(source.location, copy)
        if torch_file_kind(copy, source.text) != source.kind:
            raise SourceError(f"{shown(source.text)}: the file changed while it was being loaded")
        try:
            if source.kind == "torch-export":
                if not unsafe:
                    refuse_unsafe_pt2(copy, source.text)
                return exported(torch.export.load(str(copy)), source.text)
            if source.kind == "torchscript":
                if not trust:
                    _refuse_torchscript(copy, source.text)
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


def _refuse_torchscript(path: Path, text: str) -> None:
    found = torchscript.refusals(path)
    if found:
        more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
        raise SourceError(f"{shown(text)}: refused to load: {TORCHSCRIPT_IS_CODE} {'; '.join(found[:3])}{more} "
                          "(pass --trust to load it)")


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
