"""A library's whole classifier (torchvision, timm, Hugging Face *ForImageClassification): what it is, and where
its backbone ends.

The classifier is where the library keeps it (torchvision's `fc` / `classifier` / `heads`, timm's
`get_classifier()`, Hugging Face's `classifier`); its width and input features are the last nn.Linear's.
The backbone ends where the model's own head starts: the first of the model's pooling or classifier
children to run. Everything before it is probed as a backbone of its own, by running the model up to
that child and keeping the last map or token sequence a module returned (torchvision's DenseNet and
MobileNet pool with functional calls between their `features` and `classifier`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...records.backbone import InputSpec, Layout
from ...records.facts import ClassifierRecord
from ...records.layers import LayerRecord
from ..base import Backbone
from . import module as torch_module
from .runtime import import_torch

LIBRARIES = {"timm": "timm", "torchvision": "torchvision", "transformers": "hf"}
# a library model's own head, as children of the model: the pooling that starts it and the classifier that ends it
HEAD_CHILDREN = ("avgpool", "global_pool", "pool", "fc_norm", "head_drop", "dropout",
                 "fc", "classifier", "heads", "head", "last_linear")
CLASSIFIERS = ("fc", "classifier", "heads", "head", "last_linear")


def library_of(model) -> str:
    """"timm", "torchvision" or "hf" for a model those libraries built; "" for anything else."""
    return LIBRARIES.get(type(model).__module__.partition(".")[0], "")


def classifier_record(model) -> ClassifierRecord | None:
    """The model's own classifier, where its library keeps one; None for a backbone or a user's module."""
    torch = import_torch()
    library = library_of(model)
    if not library or not isinstance(model, torch.nn.Module):
        return None
    if library == "hf" and not type(model).__name__.endswith("ForImageClassification"):
        return None
    head = _classifier_module(model)
    linears = [(n, m) for n, m in head[1].named_modules() if isinstance(m, torch.nn.Linear)] if head else []
    if not linears:
        return None  # timm num_classes=0, a classifier replaced by nn.Identity(): a backbone
    name, linear = linears[-1]
    attribute = _accessor(f"{head[0]}.{name}" if name else head[0])
    return ClassifierRecord(linear.out_features, linear.in_features, attribute, library,
                            pools=_pools(model, library))


def _classifier_module(model):
    """(qualified name, module) of the classifier the library declares."""
    get = getattr(model, "get_classifier", None)
    if callable(get):
        found = get()
        return next(((n, m) for n, m in model.named_modules() if n and m is found), None)
    return next(((n, getattr(model, n)) for n in CLASSIFIERS if isinstance(getattr(model, n, None),
                                                                           import_torch().nn.Module)), None)


def _pools(model, library: str) -> bool:
    """timm with global_pool='' keeps the map for its classifier; every other library model pools first."""
    return not (library == "timm" and getattr(model, "global_pool", None) == "")


def _accessor(qualified: str) -> str:
    """classifier.6 -> classifier[6]; heads.head stays: how the attribute is written in Python."""
    parts = qualified.split(".")
    return parts[0] + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts[1:])


def input_spec(model, spec: InputSpec) -> InputSpec:
    """A Hugging Face vision model takes the config's image_size unless called with interpolate_pos_encoding."""
    config = getattr(model, "config", None)
    size = getattr(config, "image_size", None)
    if library_of(model) != "hf" or not size or "interpolate_pos_encoding" not in _parameters(model.forward):
        return spec
    height, width = torch_module.pair(size)
    return InputSpec(layout=Layout.NCHW, channels=getattr(config, "num_channels", spec.channels), height=height,
                     width=width)


def _parameters(fn) -> tuple:
    import inspect

    try:
        return tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return ()


@dataclass
class BackbonePart:
    """The backbone of a whole classifier: the children that run before its head, probed as one."""

    name: str  # how the head table names it: the child, or "first…last" children
    class_name: str
    backbone: Backbone
    head: tuple[str, ...]  # the model's children that make its head

    def keep(self, qualified: str) -> bool:
        return any(qualified == h or qualified.startswith(h + ".") for h in self.head)

    def attach(self, probed, layers: list[LayerRecord], size, alt) -> list[LayerRecord]:
        """The backbone as the head table's first row, with the shapes the probe saw at both sizes; the first
        head layer reads it."""
        ok = {r.size: r for r in probed.records if r.ok} if probed else {}

        def shapes(at):
            record = ok.get(tuple(at)) if at else None
            return tuple((None, *s[1:]) for s in record.outputs.values())[:1] if record else None

        out = shapes(size)
        record = LayerRecord(self.name, self.class_name, output_shapes=out, alt_output_shapes=shapes(alt),
                             is_model=True, kind="model", inlined=True, call=f"{self.class_name}()",
                             error=None if out else "the backbone did not run at this size")
        return [record, *(layer if layer.inbound else replace(layer, inbound=(self.name,)) for layer in layers)]


def backbone_part(model, whole: Backbone, trace_calls) -> BackbonePart | None:
    """For a library's whole classifier: its backbone (everything before the first head child to run)."""
    if classifier_record(model) is None:
        return None
    children = dict(model.named_children())
    order = [n for n in dict.fromkeys(c.name.partition(".")[0] for c in trace_calls) if n in children]
    starts = [i for i, n in enumerate(order) if n in HEAD_CHILDREN]
    if not starts or starts[0] == 0:
        return None
    head, body = tuple(order[starts[0]:]), order[:starts[0]]
    name = body[0] if len(body) == 1 else f"{body[0]}…{body[-1]}"
    up_to_head = truncated(model, children[head[0]])
    keyword = getattr(model, "main_input_name", None) if library_of(model) == "hf" else None
    part = torch_module.backbone(up_to_head, f"{whole.name} [{name}]", whole.kind, whole.input, keyword=keyword)
    part.layout = torch_module.declared_layout(model)
    part.tokens, part.size_rule = whole.tokens, whole.size_rule
    part.classifier = whole.classifier or classifier_record(model)
    part.notes.extend(n for n in whole.notes if n not in part.notes)
    return BackbonePart(name, type(model).__name__, part, head)


class _Stop(Exception):
    """Raised at the head's first child: the backbone's output is known, the head need not run."""


def truncated(model, first_head):
    """The model run up to its head: returns the last map or token sequence a module made before it."""
    nn = import_torch().nn

    class Truncated(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *args, **kwargs):
            seen = []

            def after(mod, inputs, output):
                tensors = [t for t in _tensors(output) if t.dim() >= 3]
                if tensors:
                    seen.append(tensors[0])

            def stop(mod, inputs):
                raise _Stop

            hooks = [m.register_forward_hook(after) for m in self.model.modules() if m is not self.model]
            hooks.append(first_head.register_forward_pre_hook(stop))
            try:
                self.model(*args, **kwargs)
            except _Stop:
                pass
            finally:
                for hook in hooks:
                    hook.remove()
            if not seen:
                raise ValueError("the backbone returned no map or token sequence before the classifier")
            return seen[-1]

    return Truncated()


def _tensors(value) -> list:
    torch = import_torch()
    if isinstance(value, torch.Tensor):
        return [value]
    if hasattr(value, "to_tuple") and not isinstance(value, dict):
        value = value.to_tuple()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []

