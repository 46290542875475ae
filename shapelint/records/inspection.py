"""What `shapelint inspect` learned about a source, and the note on how to use it. No framework imports.

Adapters fill these records from a SavedModel read as data (or from a loaded Keras model); the pooling
of each output comes from inner_pooling's walk through the traced function graph. Two pieces here serve
the probe as well: the rule for the endpoint it calls (probe_endpoint, applied alike to saved and to
loaded endpoints) and the wording of the ops outside the allowlist that opscan finds (describe_suspicious).
"""

from __future__ import annotations

from dataclasses import dataclass

from .backbone import InputSpec, Shape

# opscan's findings, as BackboneRecord.suspicious holds them: ((function or "graph", (op, ...)), ...)
Suspicious = tuple


def describe_suspicious(found: Suspicious, limit: int = 3) -> str:
    """'WriteFile in __inference_write_12; PyFunc in graph' (the first `limit` places), as the probe's
    refusal, the SL105 message and inspect word them."""
    parts = [f"{', '.join(ops)} in {where}" for where, ops in found[:limit]]
    more = f"; and {len(found) - limit} more functions" if len(found) > limit else ""
    return "; ".join(parts) + more


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
    pooling: str  # mean, max, none or unknown (inner_pooling.POOLINGS)
    tail_ops: tuple[str, ...] = ()  # the last ops before the output, earliest first


@dataclass(frozen=True)
class Variables:
    count: int = 0
    trainable: int = 0
    parameters: int = 0
    trainable_parameters: int = 0


@dataclass(frozen=True)
class LayerGroup:
    """A module's variables that share a name prefix (one layer), and the output stride after it when an op
    of that layer halves the spatial size (a stride-2 convolution or pooling)."""

    name: str
    variables: tuple[tuple[str, Shape, bool], ...]  # (leaf name, shape, trainable)
    parameters: int
    stride: int | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "parameters": self.parameters, "stride": self.stride,
                "variables": [{"name": n, "shape": list(shape), "trainable": t} for n, shape, t in self.variables]}


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
    suspicious: Suspicious | None = None  # opscan's findings (SL105); None: not a SavedModel, not scanned
    layers: tuple[LayerGroup, ...] = ()  # variables grouped by layer, in the module's order (SavedModels)

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
            "suspicious": None if self.suspicious is None else [[where, list(ops)] for where, ops in self.suspicious],
            "layers": [layer.to_json() for layer in self.layers],
            "error": None,
        }


# --- the endpoint the probe calls -----------------------------------------------------------------------

# The order the probe tries endpoints: what hub.KerasLayer calls first, then a Keras 3 export, then signatures.
ENDPOINTS = ("__call__", "serve", "serving_default")
FUNCTIONS = ENDPOINTS[:2]  # the object-graph functions the probe calls; it calls no other root function


def callable_endpoints(endpoints) -> dict[str, list[Endpoint]]:
    """The traces the probe may call, by endpoint name in the order it tries them: the functions `__call__`
    and `serve` and every signature, a function hiding a signature of its name; ENDPOINTS first, then by name."""
    candidates = [e for e in endpoints if e.kind == "signature" or e.name in FUNCTIONS]
    functions = {e.name for e in candidates if e.kind == "function"}
    names = {e.name for e in candidates}
    found = {}
    for name in [n for n in ENDPOINTS if n in names] + sorted(names - set(ENDPOINTS)):
        kind = "function" if name in functions else "signature"
        found[name] = [e for e in candidates if e.name == name and e.kind == kind]
    return found


def probe_endpoint(endpoints) -> Endpoint | None:
    """The trace the probe calls, one rule whether the endpoints were read from saved_model.pb (inspect, a
    module not loaded) or from a loaded object (the probe): of callable_endpoints, the first with exactly
    one rank-4 tensor input, its training=False trace if it has one (the probe passes training=False)."""
    for traces in callable_endpoints(endpoints).values():
        images = [e for e in traces if e.image_input is not None]
        if images:
            return next((e for e in images if "training=False" in e.arguments), images[0])
    return None


# --- what to tell the user ---------------------------------------------------------------------------

def hub_endpoint(endpoints, outputs=()) -> tuple[Endpoint | None, str]:
    """What hub.KerasLayer would call and the arguments it needs: `__call__` as is; otherwise a signature
    (serving_default first), which needs signature= and output_key=. Where it returns a dict, output_key
    picks the output the classifier should take (a pooled one when there is one; see chosen_output)."""
    call = next((e for e in endpoints if e.name == "__call__" and e.kind == "function"), None)
    signatures = sorted((e for e in endpoints if e.kind == "signature"), key=lambda e: e.name != "serving_default")
    e = call or (signatures[0] if signatures else None)
    if e is None:
        return None, ""
    signature = f', signature="{e.name}"' if e is not call else ""
    if e is call and len(e.outputs) <= 1:
        return e, ""
    return e, f'{signature}, output_key="{chosen_output(e, outputs)}"'


def chosen_output(endpoint: Endpoint, outputs) -> str:
    """The output a classifier takes: the only one, else the first already pooled, else the first."""
    pooling = {o.name: o.pooling for o in outputs}
    names = [t.name for t in endpoint.outputs]
    return next((n for n in names if pooling.get(n) in ("mean", "max")), names[0] if names else "")


def _pooling_advice(name: str, pooling: str, taken: bool = False) -> str:
    if pooling in ("mean", "max"):
        return (f"{name} is already pooled ({pooling} over height and width): "
                "do not add GlobalAveragePooling2D; Dense goes right after it.")
    if pooling == "none":
        if taken:
            return f"{name} is a feature map: the GlobalAveragePooling2D() above pools it before Dense."
        return f"{name} is a feature map: add tf_keras.layers.GlobalAveragePooling2D() before Dense."
    return f"{name}: how it pools could not be read from the graph; `shapelint probe` shows its shapes."


def usage_note(inspection: Inspection, handle: str) -> str:
    """Plain-language advice on wrapping a SavedModel with hub.KerasLayer, from what inspection found."""
    endpoint, extra = hub_endpoint(inspection.endpoints, inspection.outputs)
    if endpoint is None or inspection.input is None:
        return "No endpoint takes one image tensor (N, H, W, C): hub.KerasLayer cannot use it as an image model."
    outputs = inspection.outputs
    taken = next((o for o in outputs if o.name == chosen_output(endpoint, outputs)), None) if len(outputs) > 1 \
        else (outputs[0] if outputs else None)
    pool = "tf_keras.layers.GlobalAveragePooling2D(), " if taken is not None and taken.pooling == "none" else ""
    lines = [
        "With Keras 3, hub.KerasLayer must go into a tf_keras model (keras.Sequential rejects it):",
        "    import tf_keras",
        "    import tensorflow_hub as hub",
        f'    model = tf_keras.Sequential([hub.KerasLayer("{handle}"{extra}), {pool}tf_keras.layers.Dense(num_classes)])',
    ]
    if any(e.name == "serve" and e.kind == "function" for e in inspection.endpoints) and endpoint.kind == "signature":
        lines.append(f'Keras 3 can call its serve endpoint directly: keras.layers.TFSMLayer("{handle}", '
                     'call_endpoint="serve") (inference only).')
    if len(outputs) == 1:
        lines.append(_pooling_advice("The output", outputs[0].pooling, taken=True))
    elif outputs:
        lines.append(f'It returns several outputs (a dict); output_key="{taken.name if taken else outputs[0].name}" '
                     "picks one:")
        lines.extend("  " + _pooling_advice(o.name, o.pooling, taken=o is taken) for o in outputs)
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
