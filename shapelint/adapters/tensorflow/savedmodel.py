"""SavedModel directories (TF2 Hub modules, Keras exports, plain tf.Module saves) and resolved Hub handles."""

from __future__ import annotations

from typing import Callable, NamedTuple

from ...errors import one_line
from ...records.backbone import InputSpec
from ...records.inspection import FUNCTIONS, Endpoint, TensorInfo, callable_endpoints, describe_suspicious, probe_endpoint
from ...sources import SourceError
from ..base import Backbone, dims
from . import classifier, opscan, savedmodel_proto, tfcall
from .runtime import import_tensorflow


def load(path: str, name: str, kind: str = "savedmodel", trust: bool = False) -> Backbone:
    tf = import_tensorflow()
    # Scan before tf.saved_model.load: loading already runs the restore function and resource initialisers.
    proto = savedmodel_proto.read(path, trust=trust, name=name)
    suspicious = opscan.scan(proto, path)
    if suspicious and not trust:
        return unloaded(proto, name, kind, suspicious)
    # TF1 Hub modules hold several meta graphs ({} and {"train"}): load exactly the one that was scanned
    tags = list(savedmodel_proto.meta_graph(proto).meta_info_def.tags) if len(proto.meta_graphs) > 1 else None
    try:
        obj = tf.saved_model.load(path, tags=tags)
    except Exception as exc:  # a corrupt or foreign SavedModel: one line, not a traceback
        raise SourceError(f"{name}: cannot load SavedModel: {one_line(exc)}") from None
    trace = _choose(obj, name)
    image = trace.endpoint.image_input
    result = tfcall.backbone(trace.call(), InputSpec.from_shape(image.shape, image.dtype), name, kind, model=obj,
                             declared=image.shape)
    result.notes.append(f"probed through the SavedModel endpoint {trace.endpoint.name}")
    result.suspicious = suspicious
    result.classifier = classifier.saved_scores(trace.endpoint.outputs or _outputs(trace.fn))
    return result


def unloaded(proto, name: str, kind: str, suspicious) -> Backbone:
    """A SavedModel holding ops off the allowlist, never loaded: shapes are the ones its endpoint was saved with.

    Nothing is restored, traced or run; the parsed saved_model.pb is only read. (Tracing a loaded function
    would not run a py_func either: it adds a call op to a graph, and the Python callable behind a PyFunc
    token lives in the process that saved the model, not in this one. Loading is what is unsafe.)
    """
    chosen = probe_endpoint(savedmodel_proto.endpoints(proto))
    if chosen is None:
        raise SourceError(f"{name}: no endpoint takes one image tensor (N, H, W, C); not loaded: "
                          f"{describe_suspicious(suspicious)} (pass --trust to load and run it)")
    image = chosen.image_input
    saved = {t.name: tuple(t.shape) if t.shape is not None else () for t in chosen.outputs}  # () unknown rank, as dims()

    def symbolic(shape):
        if any(d is not None and d != s for d, s in zip(image.shape, shape)):
            raise ValueError(f"input {shape} does not match the saved {chosen.name} input {image.shape}")
        return {key: (shape[0], *out[1:]) if out and out[0] is None else out for key, out in saved.items()}

    def execute(shape):
        raise SourceError(f"{name}: not executed: {describe_suspicious(suspicious)}")

    reason = f"not loaded or executed: {describe_suspicious(suspicious)} (pass --trust to run it)"
    result = Backbone(name, kind, InputSpec.from_shape(image.shape, image.dtype), symbolic, execute,
                      blocked=reason, notes=[f"endpoint: {chosen.name}", reason])
    result.suspicious = suspicious
    result.classifier = classifier.saved_scores(chosen.outputs)
    return result


# --- the endpoint of a loaded object: described as Endpoint records, chosen by inspection.probe_endpoint ---

class Trace(NamedTuple):
    """One concrete function of a loaded endpoint, described as inspect describes a saved one."""

    endpoint: Endpoint
    fn: Callable  # the endpoint as loaded: a restored tf.function or a signature
    keyword: str | None  # the input's keyword when it is passed by keyword (signatures take keywords only)

    def call(self) -> Callable:
        """call(x): the endpoint on one image batch, with training=False when the function takes it."""
        fn, keyword = self.fn, self.keyword
        if keyword is not None:  # a signature: keyword arguments in, a dict of tensors out
            return lambda x: fn(**{keyword: x})
        if _accepts_training(fn):
            return lambda x: fn(x, training=False)
        return lambda x: fn(x)


def traces(obj) -> list[Trace]:
    """Every trace of the callable endpoints of a loaded object: restored tf.functions with concrete
    functions (FUNCTIONS), then signatures."""
    found = []
    for attr in FUNCTIONS:
        fn = getattr(obj, attr, None)
        if fn is not None and getattr(fn, "concrete_functions", None):
            found.extend(_traces_of(attr, "function", fn))
    for key, sig in getattr(obj, "signatures", {}).items():
        found.extend(_traces_of(key, "signature", sig))
    return found


def _traces_of(name: str, kind: str, fn) -> list[Trace]:
    tf = import_tensorflow()

    def info(leaf):
        if isinstance(leaf, tf.TensorSpec):
            return TensorInfo(leaf.name or "", leaf.dtype.name, dims(leaf.shape) if leaf.shape.rank is not None else None)
        if isinstance(leaf, tf.TypeSpec):  # RaggedTensorSpec, SparseTensorSpec, ...: a tensor, not an image
            return TensorInfo(type(leaf).__name__, "composite", None)
        return leaf

    found = []
    for cf in getattr(fn, "concrete_functions", None) or [fn]:
        args, kwargs = tf.nest.map_structure(info, cf.structured_input_signature)
        inputs, arguments = savedmodel_proto.split_arguments(args, kwargs, _parameter_names(cf))
        keyword = next((key for key, value in kwargs.items() if isinstance(value, TensorInfo)), None)
        found.append(Trace(Endpoint(name, kind, _name(cf), inputs, (), arguments), fn, keyword))
    return found


def _outputs(fn) -> tuple[TensorInfo, ...]:
    """The outputs a loaded endpoint was traced with (its first concrete function's)."""
    tf = import_tensorflow()
    functions = getattr(fn, "concrete_functions", None) or [fn]
    try:
        leaves = tf.nest.flatten(functions[0].structured_outputs)
    except Exception:  # an endpoint that does not say: nothing is claimed about it
        return ()
    return tuple(TensorInfo("", t.dtype.name, dims(t.shape) if t.shape.rank is not None else None)
                 for t in leaves if hasattr(t, "shape") and hasattr(t, "dtype"))


def _parameter_names(cf) -> tuple[str, ...]:
    function_type = getattr(cf, "function_type", None)
    names = tuple(function_type.parameters) if function_type is not None else ()
    return names[1:] if names[:1] == ("self",) else names


def _name(cf) -> str:
    name = getattr(cf, "name", "")
    return name.decode() if isinstance(name, bytes) else str(name)


def _choose(obj, name: str) -> Trace:
    found = traces(obj)
    chosen = probe_endpoint(t.endpoint for t in found)
    if chosen is not None:
        return next(t for t in found if t.endpoint is chosen)
    reasons = [f"{key} takes {_tensors_text(traces[-1].inputs) or 'no tensor'}"  # what its last trace takes
               for key, traces in callable_endpoints(t.endpoint for t in found).items()]
    detail = "; ".join(reasons) or "no callable endpoints"
    raise SourceError(f"{name}: no endpoint takes one image tensor (N, H, W, C) ({detail})")


def _tensors_text(tensors) -> str:
    return ", ".join(f"{t.name} {'<unknown>' if t.shape is None else tuple(t.shape)} {t.dtype}" for t in tensors)


def choose_endpoint(obj, name: str):
    """(endpoint name, call(x), InputSpec) for the endpoint inspection.probe_endpoint picks."""
    trace = _choose(obj, name)
    image = trace.endpoint.image_input
    return trace.endpoint.name, trace.call(), InputSpec.from_shape(image.shape, image.dtype)


def _accepts_training(fn) -> bool:
    for cf in getattr(fn, "concrete_functions", []):
        args, kwargs = cf.structured_input_signature
        if "training" in kwargs or len(args) > 1:
            return True
    return False


def spec_for(fn) -> InputSpec | None:
    """The image input of one loaded function or signature, or None if it takes no single image tensor."""
    image = next((t.endpoint.image_input for t in _traces_of("", "function", fn) if t.endpoint.image_input), None)
    return InputSpec.from_shape(image.shape, image.dtype) if image else None
