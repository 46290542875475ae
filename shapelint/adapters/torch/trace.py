"""One call of a torch model on the meta device (or, where it needs real values, the CPU), recorded: forward
hooks on every module and a TorchFunctionMode (ops.py) for the calls forward makes between them. Hooks and the
mode are entered in `try` and left in `finally`; parameters are swapped for meta tensors for the call only.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from dataclasses import dataclass, field

from ...errors import one_line
from ..base import dims
from ..origins import is_user_file, shown_path
from . import module as torch_module
from . import ops
from .kinds import kind_of
from .runtime import import_torch


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


def trace(model, x, keyword: str | None = None) -> Trace:
    """Run the model once on the meta input `x` with hooks on every module and a function mode for the calls
    forward makes between them; the calls in order. Everything is restored in `finally`."""
    torch = import_torch()
    found, producers, hooks, running, alive = Trace(), {}, [], [], []
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
        call = Call(f"{name}_{count}" if count else name, mod, tuple(_shapes(args)))
        call.sources = _sources(args, producers)
        running.append(call)
        found.calls.append(call)

    def after(mod, args, output):
        call = running.pop() if running else None
        if call is not None:
            call.outputs, call.full_outputs = tuple(_shapes(output)), tuple(_full(output))
            ncl = isinstance(mod, torch.nn.Conv1d) or (_first_in(args, sequences) and call.full_outputs
                                                       and len(call.full_outputs[0]) == 3
                                                       and kind_of(mod, False)[0] in SAME_LAYOUT)
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
            found.failed = found.failed or record
            found.calls.append(record)
            raise
        outputs = _tensors(out)[:1] if name in ("max", "min", "sort", "topk", "median") else _tensors(out)
        if not outputs:
            counts[base] -= 1
            return out  # a size, a flag, a number: not data flowing through the head
        found.calls.append(record)
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
                hooks.append(mod.register_forward_pre_hook(before))
                hooks.append(mod.register_forward_hook(after))
        with torch_module.inference(model):
            state = {k: _on(torch, v, x.device.type) for k, v in [*model.named_parameters(), *model.named_buffers()]}
            found.model_input = x
            producers[id(x)] = ["input"]
            args, kwargs = torch_module.arguments(x, keyword)
            with ops.recorder(on_call):
                result = torch.func.functional_call(model, state, args, kwargs, strict=False)
            found.outputs = [tuple(producers.get(id(t), ())) for t in _tensors(_plain(result))]
    except Exception as exc:  # the failing call is the innermost one still running, and fails its callers
        found.error = one_line(exc)
        if found.failed is None and running:
            found.failed = running[-1]
        for call in running:
            call.error = call.error or found.error
    finally:
        for hook in hooks:
            hook.remove()
    return found


def _on(torch, tensor, device: str):
    """A parameter for one call: its meta twin, or on a real run the tensor itself (uninitialised memory of its
    shape where it has none, as to_empty gives)."""
    if device == "meta":
        return tensor.to("meta")
    return torch.empty_like(tensor, device=device) if tensor.is_meta else tensor


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
