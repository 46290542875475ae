"""SavedModel directories (TF2 Hub modules, Keras exports, plain tf.Module saves) and resolved Hub handles."""

from __future__ import annotations

from ..errors import one_line
from ..records import InputSpec
from ..sources import SourceError
from . import opscan, savedmodel_proto, tfcall
from ._quiet import import_tensorflow
from .base import Backbone, dims
from .keras3 import spec_from_shape

# The order a probe tries callable endpoints: what hub.KerasLayer calls first, then Keras export and signatures.
ENDPOINTS = ("__call__", "serve", "serving_default")


def load(path: str, name: str, kind: str = "savedmodel", trust: bool = False) -> Backbone:
    tf = import_tensorflow()
    # Scan before tf.saved_model.load: loading already runs the restore function and resource initialisers.
    proto = savedmodel_proto.read(path)
    suspicious = opscan.scan(proto)
    if suspicious and not trust:
        return unloaded(path, name, kind, suspicious)
    # TF1 Hub modules hold several meta graphs ({} and {"train"}): load exactly the one that was scanned
    tags = list(savedmodel_proto.meta_graph(proto).meta_info_def.tags) if len(proto.meta_graphs) > 1 else None
    try:
        obj = tf.saved_model.load(path, tags=tags)
    except Exception as exc:  # a corrupt or foreign SavedModel: one line, not a traceback
        raise SourceError(f"{name}: cannot load SavedModel: {one_line(exc)}") from None
    endpoint, call, spec = choose_endpoint(obj, name)
    image, _ = image_input(endpoints(obj)[endpoint])
    result = tfcall.backbone(call, spec, name, kind, model=obj, declared=dims(image[1].shape))
    result.notes.append(f"probed through the SavedModel endpoint {endpoint}")
    result.suspicious = suspicious
    return result


def unloaded(path: str, name: str, kind: str, suspicious) -> Backbone:
    """A SavedModel with host-access ops, never loaded: shapes are the ones its endpoint was saved with.

    Nothing is restored, traced or run; saved_model.pb is only read. (Tracing a loaded function would
    not run a py_func either: it adds a call op to a graph, and the Python callable behind a PyFunc
    token lives in the process that saved the model, not in this one. Loading is what is unsafe.)
    """
    from .inspector import probe_endpoint  # inspector imports this module

    proto = savedmodel_proto.read(path)
    chosen = probe_endpoint(savedmodel_proto.endpoints(proto) or _signature_endpoints(proto))
    if chosen is None:
        raise SourceError(f"{name}: no endpoint takes one image tensor (N, H, W, C); not loaded: "
                          f"{opscan.describe(suspicious)} (pass --trust to load and run it)")
    image = chosen.image_input
    saved = {t.name: tuple(t.shape) if t.shape is not None else () for t in chosen.outputs}  # () unknown rank, as dims()

    def symbolic(shape):
        if any(d is not None and d != s for d, s in zip(image.shape, shape)):
            raise ValueError(f"input {shape} does not match the saved {chosen.name} input {image.shape}")
        return {key: (shape[0], *out[1:]) if out and out[0] is None else out for key, out in saved.items()}

    def execute(shape):
        raise SourceError(f"{name}: not executed: {opscan.describe(suspicious)}")

    reason = f"not loaded or executed: {opscan.describe(suspicious)} (pass --trust to run it)"
    result = Backbone(name, kind, spec_from_shape(image.shape, image.dtype), symbolic, execute,
                      blocked=reason, notes=[f"endpoint: {chosen.name}", reason])
    result.suspicious = suspicious
    return result


def _signature_endpoints(proto) -> list:
    """Endpoints of a TF1 SavedModel, which has signature_defs but no object graph."""
    from ..inspection import Endpoint, TensorInfo

    def tensors(infos):
        return tuple(TensorInfo(key, savedmodel_proto.dtype_name(info.dtype), savedmodel_proto.shape_of(info.tensor_shape))
                     for key, info in sorted(infos.items()))

    signatures = savedmodel_proto.meta_graph(proto).signature_def
    return [Endpoint(key, "signature", key, tensors(sig.inputs), tensors(sig.outputs)) for key, sig in signatures.items()]


def endpoints(obj) -> dict:
    """Callable endpoints by name: restored tf.functions with concrete functions, then signatures."""
    found = {}
    for attr in ("__call__", "serve"):
        fn = getattr(obj, attr, None)
        if fn is not None and getattr(fn, "concrete_functions", None):
            found[attr] = fn
    for key, sig in getattr(obj, "signatures", {}).items():
        found.setdefault(key, sig)
    return found


def choose_endpoint(obj, name: str):
    """(endpoint name, call(x), InputSpec) for the first endpoint that takes one image tensor."""
    found = endpoints(obj)
    ordered = [key for key in ENDPOINTS if key in found] + sorted(set(found) - set(ENDPOINTS))
    reasons = []
    for key in ordered:
        fn = found[key]
        image, extra = image_input(fn)
        if image is None:
            reasons.append(f"{key} takes {extra or 'no tensor'}")
            continue
        spec = spec_from_shape(dims(image[1].shape), image[1].dtype.name)
        return key, _caller(key, fn, image[0]), spec
    detail = "; ".join(reasons) or "no callable endpoints"
    raise SourceError(f"{name}: no endpoint takes one image tensor (N, H, W, C) ({detail})")


def image_input(fn):
    """((keyword or None, TensorSpec), None) for a function with one rank-4 tensor input, else (None, description)."""
    tf = import_tensorflow()
    concrete = getattr(fn, "concrete_functions", None) or [fn]
    for cf in concrete:
        args, kwargs = cf.structured_input_signature
        tensors = [(None, s) for s in tf.nest.flatten(args) if isinstance(s, tf.TensorSpec)]
        tensors += [(k, s) for k, s in kwargs.items() if isinstance(s, tf.TensorSpec)]
        if len(tensors) == 1 and tensors[0][1].shape.rank == 4:
            return tensors[0], None
    shapes = ", ".join(f"{k or 'input'} {s.shape} {s.dtype.name}" for k, s in tensors) if concrete else ""
    return None, shapes


def _caller(endpoint: str, fn, keyword):
    if keyword is not None:  # a signature: keyword arguments in, a dict of tensors out
        return lambda x: fn(**{keyword: x})
    if _accepts_training(fn):
        return lambda x: fn(x, training=False)
    return lambda x: fn(x)


def _accepts_training(fn) -> bool:
    for cf in getattr(fn, "concrete_functions", []):
        args, kwargs = cf.structured_input_signature
        if "training" in kwargs or len(args) > 1:
            return True
    return False


def spec_for(fn) -> InputSpec | None:
    image, _ = image_input(fn)
    return spec_from_shape(dims(image[1].shape), image[1].dtype.name) if image else None
