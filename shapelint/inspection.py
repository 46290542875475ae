"""What `shapelint inspect` learned about a source, and the analysis that needs no framework.

Adapters fill these records from a SavedModel read as data (or from a loaded Keras model); everything
here is plain Python: the walk from an output back through the traced function graph, the pooling it
finds, and the note on how to use the module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import InputSpec, Shape

# Ops an output passes through without changing what it is: walked past when looking for the reduction.
PASS_THROUGH = frozenset({
    "Identity", "IdentityN", "Reshape", "Squeeze", "StopGradient", "Snapshot", "EnsureShape", "Cast",
    "CheckNumerics", "PreventGradient",
})
HIDDEN = frozenset({"Identity", "IdentityN", "NoOp"})  # not worth showing as evidence
REDUCTIONS = {"Mean": "mean", "Max": "max"}
SPATIAL_AXES = ((1, 2), (2, 3))  # channels_last, channels_first
POOLINGS = ("mean", "max", "none", "unknown")
TAIL_LENGTH = 5


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: Shape | None  # None: unknown rank; None inside: unknown dimension

    def to_json(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "shape": None if self.shape is None else list(self.shape)}


@dataclass(frozen=True)
class Endpoint:
    """One traced callable: an object-graph function (`__call__`, `serve`) or a signature."""

    name: str
    kind: str  # "function" or "signature"
    function: str  # the concrete function in the library
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    arguments: tuple[str, ...] = ()  # non-tensor arguments baked into the trace, e.g. "training=False"

    @property
    def image_input(self) -> TensorInfo | None:
        """The one rank-4 tensor input, as the probe requires; None if there is not exactly one tensor."""
        if len(self.inputs) == 1 and self.inputs[0].shape is not None and len(self.inputs[0].shape) == 4:
            return self.inputs[0]
        return None

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "function": self.function,
                "inputs": [t.to_json() for t in self.inputs], "outputs": [t.to_json() for t in self.outputs],
                "arguments": list(self.arguments)}


@dataclass(frozen=True)
class OutputAnalysis:
    name: str
    dtype: str
    shape: Shape | None
    pooling: str  # one of POOLINGS
    tail_ops: tuple[str, ...] = ()  # the last ops before the output, earliest first


@dataclass(frozen=True)
class Variables:
    count: int = 0
    trainable: int = 0
    parameters: int = 0
    trainable_parameters: int = 0


@dataclass(frozen=True)
class Inspection:
    source: str
    kind: str = ""
    endpoints: tuple[Endpoint, ...] = ()
    probe_endpoint: str | None = None
    probe_function: str | None = None  # the concrete function of the trace the probe calls
    input: InputSpec | None = None
    value_range: tuple[float, float] | None = None
    outputs: tuple[OutputAnalysis, ...] = ()
    variables: Variables = Variables()
    fine_tunable: bool | None = None  # could hub.KerasLayer(trainable=True) train it; None: not a Hub-style module
    fine_tune_reason: str = ""
    usage: str = ""
    notes: tuple[str, ...] = ()
    error: str | None = None

    def to_json(self) -> dict:
        if self.error:
            return {"source": self.source, "error": self.error}
        spec = self.input
        signatures = {e.name: {"inputs": [t.to_json() for t in e.inputs], "outputs": [t.to_json() for t in e.outputs]}
                      for e in self.endpoints if e.kind == "signature"}
        v = self.variables
        return {
            "source": self.source,
            "kind": self.kind,
            "signatures": signatures,
            "endpoints": [e.to_json() for e in self.endpoints],
            "probe_endpoint": self.probe_endpoint,
            "probe_function": self.probe_function,
            "inputs": None if spec is None else {
                "dtype": spec.dtype, "layout": spec.layout.value, "channels": spec.channels,
                "height": spec.height, "width": spec.width, "fixed_size": spec.fixed_size is not None,
                "value_range": None if self.value_range is None else list(self.value_range),
            },
            "outputs": [{"name": o.name, "dtype": o.dtype, "shape": None if o.shape is None else list(o.shape)}
                        for o in self.outputs],
            "inner_pooling": {o.name: o.pooling for o in self.outputs},
            "tail_ops": {o.name: list(o.tail_ops) for o in self.outputs},
            "variables": {"count": v.count, "trainable": v.trainable, "non_trainable": v.count - v.trainable},
            "parameters": {"total": v.parameters, "trainable": v.trainable_parameters,
                           "non_trainable": v.parameters - v.trainable_parameters},
            "fine_tunable": self.fine_tunable,
            "fine_tune_reason": self.fine_tune_reason,
            "usage": self.usage,
            "notes": list(self.notes),
            "error": None,
        }


# --- the traced graph, as plain data -------------------------------------------------------------------

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
    if pooling is None:
        pooling = "none" if shape is not None and len(shape) == 4 else "unknown"
    return OutputAnalysis(name, dtype, shape, pooling, tuple(reversed(tail)))


# --- what to tell the user ---------------------------------------------------------------------------

def hub_endpoint(endpoints) -> tuple[Endpoint | None, str]:
    """What hub.KerasLayer would call and the arguments it needs: `__call__` as is; otherwise a signature
    (serving_default first), which needs signature= and output_key=."""
    for e in endpoints:
        if e.name == "__call__" and e.kind == "function":
            return e, ""
    signatures = sorted((e for e in endpoints if e.kind == "signature"), key=lambda e: e.name != "serving_default")
    if not signatures:
        return None, ""
    e = signatures[0]
    key = e.outputs[0].name if len(e.outputs) == 1 else "<one of: " + ", ".join(t.name for t in e.outputs) + ">"
    return e, f', signature="{e.name}", output_key="{key}"'


def _pooling_advice(name: str, pooling: str) -> str:
    if pooling in ("mean", "max"):
        return f"{name} is already pooled ({pooling} over height and width): do not add GlobalAveragePooling2D; Dense goes right after it."
    if pooling == "none":
        return f"{name} is a feature map: add tf_keras.layers.GlobalAveragePooling2D() before Dense."
    return f"{name}: how it pools could not be read from the graph; `shapelint probe` shows its shapes."


def usage_note(inspection: Inspection, handle: str) -> str:
    """Plain-language advice on wrapping a SavedModel with hub.KerasLayer, from what inspection found."""
    endpoint, extra = hub_endpoint(inspection.endpoints)
    if endpoint is None or inspection.input is None:
        return "No endpoint takes one image tensor (N, H, W, C): hub.KerasLayer cannot use it as an image model."
    lines = [
        "With Keras 3, hub.KerasLayer must go into a tf_keras model (keras.Sequential rejects it):",
        "    import tf_keras",
        "    import tensorflow_hub as hub",
        f'    model = tf_keras.Sequential([hub.KerasLayer("{handle}"{extra}), tf_keras.layers.Dense(num_classes)])',
    ]
    if any(e.name == "serve" and e.kind == "function" for e in inspection.endpoints) and extra:
        lines.append(f'Keras 3 can call its serve endpoint directly: keras.layers.TFSMLayer("{handle}", '
                     'call_endpoint="serve") (inference only).')
    outputs = inspection.outputs
    if len(outputs) == 1:
        lines.append(_pooling_advice("The output", outputs[0].pooling))
    elif outputs:
        lines.append("It returns several outputs; output_key picks one:" if extra else
                     "It returns several outputs (a dict); pick one in a functional tf_keras model, e.g. "
                     f'hub.KerasLayer("{handle}")(images)["{outputs[-1].name}"]:')
        lines.extend("  " + _pooling_advice(o.name, o.pooling) for o in outputs)
    spec = inspection.input
    if spec.fixed_size:
        lines.append(f"Its signature fixes the input to {spec.height}x{spec.width}: resize images to that size.")
    if inspection.value_range:
        low, high = inspection.value_range
        lines.append(f"It declares input values in [{low:g}, {high:g}]: scale images to that range.")
    else:
        lines.append("It declares no input value range: check its documentation "
                     "(TF Hub's image modules conventionally take float32 in [0, 1]).")
    if inspection.fine_tunable is False:
        lines.append(f"Fine-tuning with trainable=True would train nothing: {inspection.fine_tune_reason}.")
    return "\n".join(lines)
