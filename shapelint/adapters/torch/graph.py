"""An nn.Module's head as a ModelRecord, recorded the way torchinfo does it: forward hooks on the meta device,
and beside them a TorchFunctionMode (ops.py) that records the calls forward makes between modules.

PyTorch has no layer graph, so the graph is what one call does: every leaf module that runs, and every
call the user's own code makes (torch.flatten, x.mean, F.softmax, x[:, 0]), is a LayerRecord, in call
order, with the shapes that went in and came out at two input sizes. A record's inbound are the records
whose output tensors it received; the model's outputs are the tensors forward returns. The input is
what the model meets first (inputs.py), tried on the meta device, then on real CPU tensors where the
meta device cannot run the model. The backbone is the heaviest child module that receives the model's
own input; it is probed as a Backbone of its own and recorded as one layer. Hooks and the mode are
entered in `try` and left in `finally`; parameters are meta tensors for the call only.
"""

from __future__ import annotations

from math import prod

from ...records.layers import LayerRecord, ModelRecord
from ..base import Backbone
from . import classifier as whole_classifier
from . import inputs, ops
from . import module as torch_module
from .kinds import call_text, kind_of
from .origins import origin_of
from .runtime import import_torch
from .trace import Call, Trace

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
    keyword = _keyword(model)
    taken, first, how = inputs.choose(model, backbone, size, keyword, whole_is_backbone)
    if len(set(map(tuple, sizes))) == 1 and not whole_is_backbone:
        alt = None  # checked at one size: the model is taken to work at that size only
    second = how.trace(model, taken, alt, keyword, alt=True) if alt else Trace()
    image = taken.image or (taken.kind == "given" and len(taken.given) == 3)
    part = whole_classifier.backbone_part(model, backbone, first.calls) if image else None  # a library classifier
    inner_name = None if whole_is_backbone or part or not image else _backbone_child(model, first)
    if inner_name and first.failed is not None and first.failed.name.startswith(inner_name + "."):
        inner_name = None  # it fails inside: its own layers are the head's business (and say where)
    if part is not None:
        inner, notes = probe(part.backbone, tuple(dict.fromkeys(s for s in (*sizes, size, alt) if s))), tuple(
            part.backbone.notes)
        keep = part.keep
    elif inner_name is not None:
        inner_module = model.get_submodule(inner_name)
        inner_backbone = torch_module.backbone(inner_module, f"{name} [{inner_name}]", "torch")
        inner_backbone.layout = torch_module.declared_layout(inner_module)
        inner_backbone.classifier = whole_classifier.classifier_record(inner_module)
        inner, notes = probe(inner_backbone, tuple(dict.fromkeys(s for s in (*sizes, size, alt) if s))), tuple(
            inner_backbone.notes)
        keep = _outside(inner_name)
    else:
        keep = _classifier_filter(model) if whole_is_backbone else (lambda qualified: True)
        inner, notes = None, ()
    layers, outputs = _records(first, second, keep, inner_name, whole_is_backbone or part is not None)
    if part is not None:
        layers, inner_name = part.attach(inner, layers, size, alt), part.name
    failed = next((layer.error for layer in layers if layer.error and layer.output_shapes is None), first.error)
    if inner is None and image and (whole_is_backbone or not any(layer.kind == "dense" for layer in layers)):
        inner, notes = probe(backbone, sizes), tuple(backbone.notes)  # no classifier on top: the model is a backbone
    names, batches, changes = {layer.name for layer in layers}, (1, 2), ()
    if failed or taken.time_first or how.batch == getattr(model, "batch_size", None):
        pass  # nothing ran through, or the model takes one batch size only
    elif how.batch == 2:
        changes = _batch_changes(first, how.trace(model, taken, size, keyword, batch=1), names, outputs)
    else:  # the model folds samples together: compare whole folds, at the batch it took and twice that
        batches = (how.batch, 2 * how.batch)
        changes = _batch_changes(how.trace(model, taken, size, keyword, batch=batches[1]), first, names, outputs,
                                 batches)
    declared = (taken.shape(None if alt else size, None, False),) if image and taken.kind != "given" else ()
    return ModelRecord(name, tuple(layers), outputs, size, alt, loss, from_logits, inner, inner_name, notes=notes,
                       framework="torch", build_error=failed, batch_changes=changes, input_note=taken.note,
                       inputs=declared, batch_sizes=batches)


def _keyword(model) -> str | None:
    return getattr(model, "main_input_name", None) if type(model).__module__.startswith("transformers") else None


def _batch_changes(two: Trace, one: Trace, names: set, outputs: tuple, batches=(1, 2)) -> tuple:
    """(call, output at batch 1, output at batch 2) for every recorded call whose output batch does not follow
    the input's (x.view(-1, C) folds positions into it, x.squeeze() removes it from a batch of one), where the
    model's output does not follow it either (a transpose for nn.MultiheadAttention undone later is no change)."""
    at_one = {call.name: call.full_outputs for call in one.calls if call.full_outputs}
    changes = []
    for call in two.calls:
        a, b = (at_one.get(call.name) or ((),))[0], (call.full_outputs or ((),))[0]
        if call.name in names and a and b and not (len(a) == len(b) and (a[0], b[0]) == tuple(batches)):
            changes.append((call.name, a, b))  # the batch folded, split, or squeezed away at 1
    return tuple(changes) if any(name in outputs for name, _, _ in changes) else ()


def _backbone_child(model, trace: Trace) -> str | None:
    """The outermost module that receives the model's own input (or what calls forward made on it alone:
    a normalisation, a dtype) and holds at least half its convolution weights (a parent's pre-hook runs
    before its children's: the first such call is the outermost). Convolutions, not all parameters: a
    Flatten head's nn.Linear can outweigh a small backbone."""
    total = _conv_weight(model)
    from_input = {"input"}
    for call in trace.calls:
        fed = bool(call.sources) and all(source[-1] in from_input for source in call.sources if source)
        if call.module is None:
            if fed:
                from_input.add(call.name)
        elif total and fed and _conv_weight(call.module) >= BACKBONE_SHARE * total:
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


def _records(first: Trace, second: Trace, keep, inner: str | None, whole: bool) -> tuple[list[LayerRecord], tuple]:
    """The calls worth a record, with their inbound resolved to recorded calls, and the model's outputs.

    Leaf modules and the backbone outside the parts `keep` rejects; the calls forward made in the user's
    code (a user's own leaf module whose calls were recorded is represented by them); for a library's
    whole model, its top-level calls after the last module it keeps out (torchvision's torch.flatten)."""
    alt = {}
    for call in second.calls:
        alt.setdefault(call.name, call)
    opened = {call.within for call in first.calls if call.module is None and call.within}
    dropped = [i for i, call in enumerate(first.calls) if call.module is not None and not keep(call.name)
               and not any(True for _ in call.module.children())]
    last_dropped = dropped[-1] if whole and dropped else -1
    records, kept, previous = [], set(), None

    def resolve(producers: tuple) -> str | None:
        return next((name for name in reversed(producers) if name in kept or name == "input"), None)

    for i, call in enumerate(first.calls):
        if call.module is None:
            wanted = (i > last_dropped) if not call.within else (call.within != inner and keep(call.within)
                                                                 and not whole)
        else:
            leaf = not any(True for _ in call.module.children())
            wanted = keep(call.name) and (call.name == inner or (leaf and call.name not in opened))
        if not wanted or call.name in kept:
            continue
        resolved = [resolve(source) for source in call.sources]
        inbound = tuple(dict.fromkeys(r for r in resolved if r and r != "input"))
        if not inbound and not any(resolved):
            inbound = (previous,) if previous else ()
        records.append(_record(call, alt.get(call.name), inbound, call.name == inner))
        kept.add(call.name)
        previous = call.name
    outputs = tuple(dict.fromkeys(r for r in map(resolve, first.outputs) if r and r != "input"))
    return records, outputs or ((records[-1].name,) if records else ())


def _record(call: Call, other: Call | None, inbound: tuple, is_inner: bool) -> LayerRecord:
    alt_outputs = other.outputs if other else None
    if call.module is None:
        facts = call.function or ops.Facts()
        return LayerRecord(
            name=call.name, class_name=call.class_name, input_shapes=call.inputs, output_shapes=call.outputs,
            alt_output_shapes=alt_outputs, activation=facts.activation, units=facts.units, features=facts.features,
            pooling=facts.pooling, pool_dims=facts.pool_dims, inbound=inbound,
            error=_explained(facts.kind, facts.features, facts.units, call.call, call)
            or (_explained(facts.kind, facts.features, facts.units, call.call, other) if other else None),
            kind=facts.kind, call=call.call, origin=call.origin, function=True, axes=facts.axes,
            reduces=facts.reduces, tokens=facts.tokens)
    mod = call.module
    cls = type(mod).__name__
    kind, units, pooling, pool_dims, activation = kind_of(mod, is_inner)
    features = getattr(mod, "in_features", None) if kind == "dense" else None
    text = call_text(mod, cls)
    return LayerRecord(
        name=call.name,
        class_name=cls,
        input_shapes=call.inputs,
        output_shapes=call.outputs,
        alt_output_shapes=alt_outputs,
        activation=activation,
        units=units,
        features=features,
        pooling=pooling,
        pool_dims=pool_dims,
        inbound=inbound,
        is_model=is_inner,
        error=_explained(kind, features, units, text, call) or (
            _explained(kind, features, units, text, other) if other else None),
        kind=kind,
        call=text,
        origin=origin_of(mod),
        axes=_softmax_axes(mod, call.inputs),
    )


def _softmax_axes(mod, inputs) -> tuple | None:
    """nn.Softmax(dim=...) / nn.LogSoftmax: the axis it normalises, as F.softmax picks it when dim is None."""
    nn = import_torch().nn
    if not isinstance(mod, (nn.Softmax, nn.LogSoftmax)) or len(inputs) != 1 or not inputs[0]:
        return None
    rank = len(inputs[0])
    return ((ops.softmax_dim(rank) if mod.dim is None else mod.dim) % rank,)


def _explained(kind: str, features, units, linear: str, call: Call) -> str | None:
    """A call's error; for an nn.Linear whose input does not fit, in the words PyTorch uses on real tensors
    ("mat1 and mat2 shapes cannot be multiplied"; the meta device words it apart), and for a map or
    tokens, which axis it met and why."""
    shape = call.inputs[0] if call.inputs else None
    mismatch = call.error and ("mat1 and mat2" in call.error or "same reduction dim" in call.error)
    if kind != "dense" or not mismatch or not shape or len(shape) < 2 or None in shape[1:] or not features:
        return call.error
    torch_words = (f"RuntimeError: mat1 and mat2 shapes cannot be multiplied "
                   f"({prod(shape[1:-1])}x{shape[-1]} and {features}x{units})")  # batch 1
    if len(shape) == 2:
        return f"{linear} expects {features} features and receives {shape[-1]} ({torch_words})"
    where = "the channels are on axis 1 (NCHW)" if len(shape) == 4 and shape[1] == features else \
        "the other axes stay"
    return (f"{linear} met the last axis of a {_text(shape)} input, of size {shape[-1]}: "
            f"nn.Linear acts on the last axis only, and here {where} ({torch_words})")


def _text(shape) -> str:
    return "(" + ", ".join("N" if i == 0 else "?" if d is None else str(d) for i, d in enumerate(shape)) + ")"


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

