"""KerasHub backbones (Keras 3): built from a class and its arguments, or from a preset's config.json, never
with weights. A preset's config goes through the same scan as a `.keras` file's before anything reads it."""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import json
import tempfile
import warnings
from pathlib import Path

from ...contained import Outside, read_inside
from ...errors import one_line
from ...records.facts import ClassifierRecord
from ...sources import PRESET_FILES, Source, SourceError
from ...text import listed
from ..base import Backbone
from ..private import option_refusals, private_homes
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
    found = option_refusals(options)
    if found:
        raise SourceError(f"{source.text}: refused to load: {'; '.join(found[:3])}")
    try:
        with warnings.catch_warnings(), private_homes():
            warnings.simplefilter("ignore")
            model = cls(**options)
    except Exception as exc:
        raise SourceError(f"{source.text}: {_argument_error(cls, source, options, exc)}") from None
    return _backbone(model, source.text)


def _argument_error(cls, source: Source, options: dict, exc: Exception) -> str:
    """The constructor's error in the query's words: the missing arguments, or the one given as a number
    where the class takes a list (read from the constructor line that failed)."""
    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        parameters = ()
    missing = [p.name for p in parameters if p.default is p.empty and p.name != "self" and p.name not in options
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if missing and isinstance(exc, TypeError) and "missing" in str(exc):
        names = listed(missing)
        query = "&".join(f"{name}=..." for name in missing)
        return (f"{cls.__name__} needs {names}; add them to the query (a list as 64,128 or [64]): "
                f"{source.text}{'&' if '?' in source.text else '?'}{query}")
    line = _failing_line(exc)
    scalars = [name for name, value in options.items() if not isinstance(value, (list, str)) and name in line]
    if scalars and isinstance(exc, TypeError):
        name = scalars[0]
        return (f"cannot build: {one_line(exc)}: {name}={options[name]} is one number where {cls.__name__} takes "
                f"a list: write {name}=[{options[name]}]")
    return f"cannot build: {one_line(exc)}"


def _failing_line(exc: Exception) -> str:
    """The source line of the innermost frame the exception passed through (KerasHub's own constructor code)."""
    import linecache

    tb, line = exc.__traceback__, ""
    while tb is not None:
        line = linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno) or line
        tb = tb.tb_next
    return line


def from_preset(source: Source, unsafe: bool = False) -> Backbone:
    """A preset folder (config.json, metadata.json, weights optional) or its kagglehub copy, built without weights.

    keras_hub deserialises the whole config.json (compile_config and build_config too), and picks its loader
    from the keys it finds (no registered_name: a Transformers or timm converter), so the whole file must be
    a Keras-serialised KerasHub Backbone that passes Keras's allowlist; both files are read inside the folder
    (no symlink out) and the build reads a private copy of exactly the bytes checked, offline."""
    folder = Path(source.location)
    files = {name: _read(folder, name, source.text) for name in PRESET_FILES}
    config = _json(files["config.json"], source.text)
    if not unsafe:
        _check_backbone_class(config, source.text)
        kerasscan.check_config(config, source.text, packages=("keras_hub",))  # every object: Keras's allowlist
    keras_hub = import_keras_hub()
    with tempfile.TemporaryDirectory(prefix="shapelint-") as private, private_homes():
        for name, data in files.items():
            (Path(private) / name).write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = keras_hub.models.Backbone.from_preset(private, load_weights=False)
        except Exception as exc:
            raise SourceError(f"{source.text}: cannot build from config.json: {one_line(exc)}") from None
    result = _backbone(model, source.text)
    result.classifier = task_classifier(folder, source.text)
    return result


def task_classifier(folder: Path, text: str) -> ClassifierRecord | None:
    """A preset saved from an ImageClassifier holds its task in task.json: its class count and pooling. Only
    those two fields are read; nothing in it is deserialised (the backbone is built from config.json)."""
    if not (folder / "task.json").exists():
        return None
    task = _json(_read(folder, "task.json", text), text, "task.json")
    config = task.get("config") if isinstance(task.get("config"), dict) else {}
    name, width = task.get("class_name"), config.get("num_classes")
    if not (isinstance(name, str) and name.endswith("ImageClassifier") and isinstance(width, int)):
        return None
    return ClassifierRecord(width, None, None, "keras_hub", pools=config.get("pooling", "avg") in ("avg", "max"))


def _check_backbone_class(config: dict, text: str) -> None:
    """The preset's own class must be a keras_hub.models Backbone, under the module and name KerasHub writes."""
    name, module, registered = config.get("class_name"), config.get("module"), config.get("registered_name")
    cls = backbone_classes().get(name) if isinstance(name, str) else None
    if cls is None or module != cls.__module__ or registered != f"keras_hub>{name}":
        raise SourceError(f"{text}: refused to load: config.json describes {name!r} from {module!r}, "
                          "not a keras_hub.models Backbone (pass --unsafe-load to allow)")


def _read(folder: Path, name: str, text: str) -> bytes:
    try:
        return read_inside(folder, name, kerasscan.MAX_CONFIG_BYTES)
    except Outside as exc:
        raise SourceError(f"{text}: refused to load: {exc}") from None


def _json(data: bytes, text: str, file: str = "config.json") -> dict:
    try:
        config = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{text}: {file} is not JSON ({exc})") from None
    if not isinstance(config, dict):
        raise SourceError(f"{text}: {file} is not a JSON object")
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
