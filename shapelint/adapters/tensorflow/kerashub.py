"""KerasHub backbones (Keras 3): built from a class and its arguments, or from a preset's config.json, never
with weights. A preset's config goes through the same scan as a `.keras` file's before anything reads it."""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import json
import warnings
from pathlib import Path

from ...errors import one_line
from ...sources import Source, SourceError
from ..base import Backbone
from . import keras3, kerasscan
from .runtime import import_tensorflow, stderr_silenced
from .tokens import keras_hub_tokens

INSTALL = "pip install 'shapelint[kerashub]'"


def import_keras_hub():
    """keras_hub, imported quietly (it imports TensorFlow text ops with their own start-up chatter)."""
    if importlib.util.find_spec("keras_hub") is None:
        raise SourceError(f"keras_hub not installed: {INSTALL}")
    import_tensorflow()
    with stderr_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras_hub
    return keras_hub


def backbone_classes() -> dict:
    """The allowlist: every public KerasHub class that is a Backbone, by name."""
    keras_hub = import_keras_hub()
    base = keras_hub.models.Backbone
    return {name: cls for name, cls in vars(keras_hub.models).items()
            if inspect.isclass(cls) and issubclass(cls, base) and cls is not base}


def from_class(source: Source) -> Backbone:
    """keras_hub:ResNetBackbone?stackwise_num_filters=[64]&...: the class built from its arguments, no weights."""
    classes = backbone_classes()
    cls = classes.get(source.location)
    if cls is None:
        close = difflib.get_close_matches(source.location, list(classes), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SourceError(f"{source.text}: {source.location!r} is not a keras_hub.models Backbone class{hint}")
    options = {key: _argument(value) for key, value in source.options.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = cls(**options)
    except Exception as exc:
        raise SourceError(f"{source.text}: cannot build: {one_line(exc)}") from None
    return _backbone(model, source.text)


def from_preset(source: Source, unsafe: bool = False) -> Backbone:
    """A preset folder (config.json, metadata.json, weights optional) or its kagglehub copy, built without weights."""
    folder = Path(source.location)
    config = read_preset_config(folder, source.text)
    if not unsafe:
        _check_backbone_class(config, source.text)
        kerasscan.check_config(config.get("config", {}), source.text)  # every object inside: Keras's allowlist
    keras_hub = import_keras_hub()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = keras_hub.models.Backbone.from_preset(str(folder), load_weights=False)
    except Exception as exc:
        raise SourceError(f"{source.text}: cannot build from config.json: {one_line(exc)}") from None
    return _backbone(model, source.text)


def _check_backbone_class(config: dict, text: str) -> None:
    """The preset's own class must be a keras_hub.models Backbone, under the module and name KerasHub writes."""
    name, module, registered = config.get("class_name"), config.get("module"), config.get("registered_name")
    cls = backbone_classes().get(name) if isinstance(name, str) else None
    if cls is None or module != cls.__module__ or registered not in (None, f"keras_hub>{name}"):
        raise SourceError(f"{text}: refused to load: config.json describes {name!r} from {module!r}, "
                          "not a keras_hub.models Backbone (pass --unsafe-load to allow)")


def read_preset_config(folder: Path, text: str) -> dict:
    path = folder / "config.json"
    if path.stat().st_size > kerasscan.MAX_CONFIG_BYTES:
        raise SourceError(f"{text}: config.json is larger than {kerasscan.MAX_CONFIG_BYTES >> 20} MiB")
    try:
        config = json.loads(path.read_text(encoding="utf8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{text}: config.json is not JSON ({exc})") from None
    if not isinstance(config, dict):
        raise SourceError(f"{text}: config.json is not a JSON object")
    return config


def _argument(value):
    """Query values as a KerasHub constructor takes them: a comma list ('64,128') is a list, as '[64]' is."""
    return list(value) if isinstance(value, tuple) else value


def _backbone(model, name: str) -> Backbone:
    result = keras3.backbone(model, name, kind="kerashub")
    result.framework = "keras_hub"
    result.tokens = keras_hub_tokens(model)
    output = getattr(model, "output", None)
    if output is not None and len(output.shape) == 4:
        result.notes.append(
            "keras_hub.models.ImageClassifier(backbone, num_classes, pooling='avg') pools this output with "
            "GlobalAveragePooling2D (pooling='max': GlobalMaxPooling2D) before its Dense(num_classes)")
    return result
