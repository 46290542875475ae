"""The calls forward makes that are not modules (torch.flatten, x.mean, F.softmax, x[:, 0]) as facts.

torch's own way to see every op is a TorchFunctionMode (FlopCounterMode, torchview's RecorderTensor use
the same hook): `Recorder` is one, entered for a single meta-device call beside the module hooks in
graph.py, and it hands each call's facts to a callback. `facts()` says what one call does in the words
of records/layers.py (kind, axes, reduces, tokens), judged by the layout of its input; `written()` spells
the call the way the user wrote it, as closely as its arguments allow.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from ...records.layers import BATCH, CHANNELS, SPATIAL, TOKENS
from .runtime import import_torch

ACTIVATIONS = {"relu": "relu", "relu6": "relu6", "leaky_relu": "leaky_relu", "gelu": "gelu", "silu": "silu",
               "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax", "log_softmax": "log_softmax",
               "elu": "elu", "selu": "selu", "celu": "celu", "mish": "mish", "hardswish": "hard_swish",
               "hardsigmoid": "hard_sigmoid", "softplus": "softplus", "logsigmoid": "log_sigmoid",
               "hardtanh": "hardtanh", "prelu": "prelu", "rrelu": "rrelu", "softsign": "softsign", "glu": "glu"}
POOLS = {"mean": "average", "nanmean": "average", "amax": "max", "max": "max"}
REDUCTIONS = ("sum", "nansum", "amin", "min", "std", "var", "median", "prod", "logsumexp", "norm", "argmax",
              "argmin", "all", "any", "count_nonzero")
ADAPTIVE = {"adaptive_avg_pool1d": ("average", 1), "adaptive_avg_pool2d": ("average", 2),
            "adaptive_avg_pool3d": ("average", 3), "adaptive_max_pool1d": ("max", 1),
            "adaptive_max_pool2d": ("max", 2), "adaptive_max_pool3d": ("max", 3)}
WINDOWED = {"avg_pool1d": ("average", 1), "avg_pool2d": ("average", 2), "avg_pool3d": ("average", 3),
            "max_pool1d": ("max", 1), "max_pool2d": ("max", 2), "max_pool3d": ("max", 3),
            "lp_pool1d": ("average", 1), "lp_pool2d": ("average", 2)}
RESHAPES = ("flatten", "view", "reshape", "squeeze", "unsqueeze", "unflatten", "view_as", "reshape_as", "ravel")
SELECTS = ("__getitem__", "select", "narrow", "index_select", "split", "chunk", "unbind", "take_along_dim",
           "gather")
CONCATS = ("cat", "concat", "concatenate", "stack", "hstack", "vstack")
DROPOUTS = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout")
NORMS = ("batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize", "local_response_norm", "rms_norm")
CONVS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "true_divide": "/", "matmul": "@",
             "__add__": "+", "__radd__": "+", "__sub__": "-", "__mul__": "*", "__rmul__": "*",
             "__truediv__": "/", "__matmul__": "@", "__iadd__": "+=", "__imul__": "*="}
MATH = (*OPERATORS, "pow", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "clamp", "clip", "where", "einsum",
        "bmm", "mm", "addmm", "baddbmm", "maximum", "minimum", "square", "reciprocal", "clamp_min",
        "expand", "expand_as", "repeat", "masked_fill", "__pow__", "__neg__", "__rtruediv__", "__rsub__",
        "add_", "mul_", "div_", "sub_", "clamp_", "pow_")
# calls that hand their input on as it is (a copy, a dtype or device move): not records, their output's
# producer is their input's
TRANSPARENT = ("to", "contiguous", "clone", "detach", "float", "double", "half", "bfloat16", "cpu", "cuda",
               "type", "type_as", "requires_grad_", "detach_", "__deepcopy__")


@dataclass(frozen=True)
class Facts:
    """What one call does, in LayerRecord's words."""

    kind: str = "other"
    activation: str | None = None
    units: int | None = None
    features: int | None = None  # what a dense call takes in (F.linear's weight)
    pooling: str | None = None
    pool_dims: int | None = None
    axes: tuple[int, ...] | None = None
    reduces: str | None = None
    tokens: tuple[int, int | None] | None = None


def short_name(func) -> str:
    """'mean' for Tensor.mean, 'softmax' for F.softmax, '__getitem__' for indexing."""
    return getattr(func, "__name__", "") or str(func)


def qualified(func) -> str:
    """torch.flatten, Tensor.mean, F.softmax: the callable as users name it."""
    from torch.overrides import resolve_name

    name = resolve_name(func) or getattr(func, "__qualname__", short_name(func))
    if name.startswith("torch.nn.functional."):
        return "F." + name.rpartition(".")[2]
    if name.startswith("torch.Tensor."):
        return "Tensor." + name[len("torch.Tensor."):]
    return name


def is_transparent(func) -> bool:
    return short_name(func) in TRANSPARENT


class AxisRoles:
    """The roles of a tensor's axes in PyTorch's conventions: NCHW / NCDHW maps, (N, L, C) tokens, and
    (N, C, L) where the tensor came from a Conv1d (`sequence_first=False`)."""

    def __init__(self, rank: int, channels_first_sequence: bool = False):
        self.rank = rank
        if rank >= 4:
            self.spatial, self.channels, self.what = tuple(range(2, rank)), 1, SPATIAL
        elif rank == 3 and channels_first_sequence:
            self.spatial, self.channels, self.what = (2,), 1, SPATIAL
        elif rank == 3:
            self.spatial, self.channels, self.what = (1,), 2, TOKENS
        else:
            self.spatial, self.channels, self.what = (), rank - 1 if rank > 1 else None, CHANNELS

    def role(self, axes) -> str | None:
        """What a call over `axes` pools, folds or selects away."""
        axes = set(axes)
        if 0 in axes:
            return BATCH
        if self.channels in axes:
            return CHANNELS
        if axes & set(self.spatial):
            return self.what
        return None


def _axes(value, rank: int) -> tuple[int, ...] | None:
    if value is None:
        return None
    values = value if isinstance(value, (tuple, list)) else (value,)
    try:
        return tuple(sorted(int(v) % rank if rank else int(v) for v in values))
    except (TypeError, ValueError):
        return None


def _arg(args, kwargs, index: int, *names, default=None):
    for name in names:
        if name in kwargs:
            return kwargs[name]
    return args[index] if len(args) > index else default


def softmax_dim(rank: int) -> int:
    """The dim F.softmax picks when none is given (torch's _get_softmax_dim)."""
    return 0 if rank in (0, 1, 3) else 1


def facts(func, args, kwargs, inputs: list, outputs: list, ncl: bool = False) -> Facts:
    """The facts of one call: `inputs` / `outputs` are the shapes of its tensors (batch included), `ncl`: its
    first input is a (N, C, L) sequence (it came from a Conv1d)."""
    name = short_name(func).rstrip("_") if not short_name(func).startswith("__") else short_name(func)
    shape = inputs[0] if inputs else ()
    out = outputs[0] if outputs else ()
    rank = len(shape)
    layout = AxisRoles(rank, ncl)
    if name in ACTIVATIONS:
        dim = _arg(args, kwargs, 1, "dim")
        axes = _axes(softmax_dim(rank) if dim is None else dim, rank) if name in ("softmax", "log_softmax") else None
        return Facts("activation", activation=ACTIVATIONS[name], axes=axes)
    if name == "linear":
        weight = _arg(args, kwargs, 1, "weight")
        wshape = tuple(getattr(weight, "shape", ()))
        return Facts("dense", activation="linear", units=wshape[0] if wshape else None,
                     features=wshape[-1] if wshape else None, axes=(rank - 1,) if rank else None)
    if name in ADAPTIVE:
        pooling, dims_ = ADAPTIVE[name]
        size = _arg(args, kwargs, 1, "output_size")
        ones = all(s == 1 for s in (size if isinstance(size, (tuple, list)) else (size,)))
        spatial = tuple(range(rank - dims_, rank))
        if ones:
            return Facts("global_pool", pooling=pooling, pool_dims=dims_, axes=spatial,
                         reduces=SPATIAL if rank == dims_ + 2 else layout.what)
        return Facts("pool", axes=spatial)
    if name in WINDOWED:
        return _windowed(*WINDOWED[name], shape, out, layout)
    if name in POOLS or name in REDUCTIONS:
        return _reduction(name, args, kwargs, shape, layout)
    if name in RESHAPES:
        if name == "squeeze" and len(out) == 2 and rank > 2:
            return Facts("flatten", axes=tuple(a for a in range(1, rank) if shape[a] == 1))
        if len(out) == 2 and rank >= 2 and out[0] == shape[0]:
            return Facts("flatten")
        return Facts("reshape")
    if name in SELECTS:
        return _select(name, args, kwargs, shape, out, layout)
    if name in CONCATS:
        dim = _arg(args, kwargs, 1, "dim", "axis", default=0)
        return Facts("concat", axes=_axes(dim, rank + (name == "stack")))
    if name in DROPOUTS:
        return Facts("dropout")
    if name in NORMS:
        return Facts("norm")
    if name in CONVS:
        return Facts("conv")
    if name in MATH or name.lstrip("_").rstrip("_") in MATH:
        return Facts("math")
    return Facts("other")


def _windowed(pooling: str, dims_: int, shape, out, layout: AxisRoles) -> Facts:
    """F.avg_pool2d and the like pool the last `dims_` axes: a window as large as the map is a global pool.
    On a batch (rank dims_ + 2) those axes are the map's; on a rank dims_ + 1 tensor (F.avg_pool2d over
    (N, L, C) embeddings with an (L, 1) window) what it collapses says what it pools."""
    rank = len(shape)
    last = tuple(range(rank - dims_, rank))
    collapsed = tuple(a for a in last if len(out) == rank and out[a] == 1 and shape[a] != 1)
    if rank == dims_ + 2 and collapsed and all(out[a] == 1 for a in last):
        return Facts("global_pool", pooling=pooling, pool_dims=dims_, axes=last, reduces=SPATIAL)
    if rank == dims_ + 1 and collapsed and set(collapsed) == set(layout.spatial):
        tokens = (0, None) if layout.what == TOKENS else None
        return Facts("global_pool", pooling=pooling, pool_dims=len(collapsed), axes=collapsed, reduces=layout.what,
                     tokens=tokens)
    return Facts("pool", axes=last)


def _reduction(name: str, args, kwargs, shape, layout: AxisRoles) -> Facts:
    rank = len(shape)
    dim = _arg(args, kwargs, 1, "dim", "axis")
    if isinstance(dim, (int, tuple, list)):
        axes = _axes(dim, rank)
    else:  # no dim: over everything, the batch included (torch.max(x, y) is element-wise)
        if dim is not None or (name in ("max", "min") and len(args) > 1):
            return Facts("math")
        axes = tuple(range(rank))
    role = layout.role(axes)
    pooling = POOLS.get(name)
    whole = bool(layout.spatial) and set(axes) == set(layout.spatial)
    if pooling and whole:
        tokens = (0, None) if layout.what == TOKENS else None
        return Facts("global_pool", pooling=pooling, pool_dims=len(layout.spatial), axes=axes, reduces=role,
                     tokens=tokens)
    return Facts("reduce", axes=axes, reduces=role)


def _index_axes(index, rank: int) -> list[tuple[int, object]]:
    """(axis, item) for every index item that is not a full slice, with Ellipsis and None accounted for."""
    items = index if isinstance(index, tuple) else (index,)
    explicit = sum(1 for item in items if item is not Ellipsis and item is not None)
    found, axis = [], 0
    for item in items:
        if item is Ellipsis:
            axis += rank - explicit
        elif item is None:
            continue
        else:
            if not (isinstance(item, slice) and item == slice(None)):
                found.append((axis, item))
            axis += 1
    return found


def _select(name: str, args, kwargs, shape, out, layout: AxisRoles) -> Facts:
    rank = len(shape)
    if name == "__getitem__":
        picked = _index_axes(args[1] if len(args) > 1 else (), rank)
        axes = tuple(a for a, _ in picked)
        items = dict(picked)
    else:
        dim = _arg(args, kwargs, 1, "dim", default=0)
        axes = _axes(dim, rank) or ()
        items = {}
        if name == "select":
            items = {axes[0]: _arg(args, kwargs, 2, "index")} if axes else {}
        elif name == "narrow" and axes:
            start, length = _arg(args, kwargs, 2, "start"), _arg(args, kwargs, 3, "length")
            if isinstance(start, int) and isinstance(length, int):
                items = {axes[0]: slice(start, start + length)}
    gone = tuple(a for a, item in items.items() if isinstance(item, int))
    tokens = None
    if layout.what == TOKENS and 1 in items:
        tokens = _positions(items[1], shape[1])
    return Facts("select", axes=axes or None, reduces=layout.role(gone) if gone else None, tokens=tokens)


def _positions(item, length) -> tuple[int, int | None] | None:
    """The token positions an index reads, counted from 0: 0 -> (0, 1), 5: -> (5, None), -1 -> (L-1, L)."""
    if isinstance(item, int):
        start = item % length if length and item < 0 else item
        return (start, start + 1)
    if isinstance(item, slice) and item.step in (None, 1):
        start, stop = item.start or 0, item.stop
        if length:
            start = start % length if start < 0 else start
            stop = stop % length if isinstance(stop, int) and stop < 0 else stop
        return (start, stop)
    return None


def written(func, args, kwargs, tensor_names) -> str:
    """The call as it was written, as closely as the arguments allow: torch.flatten(x, 1), x.mean(dim=(2, 3)),
    x[:, 0], F.softmax(x, dim=1), x + y. `tensor_names(tensor)` names a tensor argument."""
    name = short_name(func)
    owner = qualified(func)

    def text(value):
        torch = import_torch()
        if isinstance(value, torch.Tensor):
            return tensor_names(value)
        if isinstance(value, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in value):
            inner = ", ".join(text(v) for v in value)
            return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
        if isinstance(value, torch.dtype):
            return str(value)
        return repr(value)

    if name == "__getitem__" and len(args) == 2:
        index = args[1] if isinstance(args[1], tuple) else (args[1],)
        return f"{text(args[0])}[{', '.join(_index_text(item, text) for item in index)}]"
    if owner.startswith("Tensor.") and name in OPERATORS and len(args) == 2 and not kwargs:
        return f"{text(args[0])} {OPERATORS[name]} {text(args[1])}"
    args = _batch_written(name, args, tensor_names)
    parts = [text(a) for a in args] + [f"{k}={text(v)}" for k, v in _given(func, kwargs).items()]
    if owner.startswith("Tensor.") and parts:
        return f"{parts[0]}.{name}({', '.join(parts[1:])})"
    return f"{owner}({', '.join(parts)})"


class _Written(str):
    """An argument spelled as source text (x.size(0)), not as its value."""

    def __repr__(self) -> str:
        return str(self)


def _batch_written(name: str, args, tensor_names) -> tuple:
    """x.view(x.size(0), -1) reads back as written, not as x.view(2, -1): the batch size is the first size a
    reshape of a batch takes."""
    if name in ("view", "reshape") and len(args) > 1 and isinstance(args[1], int) and args[0].dim() \
            and args[1] == args[0].shape[0] and args[1] != -1:
        return (args[0], _Written(f"{tensor_names(args[0])}.size(0)"), *args[2:])
    return args


def _given(func, kwargs: dict) -> dict:
    """The keyword arguments the caller gave: torch's own (_stacklevel) and those at their default are left out."""
    try:
        defaults = {k: p.default for k, p in inspect.signature(func).parameters.items()}
    except (TypeError, ValueError):
        defaults = {}
    return {k: v for k, v in kwargs.items() if not k.startswith("_") and not (k in defaults and _same(defaults[k], v))}


def _same(a, b) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return False


def _index_text(item, text) -> str:
    if item is Ellipsis:
        return "..."
    if isinstance(item, slice):
        bounds = ["" if item.start is None else str(item.start), "" if item.stop is None else str(item.stop)]
        return ":".join(bounds + ([str(item.step)] if item.step is not None else []))
    return text(item)


def recorder(callback):
    """A TorchFunctionMode that calls `callback(func, args, kwargs, run)` for every torch call; `run()` makes
    the call. Entered with `with recorder(...)`, left (and torch's mode stack restored) on the way out."""
    from torch.overrides import TorchFunctionMode

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            return callback(func, args, kwargs, lambda: func(*args, **kwargs))

    return Recorder()
