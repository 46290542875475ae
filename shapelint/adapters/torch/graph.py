"""An nn.Module's head as a ModelRecord, recorded the way torchinfo does it: forward hooks on the meta device.

PyTorch has no layer graph, so the graph is what one call does: every leaf module that runs is a
LayerRecord, in call order, with the shapes that went in and came out at two input sizes. A layer's
inbound is the layer whose output tensor it received, else (a functional op in between, such as
torch.flatten) the layer that ran before it. The backbone is the heaviest child module that receives
the model's own input; it is probed as a Backbone of its own and recorded as one layer. Hooks are
registered in `try` and removed in `finally`; parameters are meta tensors for the call only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from ...errors import one_line
from ...records.layers import LayerRecord, ModelRecord
from ..base import Backbone, dims
from . import classifier as whole_classifier
from . import module as torch_module
from .origins import origin_of
from .runtime import import_torch

ACTIVATIONS = {"Softmax": "softmax", "Sigmoid": "sigmoid", "LogSoftmax": "log_softmax", "Softmax2d": "softmax",
               "ReLU": "relu", "GELU": "gelu", "SiLU": "silu", "Tanh": "tanh", "Hardswish": "hard_swish",
               "LeakyReLU": "leaky_relu", "ReLU6": "relu6", "ELU": "elu", "Mish": "mish", "Identity": None}
DROPOUTS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "Identity")
LOSSES_WITH_LOGITS = {"CrossEntropyLoss": True, "BCEWithLogitsLoss": True, "BCELoss": False, "NLLLoss": False}
BACKBONE_SHARE = 0.5  # of the model's convolution weights, for a child module to count as the backbone


def model_record(backbone: Backbone, sizes, probe, whole_is_backbone: bool = False) -> ModelRecord:
    """The head of backbone.model and the probe of the backbone inside it (see the module docstring).

    whole_is_backbone: a library's model (timm, torchvision, Hugging Face): the whole is probed, and
    only its own classifier (timm's get_classifier(), torchvision's fc / classifier / heads) is recorded.
    """
    torch = import_torch()
    model, name = backbone.model, backbone.name
    loss, from_logits = _loss(backbone.loss)
    if not isinstance(model, torch.nn.Module) or isinstance(model, torch.jit.ScriptModule):
        probed = probe(backbone, sizes)  # TorchScript runs no Python hooks: probed as a whole, no layers
        return ModelRecord(name, backbone=probed, notes=tuple(backbone.notes), loss=loss, from_logits=from_logits,
                           framework="torch")
    size, alt = _two_sizes(backbone.input.fixed_size, sizes)
    first = _trace(model, backbone.input.shape(size), backbone)
    second = _trace(model, backbone.input.shape(alt), backbone)
    part = whole_classifier.backbone_part(model, backbone, first.calls)  # a library's classifier: its backbone
    inner_name = None if whole_is_backbone or part else _backbone_child(model, first)
    if part is not None:
        inner, notes = probe(part.backbone, tuple(dict.fromkeys((*sizes, size, alt)))), tuple(part.backbone.notes)
        keep = part.keep
    elif inner_name is not None:
        inner_module = model.get_submodule(inner_name)
        inner_backbone = torch_module.backbone(inner_module, f"{name} [{inner_name}]", "torch")
        inner_backbone.layout = torch_module.declared_layout(inner_module)
        inner_backbone.classifier = whole_classifier.classifier_record(inner_module)
        inner, notes = probe(inner_backbone, tuple(dict.fromkeys((*sizes, size, alt)))), tuple(inner_backbone.notes)
        keep = _outside(inner_name)
    else:
        keep = _classifier_filter(model) if whole_is_backbone else (lambda qualified: True)
        inner, notes = None, ()
    layers = _records(first, second, keep, inner_name)
    if part is not None:
        layers, inner_name = part.attach(inner, layers, size, alt), part.name
    failed = next((layer.error for layer in layers if layer.error and layer.output_shapes is None), first.error)
    if inner is None and (whole_is_backbone or not any(layer.kind == "dense" for layer in layers)):
        inner, notes = probe(backbone, sizes), tuple(backbone.notes)  # no classifier on top: the model is a backbone
    outputs = (layers[-1].name,) if layers else ()
    return ModelRecord(name, tuple(layers), outputs, size, alt, loss, from_logits, inner, inner_name, notes=notes,
                       framework="torch", build_error=failed)


@dataclass
class Call:
    """One leaf (or backbone) module call: shapes in and out, and the calls whose outputs it received."""

    name: str
    module: object
    inputs: tuple = ()
    outputs: tuple | None = None
    sources: tuple = ()  # names of the calls that produced its input tensors
    error: str | None = None


@dataclass
class Trace:
    calls: list[Call] = field(default_factory=list)
    error: str | None = None
    model_input: object = None


def _trace(model, shape, backbone: Backbone) -> Trace:
    """Run the model once on a meta input with hooks on every module; the calls in order."""
    torch = import_torch()
    trace, producers, hooks, running, alive = Trace(), {}, [], [], []
    names = {id(m): n for n, m in model.named_modules() if n}

    def before(mod, args, kwargs=None):
        call = Call(names[id(mod)], mod, tuple(_shapes(args)))
        call.sources = tuple(dict.fromkeys(producers[id(t)] for t in _tensors(args) if id(t) in producers))
        running.append(call)
        trace.calls.append(call)

    def after(mod, args, output):
        call = running.pop() if running else None
        if call is not None:
            call.outputs = tuple(_shapes(output))
            for tensor in _tensors(output):
                producers[id(tensor)] = call.name
                alive.append(tensor)  # an id is only unique while its tensor lives

    keyword = getattr(model, "main_input_name", None) if type(model).__module__.startswith("transformers") else None
    try:
        for mod in model.modules():
            if mod is not model:
                hooks.append(mod.register_forward_pre_hook(before))
                hooks.append(mod.register_forward_hook(after))
        with torch_module.inference(model):
            state = {k: v.to("meta") for k, v in [*model.named_parameters(), *model.named_buffers()]}
            x = torch.zeros(shape, device="meta")
            trace.model_input = x
            producers[id(x)] = "input"
            args, kwargs = torch_module.arguments(x, keyword)
            torch.func.functional_call(model, state, args, kwargs, strict=False)
    except Exception as exc:  # the failing call is the innermost one still running
        trace.error = one_line(exc)
        if running:
            running[-1].error = trace.error
    finally:
        for hook in hooks:
            hook.remove()
    return trace


def _tensors(value) -> list:
    torch = import_torch()
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []


def _shapes(value) -> list:
    return [(None, *dims(t.shape)[1:]) for t in _tensors(value)]


def _backbone_child(model, trace: Trace) -> str | None:
    """The outermost module that receives the model's own input and holds at least half its convolution
    weights (a parent's pre-hook runs before its children's: the first such call is the outermost).
    Convolutions, not all parameters: a Flatten head's nn.Linear can outweigh a small backbone."""
    total = _conv_weight(model)
    for call in trace.calls:
        if total and call.sources == ("input",) and _conv_weight(call.module) >= BACKBONE_SHARE * total:
            return call.name
    return None


def _conv_weight(mod) -> int:
    conv = import_torch().nn.modules.conv._ConvNd
    return sum(p.numel() for m in mod.modules() if isinstance(m, conv) for p in m.parameters(recurse=False))


def _outside(inner: str):
    return lambda qualified: qualified == inner or not qualified.startswith(inner + ".")


def _classifier_filter(model):
    """timm's classifier and global pool, torchvision's fc / classifier / heads: the part a user replaces."""
    heads = []
    if callable(getattr(model, "get_classifier", None)):
        heads += [n for n, m in model.named_modules() if n and m is model.get_classifier()]
        heads += [n for n in ("global_pool", "head", "fc_norm", "head_drop") if hasattr(model, n)]
    else:
        heads += [n for n in ("avgpool", "fc", "classifier", "heads") if isinstance(getattr(model, n, None),
                                                                                     import_torch().nn.Module)]
    return lambda qualified: any(qualified == h or qualified.startswith(h + ".") for h in heads)


def _records(first: Trace, second: Trace, keep, inner: str | None) -> list[LayerRecord]:
    alt = {}
    for call in second.calls:
        alt.setdefault(call.name, call)
    records, renamed, previous = [], {}, None
    for call in first.calls:
        is_inner = call.name == inner
        leaf = not any(True for _ in call.module.children())
        if not keep(call.name) or not (leaf or is_inner) or call.name in renamed:
            continue
        sources = [s for s in call.sources if s in renamed or s == "input"]
        inbound = tuple(renamed.get(s, s) for s in sources if s != "input") or ((previous,) if previous else ())
        other = alt.get(call.name)
        records.append(_record(call, other, inbound, is_inner))
        renamed[call.name] = call.name
        previous = call.name
    return records


def _record(call: Call, other: Call | None, inbound: tuple, is_inner: bool) -> LayerRecord:
    mod = call.module
    cls = type(mod).__name__
    kind, units, pooling, pool_dims, activation = _kind(mod, is_inner)
    return LayerRecord(
        name=call.name,
        class_name=cls,
        input_shapes=call.inputs,
        output_shapes=call.outputs,
        alt_output_shapes=other.outputs if other else None,
        activation=activation,
        units=units,
        pooling=pooling,
        pool_dims=pool_dims,
        inbound=inbound,
        is_model=is_inner,
        error=_explained(kind, mod, call) or (_explained(kind, mod, other) if other else None),
        kind=kind,
        call=call_text(mod, cls),
        origin=origin_of(mod),
    )


def _explained(kind: str, mod, call: Call) -> str | None:
    """A call's error; for an nn.Linear whose input does not fit, in the words PyTorch uses on real tensors
    ("mat1 and mat2 shapes cannot be multiplied"; the meta device words it apart), and for a map or
    tokens, which axis it met and why."""
    shape = call.inputs[0] if len(call.inputs) == 1 else None
    mismatch = call.error and ("mat1 and mat2" in call.error or "same reduction dim" in call.error)
    if kind != "dense" or not mismatch or not shape or len(shape) < 2 or None in shape[1:]:
        return call.error
    torch_words = (f"RuntimeError: mat1 and mat2 shapes cannot be multiplied "
                   f"({prod(shape[1:-1])}x{shape[-1]} and {mod.in_features}x{mod.out_features})")  # batch 1
    linear = call_text(mod, type(mod).__name__)
    if len(shape) == 2:
        return f"{linear} expects {mod.in_features} features and receives {shape[-1]} ({torch_words})"
    where = "the channels are on axis 1 (NCHW)" if len(shape) == 4 and shape[1] == mod.in_features else \
        "the other axes stay"
    return (f"{linear} met the last axis of a {_text(shape)} input, of size {shape[-1]}: "
            f"nn.Linear acts on the last axis only, and here {where} ({torch_words})")


def _text(shape) -> str:
    return "(" + ", ".join("N" if i == 0 else "?" if d is None else str(d) for i, d in enumerate(shape)) + ")"


def _kind(mod, is_inner: bool) -> tuple:
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


def _loss(loss) -> tuple:
    """(class name, expects logits) of a torch loss module given beside the model; (None, None) without one."""
    if loss is None:
        return None, None
    name = type(loss).__name__
    return name, LOSSES_WITH_LOGITS.get(name)


def _two_sizes(fixed, sizes) -> tuple:
    size = fixed or tuple(sizes[0])
    alt = next((tuple(s) for s in sizes if tuple(s) != size), (size[0] // 2 + 32, size[1] // 2 + 32))
    return tuple(size), alt

