"""An nn.Module's head as a ModelRecord, recorded the way torchinfo does it: forward hooks on the meta device.

PyTorch has no layer graph, so the graph is what one call does: every leaf module that runs is a
LayerRecord, in call order, with the shapes that went in and came out at two input sizes. A layer's
inbound is the layer whose output tensor it received, else (a functional op in between, such as
torch.flatten) the layer that ran before it. The backbone is the heaviest child module that receives
the model's own input; it is probed as a Backbone of its own and recorded as one layer. Hooks are
registered in `try` and removed in `finally`; parameters are meta tensors for the call only.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import re
import sys
from dataclasses import dataclass, field
from math import prod

from ...errors import one_line
from ...records.layers import LayerRecord, ModelRecord
from ..base import Backbone, dims
from ..origins import is_user_file, shown_path
from . import classifier as whole_classifier
from . import inputs, ops
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
    keyword = _keyword(model)
    taken, first, how = _input(model, backbone, size, keyword, whole_is_backbone)
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


def _input(model, backbone: Backbone, size, keyword, whole: bool) -> tuple:
    """(the input forward takes, its trace at `size`): the one the user gave, else the first the model's own
    layers propose that runs (inputs.py); when none runs, the one that got furthest, so the failure found is
    the model's and not the guess's."""
    if backbone.example_input is not None:
        example = backbone.example_input
        taken = inputs.given(tuple(example.shape)[1:], str(example.dtype).replace("torch.", ""),
                             "as the factory's example input")
    elif backbone.input_shape:
        taken = inputs.given(backbone.input_shape)
    elif whole or keyword:
        taken = inputs.Proposal("image", backbone.input.channels)
    else:
        taken = None
    if taken is not None:
        return (taken, *_attempt(model, taken, size, keyword))
    best, tried = None, set()
    todo = inputs.proposals(model, backbone.input.channels)
    while todo:
        proposal = todo.pop(0)
        trace, how = _attempt(model, proposal, size, keyword)
        if trace.error is None:
            return proposal, trace, how
        if best is None or len(trace.calls) > len(best[1].calls):
            best = (proposal, trace, how)
        if any(words in trace.error for words in SHRINKS):
            todo = inputs.longer(proposal) + todo
        if trace.failed is not None:
            features, received = _mismatch(trace.failed)
            todo = [p for p in inputs.fitted(proposal, trace.error, features, received) if p not in tried] + todo
        tried.add(proposal)
    return best


def _mismatch(call: Call) -> tuple:
    """(the features a failing dense call was built for, the features it received)."""
    facts = call.function
    features = facts.features if facts is not None else getattr(call.module, "in_features", None)
    shape = call.inputs[0] if call.inputs else None
    return features, (shape[-1] if shape and len(shape) == 2 else None)


@dataclass(frozen=True)
class How:
    """Where the traces run: the meta device at batch 2, unless the model needs real values (x.item(), a CPU
    tensor made in forward) or a batch of its own (a batch_size it builds its hidden state for)."""

    device: str = "meta"
    batch: int = 2

    def trace(self, model, taken, size, keyword, batch: int | None = None, alt: bool = False) -> Trace:
        return _trace(model, taken.make(size, batch or self.batch, alt, self.device), keyword)


def _attempt(model, taken, size, keyword) -> tuple:
    """(trace, how) of one input: on the meta device first, then one small real CPU run where the meta device
    was the trouble, then at the model's own batch_size where it has one; the first that runs, else the one
    that got furthest."""
    batch = getattr(model, "batch_size", None)
    batches = [2] + ([batch] if isinstance(batch, int) and not isinstance(batch, bool) and 2 < batch <= 64 else [])
    best, last = None, ""
    for how in (How(device, size_) for size_ in batches for device in ("meta", "cpu")):
        if how.device == "cpu" and not _meta_trouble(last):
            continue  # the meta device was not the trouble: a real run would fail the same way
        trace = how.trace(model, taken, size, keyword)
        last = trace.error or ""
        if trace.error is None:
            return trace, how
        if best is None or len(trace.calls) > len(best[0].calls):
            best = (trace, how)
    folding = _folding_batch(best[0].error or "", best[1].batch)
    if folding:  # x.view(-1, C) with C larger than one sample: it runs only where samples fold together
        how = How(best[1].device, folding)
        trace = how.trace(model, taken, size, keyword)
        if trace.error is None:
            return trace, how
    return best


RESHAPE = re.compile(r"shape '\[([-\d, ]+)\]' is invalid for input of size (\d+)")


def _folding_batch(error: str, batch: int) -> int | None:
    """The smallest batch a reshape to a fixed row size accepts, where that row holds more than one sample."""
    found = RESHAPE.search(error)
    if not found:
        return None
    target = [int(d) for d in found.group(1).split(",")]
    row = prod(d for d in target if d > 0)
    per_sample, rest = divmod(int(found.group(2)), batch)
    if -1 not in target or rest or not per_sample or row <= per_sample:
        return None
    needed = row // math.gcd(row, per_sample)
    return needed if 2 < needed <= 64 else None


def _meta_trouble(error: str) -> bool:
    """The meta device, not the model, refused: a value read (x.item(), if x.sum() > 0), a CPU tensor made in
    forward, or an op without a meta kernel."""
    return "meta" in error or "device" in error or error.startswith("NotImplementedError")


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


@dataclass
class Call:
    """One leaf (or backbone) module call, or one call forward made (a function): shapes in and out, and
    for each input tensor the calls that produced it, first to last (an outer module after its inner ones)."""

    name: str
    module: object = None  # None for a function call
    inputs: tuple = ()
    outputs: tuple | None = None
    sources: tuple = ()  # one tuple of producer names per input tensor
    error: str | None = None
    full_outputs: tuple = ()  # the output shapes with their batch
    function: ops.Facts | None = None  # a call forward made: what it does
    class_name: str = ""
    call: str = ""
    origin: tuple | None = None
    within: str = ""  # the innermost module running when the function was called; "" at the model's top level


@dataclass
class Trace:
    calls: list[Call] = field(default_factory=list)
    error: str | None = None
    model_input: object = None
    outputs: list[tuple] = field(default_factory=list)  # the producers of each tensor forward returned
    failed: Call | None = None  # the call that raised


def _trace(model, x, keyword: str | None = None) -> Trace:
    """Run the model once on the meta input `x` with hooks on every module and a function mode for the calls
    forward makes between them; the calls in order. Everything is restored in `finally`."""
    torch = import_torch()
    trace, producers, hooks, running, alive = Trace(), {}, [], [], []
    names = {id(m): n for n, m in model.named_modules() if n}
    module_names = set(names.values())
    sequences = set()  # ids of (N, C, L) tensors: outputs of a Conv1d, and what keeps their layout
    counts: dict[str, int] = {}

    def before(mod, args, kwargs=None):
        name = names[id(mod)]
        count = counts.get(name, 0)
        counts[name] = count + 1
        while count and f"{name}_{count}" in module_names:
            count += 1
        args = (*args, *(kwargs or {}).values())  # a Hugging Face model called as model(pixel_values=x)
        call = Call(f"{name}_{count}" if count else name, mod, tuple(_shapes(args)))
        call.sources = _sources(args, producers)
        running.append(call)
        trace.calls.append(call)

    def after(mod, args, output):
        call = running.pop() if running else None
        if call is not None:
            call.outputs, call.full_outputs = tuple(_shapes(output)), tuple(_full(output))
            ncl = isinstance(mod, torch.nn.Conv1d) or (_first_in(args, sequences) and call.full_outputs
                                                       and len(call.full_outputs[0]) == 3
                                                       and _kind(mod, False)[0] in SAME_LAYOUT)
            for tensor in _tensors(output):
                producers.setdefault(id(tensor), []).append(call.name)
                alive.append(tensor)  # an id is only unique while its tensor lives
                if ncl:
                    sequences.add(id(tensor))

    def on_call(func, args, kwargs, run):
        owner = running[-1].module if running else model
        if not _user_class(type(owner)) and running:
            return run()  # inside a library module: its calls are the module's own business
        tensors = _tensors((args, kwargs))
        if not any(id(t) in producers for t in tensors):
            return run()  # not on the path from the model's input: sizes, parameters, new constants
        name = ops.short_name(func)
        if ops.is_transparent(func):
            out = _device_free(torch, name, args, kwargs, run)
            for tensor in _tensors(out):
                producers[id(tensor)] = list(producers.get(id(tensors[0]), []))
                alive.append(tensor)
            return out
        origin = None
        if _user_class(type(owner)):
            origin = _caller(sys._getframe(1))
            if origin is None:
                return run()  # a library helper's own calls (timm's forward_features called as a method)
        base = name.strip("_") or "call"
        count = counts.get(base, 0)
        counts[base] = count + 1
        record = Call(f"{base}_{count}" if count else base, inputs=tuple(_shapes(tensors)),
                      sources=_sources((args, kwargs), producers), class_name=ops.qualified(func),
                      call=ops.written(func, args, kwargs, _namer(tensors)), origin=origin,
                      within=running[-1].name if running else "")
        while record.name in module_names:
            record.name += "_"
        try:
            out = run()
        except Exception as exc:
            record.error = one_line(exc)
            trace.failed = trace.failed or record
            trace.calls.append(record)
            raise
        outputs = _tensors(out)[:1] if name in ("max", "min", "sort", "topk", "median") else _tensors(out)
        if not outputs:
            counts[base] -= 1
            return out  # a size, a flag, a number: not data flowing through the head
        trace.calls.append(record)
        record.outputs, record.full_outputs = tuple(_shapes(outputs)), tuple(_full(outputs))
        ncl = _first_in(tensors, sequences)
        record.function = ops.facts(func, args, kwargs, [tuple(t.shape) for t in tensors],
                                    [tuple(t.shape) for t in outputs], ncl)
        for tensor in outputs:
            producers.setdefault(id(tensor), []).append(record.name)
            alive.append(tensor)
            if tensor.dim() == 3 and _keeps_sequence(name, record.function.kind, ncl, tensors[0]):
                sequences.add(id(tensor))
        return out

    try:
        for mod in model.modules():
            if mod is not model:
                hooks.append(mod.register_forward_pre_hook(before, with_kwargs=True))
                hooks.append(mod.register_forward_hook(after))
        with torch_module.inference(model):
            state = {k: _on(torch, v, x.device.type) for k, v in [*model.named_parameters(), *model.named_buffers()]}
            trace.model_input = x
            producers[id(x)] = ["input"]
            args, kwargs = torch_module.arguments(x, keyword)
            with ops.recorder(on_call):
                result = torch.func.functional_call(model, state, args, kwargs, strict=False)
            trace.outputs = [tuple(producers.get(id(t), ())) for t in _tensors(_plain(result))]
    except Exception as exc:  # the failing call is the innermost one still running, and fails its callers
        trace.error = one_line(exc)
        if trace.failed is None and running:
            trace.failed = running[-1]
        for call in running:
            call.error = call.error or trace.error
    finally:
        for hook in hooks:
            hook.remove()
    return trace


def _on(torch, tensor, device: str):
    """A parameter for one call: its meta twin, or on a real run the tensor itself (uninitialised memory of its
    shape where it has none, as to_empty gives)."""
    if device == "meta":
        return tensor.to("meta")
    return torch.empty_like(tensor, device=device) if tensor.is_meta else tensor


# what PyTorch says when a convolution or pooling window is larger than what is left of the input
SHRINKS = ("Output size is too small", "greater than actual input size", "Invalid computed output size")
# modules and calls whose output keeps an (N, C, L) input's layout
SAME_LAYOUT = ("activation", "dropout", "norm", "pool", "conv", "math")


def _keeps_sequence(name: str, kind: str, ncl: bool, first) -> bool:
    """The output of a call is an (N, C, L) sequence: a 1-d convolution or pooling makes one (they take
    channels first), a squeeze of an (N, C, L, 1) map leaves one, and element-wise calls keep one."""
    if name in ("conv1d", "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d"):
        return True
    if name == "squeeze" and first.dim() == 4:
        return True
    return ncl and kind in SAME_LAYOUT


def _sources(value, producers) -> tuple:
    return tuple(tuple(producers[id(t)]) for t in _tensors(value) if id(t) in producers)


def _first_in(value, ids) -> bool:
    tensors = _tensors(value)
    return bool(tensors) and id(tensors[0]) in ids


def _namer(tensors):
    """x for the first tensor a call receives, then y, z, ..."""
    letters = {id(t): "xyzuvw"[i] if i < 6 else f"t{i}" for i, t in enumerate(tensors)}
    return lambda tensor: letters.get(id(tensor), "t")


def _device_free(torch, name: str, args, kwargs, run):
    """x.to("cpu"), x.cpu(), x.cuda() on the meta device: the move is dropped, a dtype is kept."""
    x = args[0] if args else None
    if not isinstance(x, torch.Tensor) or x.device.type != "meta":
        return run()
    if name in ("cpu", "cuda"):
        return x
    if name == "to":
        dtype = kwargs.get("dtype") or next((a for a in args[1:] if isinstance(a, torch.dtype)), None)
        other = next((a for a in args[1:] if isinstance(a, torch.Tensor)), None)
        dtype = dtype or (other.dtype if other is not None else None)
        return x.to(dtype) if dtype is not None else x
    return run()


@functools.lru_cache(maxsize=512)
def _user_class(cls) -> bool:
    """A module class defined in the user's own files (not torch, timm, torchvision, transformers...)."""
    try:
        return is_user_file(inspect.getfile(cls))
    except (TypeError, OSError):
        return False


def _caller(frame) -> tuple[str, int] | None:
    """(file, line) of the code that made a call, where that is the user's: the first frame outside torch and
    shapelint. None when it is a library's (timm's forward_features called as a method, einops)."""
    skipped = _skipped()
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(skipped):
            return (shown_path(filename), frame.f_lineno) if is_user_file(filename) else None
        frame = frame.f_back
    return None


@functools.lru_cache(maxsize=1)
def _skipped() -> tuple[str, ...]:
    shapelint = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.dirname(os.path.abspath(import_torch().__file__)) + os.sep, shapelint + os.sep


def _plain(value):
    """A Hugging Face ModelOutput as the dict it is; anything else as it is."""
    if hasattr(value, "to_tuple") and not isinstance(value, dict):
        return dict(value.items())
    return value


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


def _full(value) -> list:
    return [dims(t.shape) for t in _tensors(value)]


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
    kind, units, pooling, pool_dims, activation = _kind(mod, is_inner)
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

