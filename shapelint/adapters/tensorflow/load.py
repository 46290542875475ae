"""Source -> Backbone: pick the adapter for each kind of source."""

from __future__ import annotations

import difflib
from pathlib import Path

from ...errors import one_line
from ...records.backbone import InputSpec
from ...sources import FactoryError, Source, SourceError
from ..base import Backbone
from ..factory import call_factory as factory_call
from . import classifier, keras3, kerasfile, kerashub, kerasscan, savedmodel, tfcall
from .runtime import import_tensorflow


def load(source: Source, unsafe: bool = False, trust: bool = False) -> Backbone:
    """unsafe: skip the Keras file and config checks; trust: load and run SavedModels that hold ops off the allowlist."""
    import_tensorflow()
    if source.kind == "keras-app":
        found = keras3.application(lambda **shape: keras_application(source, **shape), source.text)
        found.classifier = classifier.application(found.model)  # include_top=True: a whole classifier
        return found
    if source.kind == "keras-file":
        return from_object(load_keras_file(source, unsafe), source.text)
    if source.kind in ("savedmodel", "hub"):
        return savedmodel.load(source.location, source.text, source.kind, trust=trust)
    if source.kind == "factory":
        return from_object(call_factory(source), source.text)
    if source.kind == "keras-hub":
        return kerashub.from_class(source)
    if source.kind == "kerashub-preset":
        return kerashub.from_preset(source, unsafe)
    raise SourceError(f"{source.text}: unsupported source kind {source.kind}")


def load_object(source: Source, unsafe: bool = False):
    """The model object behind a Keras file or a factory, not yet shaped: `check` reads any model graph."""
    import_tensorflow()
    return load_keras_file(source, unsafe) if source.kind == "keras-file" else call_factory(source)


def from_object(obj, name: str) -> Backbone:
    """A model object of any supported framework: Keras 3, tf_keras, hub.KerasLayer, a loaded SavedModel, tf.Module."""
    if keras3.is_keras3(obj):
        found = keras3.backbone(obj, name)
        found.classifier = classifier.application(obj)
        return found
    import tf_keras

    if isinstance(obj, tf_keras.Model):
        spec = keras3.input_spec(obj.inputs or [], name)
        found = tfcall.backbone(lambda x: obj(x, training=False), spec, name, "tf_keras", model=obj)
        found.classifier = classifier.application(obj)
        return found
    if isinstance(obj, tf_keras.layers.Layer):  # e.g. hub.KerasLayer on its own
        spec = _layer_spec(obj) or InputSpec()
        return tfcall.backbone(lambda x: obj(x, training=False), spec, name, "tf_keras", model=obj)
    if savedmodel.traces(obj):  # a loaded SavedModel: tf.saved_model.load(...) or hub.load(...)
        endpoint, call, spec = savedmodel.choose_endpoint(obj, name)
        return tfcall.backbone(call, spec, name, "savedmodel", model=obj)
    tf = import_tensorflow()
    if isinstance(obj, tf.Module) and callable(obj):  # a live module, shaped by its __call__'s input_signature
        return tfcall.backbone(obj, _module_spec(obj) or InputSpec(), name, "tf.Module", model=obj)
    raise SourceError(f"{name}: expected a Keras model, a tf_keras model or a hub.KerasLayer, got {type(obj).__name__}")


def _module_spec(module):
    signature = getattr(module.__call__, "input_signature", None)
    if signature and len(signature) == 1:
        return savedmodel.spec_for(module.__call__.get_concrete_function())
    return None


def _layer_spec(layer):
    """A tf_keras layer's image input: its declared input shape, else (hub.KerasLayer) what its module takes."""
    shape = getattr(layer, "_batch_input_shape", None)
    if shape and len(shape) == 4:
        return InputSpec.from_shape(tuple(shape), "float32")
    func = getattr(layer, "_func", None)  # the restored module, or one of its signatures
    for candidate in (getattr(func, "__call__", None), func):
        if getattr(candidate, "concrete_functions", None) or hasattr(candidate, "structured_input_signature"):
            return savedmodel.spec_for(candidate)
    return None


def keras_application(source: Source, **overrides):
    import keras

    names = sorted(n for n in dir(keras.applications) if n[:1].isupper() and callable(getattr(keras.applications, n)))
    if source.location not in names:
        close = difflib.get_close_matches(source.location, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(names[:8])}, ..."
        raise SourceError(f"{source.text}: unknown keras.applications name {source.location!r}{hint}")
    options = {"include_top": False, "weights": None}
    options.update(source.options)
    options.update(overrides)
    if not options["include_top"]:
        options.setdefault("input_shape", (None, None, 3))
    if options.get("weights") not in (None, "none"):
        raise SourceError(f"{source.text}: shapelint builds architectures only (weights=None); shapes do not depend on weights")
    options["weights"] = None
    try:
        return getattr(keras.applications, source.location)(**options)
    except Exception as exc:
        raise SourceError(f"{source.text}: cannot build: {one_line(exc)}") from None


def load_keras_file(source: Source, unsafe: bool):
    """A .keras or legacy .h5 model, loaded from a private copy whose format, container and config were
    checked first (kerasfile, kerasscan): nothing that runs code or reads the host is deserialised."""
    path = source.location
    if Path(path).stat().st_size == 0:
        raise SourceError(f"{source.text}: empty file")
    with kerasfile.private_copy(path) as copy:
        if not unsafe:
            kind = kerasfile.check_file(copy, source.text)
            try:
                kerasscan.check_config(kerasscan.read_config(copy, kind), source.text)
            except kerasscan.UnreadableConfig as exc:
                raise SourceError(f"{source.text}: cannot load: {exc}") from None
        return _load_copy(copy, source, unsafe)


def _load_copy(copy: str, source: Source, unsafe: bool):
    import keras

    try:  # compiled, so the head linter sees the loss; the config was checked above
        return keras.saving.load_model(copy, safe_mode=not unsafe)
    except Exception as first:
        if _unsafe_refusal(first):
            raise SourceError(f"{source.text}: refused to load: {one_line(first)} (pass --unsafe-load to allow)") from None
        error = first
    import tf_keras  # legacy .h5 files, and .keras files written by tf_keras, which Keras 3 cannot read

    try:  # the same copy, past the same checks: tf_keras has no safe mode for .h5 Lambdas of its own
        return tf_keras.models.load_model(copy, safe_mode=not unsafe)
    except Exception as second:
        error = second if copy.endswith((".h5", ".hdf5")) or "tf_keras" in str(error) else error
    raise SourceError(f"{source.text}: cannot load: {one_line(error).replace(copy, source.text)}") from None


def _unsafe_refusal(exc: Exception) -> bool:
    return "safe_mode" in str(exc) or "unsafe" in str(exc).lower()


def call_factory(source: Source):
    """The factory's model, with the line that created each Keras layer recorded (LayerRecord.origin)."""
    from .hints import keras3_holding_hub
    from .origins import recording_layers

    try:
        return factory_call(source, recording_layers)
    except FactoryError as exc:
        raise keras3_holding_hub(source.text, exc) or exc from None
