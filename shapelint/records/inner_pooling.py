"""inner_pooling: how a module reduces height and width at its end, read from its traced function graph.

From an output, walk back along each op's first data input, into called functions and back out through
their arguments, past ops that only reshape or rename (PASS_THROUGH). A Mean or Max whose constant axes
are the spatial ones is the pooling; a rank-4 output without one is a map ('none'); anything else is
'unknown'. Plain data and plain Python: the adapter converts FunctionDefs into Function records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .backbone import Layout
from .inspection import OutputAnalysis

# Ops an output passes through without changing what it is: walked past when looking for the reduction.
PASS_THROUGH = frozenset({
    "Identity", "IdentityN", "Reshape", "Squeeze", "StopGradient", "Snapshot", "EnsureShape", "Cast",
    "CheckNumerics", "PreventGradient",
})
HIDDEN = frozenset({"Identity", "IdentityN", "NoOp"})  # not worth showing as evidence
REDUCTIONS = {"Mean": "mean", "Max": "max"}
SPATIAL_AXES = (Layout.NHWC.spatial_axes, Layout.NCHW.spatial_axes)  # (1, 2) and (2, 3)
POOLINGS = ("mean", "max", "none", "unknown")
TAIL_LENGTH = 5


@dataclass(frozen=True)
class Op:
    name: str
    type: str
    inputs: tuple[str, ...] = ()  # data inputs as references: "node:output_arg:index" or an argument name
    calls: str | None = None  # the library function a call op runs (PartitionedCall f, or an op named after it)
    value: tuple | None = None  # a small integer Const's value (reduction axes)


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[str, ...]
    outputs: tuple[str, ...]  # references, in output order
    output_names: tuple[str, ...] = ()
    ops: dict = field(default_factory=dict, hash=False)  # name -> Op

    def calls(self) -> list[str]:
        return [op.calls for op in self.ops.values() if op.calls]


def _split(ref: str) -> tuple[str, str, int]:
    node, _, rest = ref.partition(":")
    arg, _, index = rest.partition(":")
    return node, arg, int(index or 0)


def walk_back(functions: dict, function: str, output: int):
    """Yield (op, function name) from an output backwards along each op's first data input.

    Call ops are entered (the callee's output is followed), and a callee's argument leads back out to
    the caller's input; the walk ends at the top function's arguments or at an op with no inputs.
    """
    fn = functions.get(function)
    if fn is None or output >= len(fn.outputs):
        return
    ref, stack, seen = fn.outputs[output], [], set()
    while (fn.name, ref) not in seen:
        seen.add((fn.name, ref))
        node, arg, index = _split(ref)
        if node in fn.args and not arg:  # a function argument: back out to the caller
            if not stack:
                return
            caller, call = stack.pop()
            position = fn.args.index(node)
            fn = caller
            if position >= len(call.inputs):
                return
            ref = call.inputs[position]
            continue
        op = fn.ops.get(node)
        if op is None:
            return
        callee = functions.get(op.calls) if op.calls else None
        if callee is not None:
            position = callee.output_names.index(arg) if arg in callee.output_names else index
            if position >= len(callee.outputs):
                return
            stack.append((fn, op))
            fn, ref = callee, callee.outputs[position]
            continue
        yield op, fn
        if not op.inputs:
            return
        ref = op.inputs[index] if op.type == "IdentityN" and index < len(op.inputs) else op.inputs[0]


def axes_of(op: Op, fn: Function) -> tuple | None:
    """The constant reduction axes of a Mean/Max op, followed through Identity-like ops to a Const."""
    if len(op.inputs) < 2:
        return None
    ref = op.inputs[1]
    for _ in range(8):
        source = fn.ops.get(_split(ref)[0])
        if source is None:
            return None
        if source.type == "Const":
            return source.value
        if source.type not in PASS_THROUGH or not source.inputs:
            return None
        ref = source.inputs[0]
    return None


def describe(op: Op, fn: Function) -> str:
    if op.type in REDUCTIONS:
        axes = axes_of(op, fn)
        return f"{op.type}(axes={list(axes)})" if axes is not None else op.type
    return op.type


def unpooled(shape) -> str:
    """The pooling of an output with no spatial reduction at its end: 'none' for a rank-4 map, else 'unknown'."""
    return "none" if shape is not None and len(shape) == 4 else "unknown"


def analyse_output(functions: dict, function: str, index: int, name: str, dtype: str, shape) -> OutputAnalysis:
    """inner_pooling and tail_ops of one output of a traced function."""
    pooling, tail, deciding = None, [], True
    for op, fn in walk_back(functions, function, index):
        if deciding and op.type not in PASS_THROUGH:
            deciding = False
            axes = axes_of(op, fn) if op.type in REDUCTIONS else None
            if axes is not None and tuple(sorted(axes)) in SPATIAL_AXES:
                pooling = REDUCTIONS[op.type]
        if op.type not in HIDDEN:
            tail.append(describe(op, fn))
        if len(tail) >= TAIL_LENGTH:
            break
    return OutputAnalysis(name, dtype, shape, pooling or unpooled(shape), tuple(reversed(tail)))
