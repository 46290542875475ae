"""Parse SOURCE strings and --sizes into plain values. Nothing here imports a framework."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

DEFAULT_SIZES = ((224, 224), (160, 160), (320, 320), (192, 256))
DEFAULT_MAX_SIZE = 4096
KERAS_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")
HUB_PREFIXES = ("https://tfhub.dev/", "https://www.kaggle.com/models/", "https://kaggle.com/models/")
KAGGLE_PREFIXES = HUB_PREFIXES[1:]
KAGGLE_SCHEME = "kaggle://"
PRESET_FILES = ("config.json", "metadata.json")  # what makes a folder a KerasHub preset


class SourceError(ValueError):
    """A source or option the user gave cannot be used; the message is one line for the terminal."""


class FactoryError(SourceError):
    """A module:factory source raised while building its model; `cause` is the factory's own one-line error."""

    def __init__(self, message: str, cause: str):
        super().__init__(message)
        self.cause = cause


@dataclass(frozen=True)
class Source:
    """A resolved SOURCE: what kind it is, where it lives, and keyword overrides for keras: names."""

    text: str
    kind: str  # "keras-app", "keras-file", "savedmodel", "hub", "factory", "onnx", "keras-hub", "kerashub-preset"
    location: str
    options: dict = field(default_factory=dict, hash=False, compare=False)
    framework: str = "tensorflow"  # which adapters/<framework> loads it, so which worker runs it

    @property
    def path(self) -> Path | None:
        """The file or directory behind the source, for reports that point at a file."""
        if self.kind in ("keras-file", "savedmodel", "hub", "onnx", "kerashub-preset"):
            return Path(self.location)
        if self.kind == "factory" and ".py" in self.location.split(":")[0]:
            return Path(self.location.rsplit(":", 1)[0])
        return None


def parse_source(text: str) -> Source:
    """Classify a SOURCE string; anything unusable is a SourceError whose message is one line."""
    text = text.strip()
    if not text:
        raise SourceError("empty source")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text):  # a newline would split the one-line error
        raise SourceError(f"{shown(text)}: source contains a control character")
    try:
        return _classify(text)
    except OSError as exc:  # e.g. a name too long, or a folder we may not read
        raise SourceError(f"{shown(text)}: {exc.strerror or exc}") from None


def shown(text: str, limit: int = 120) -> str:
    """The source as an error message shows it: control characters escaped, long text shortened."""
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _classify(text: str) -> Source:
    if text.startswith("keras:"):
        name, _, query = text[len("keras:"):].partition("?")
        if not name:
            raise SourceError(f"{shown(text)}: missing application name after 'keras:'")
        return Source(text, "keras-app", name, _parse_options(text, query))
    if text.startswith("keras_hub:"):
        name, _, query = text[len("keras_hub:"):].partition("?")
        if not name.isidentifier():
            raise SourceError(f"{shown(text)}: expected keras_hub:CLASS, e.g. keras_hub:ResNetBackbone?block_type=basic_block")
        return Source(text, "keras-hub", name, _parse_options(text, query))
    if text.startswith(HUB_PREFIXES):
        return Source(text, "hub", str(hub_module_dir(text)))
    if text.startswith(KAGGLE_SCHEME):
        return _folder(text, kaggle_model_dir(text))
    if "://" in text:
        raise SourceError(f"{shown(text)}: only TF Hub and Kaggle model handles are supported as URLs")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~user for a user that does not exist
        raise SourceError(f"{shown(text)}: cannot expand '~': no such user") from None
    if path.is_dir():
        return _folder(text, path)
    if path.suffix.lower() in KERAS_FILE_SUFFIXES + (".onnx",):
        if not path.is_file():
            raise SourceError(f"{shown(text)}: no such file")
        if path.suffix.lower() == ".onnx":  # ONNX needs no TensorFlow
            return Source(text, "onnx", str(path), {}, "onnx")
        return Source(text, "keras-file", str(path))
    if re.fullmatch(r"[^:]+:[A-Za-z_][A-Za-z0-9_.]*", text):
        module, _, attr = text.rpartition(":")
        if module.endswith(".py") and not Path(module).is_file():
            raise SourceError(f"{shown(text)}: no such file {module}")
        return Source(text, "factory", f"{module}:{attr}")
    if path.exists():
        raise SourceError(f"{shown(text)}: not a .keras/.h5/.onnx file, SavedModel or KerasHub preset directory")
    raise SourceError(
        f"{shown(text)}: no such file or directory (expected keras:NAME, keras_hub:CLASS, a .keras/.h5/.onnx file, "
        "a SavedModel or KerasHub preset dir, a TF Hub or kaggle:// handle, or module:factory)"
    )


def _folder(text: str, path: Path) -> Source:
    """A directory is a SavedModel (saved_model.pb) or a KerasHub preset (config.json and metadata.json)."""
    if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
        return Source(text, "savedmodel", str(path))
    if all((path / name).is_file() for name in PRESET_FILES):
        return Source(text, "kerashub-preset", str(path))
    raise SourceError(
        f"{shown(text)}: directory is not a SavedModel (no saved_model.pb) "
        "nor a KerasHub preset (no config.json and metadata.json)"
    )


def _parse_options(text: str, query: str) -> dict:
    options = {}
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if not key.isidentifier():
            raise SourceError(f"{shown(text)}: bad option name {shown(key)!r}")
        options[key] = _literal(value)
    return options


def _literal(value: str):
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    if value.startswith("[") and value.endswith("]"):  # stackwise_num_filters=[64,128]: a list, even of one
        return [_literal(part.strip()) for part in value[1:-1].split(",") if part.strip()]
    if "," in value:
        return tuple(_literal(part) for part in value.split(","))
    return value


def hub_cache_dir() -> Path:
    """Where tensorflow_hub keeps downloaded modules (TFHUB_CACHE_DIR, else <tmp>/tfhub_modules)."""
    import tempfile  # here, not at the top: every command imports this module, few resolve a handle

    return Path(os.environ.get("TFHUB_CACHE_DIR") or Path(tempfile.gettempdir()) / "tfhub_modules")


def hub_module_dir(handle: str) -> Path:
    """Resolve a TF Hub handle offline, exactly where tensorflow_hub would have cached it."""
    try:
        import hashlib

        digest = hashlib.sha1(handle.encode("utf8")).hexdigest()
    except UnicodeEncodeError:  # undecodable bytes on the command line
        raise SourceError(f"{shown(handle)}: not a valid TF Hub handle") from None
    folder = hub_cache_dir() / digest
    if (folder / "saved_model.pb").is_file():
        return folder
    try:
        parts = _kaggle_parts(handle, handle.split("/models/", 1)[1]) if handle.startswith(KAGGLE_PREFIXES) else None
    except SourceError:  # not the OWNER/MODEL/FRAMEWORK/VARIATION/VERSION form: only TF Hub's cache can have it
        parts = None
    if parts is None:
        raise SourceError(
            f"{shown(handle)}: not in the TF Hub cache; place the unpacked module at {folder} "
            f"(TFHUB_CACHE_DIR={hub_cache_dir()}, folder = sha1 of the handle)"
        )
    kaggle = _kaggle_version_dir(parts)
    if kaggle is not None and (kaggle / "saved_model.pb").is_file():
        return kaggle
    raise SourceError(
        f"{shown(handle)}: in neither cache; place the unpacked SavedModel in the TF Hub cache at {folder} "
        f"(TFHUB_CACHE_DIR, folder = sha1 of the handle) or in the kagglehub cache at {kaggle_cache_dir()}/models/"
        f"{'/'.join(parts[:4])}/{parts[4] if len(parts) > 4 else 'VERSION'} (KAGGLEHUB_CACHE)"
    )


def kaggle_cache_dir() -> Path:
    """Where kagglehub keeps downloads: KAGGLEHUB_CACHE, else ~/.cache/kagglehub (kagglehub/config.py)."""
    return Path(os.environ.get("KAGGLEHUB_CACHE") or Path.home() / ".cache" / "kagglehub")


def kaggle_model_dir(handle: str) -> Path:
    """kaggle://OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION] -> its folder in the kagglehub cache, offline.

    kagglehub (cache.py) keeps a model version at models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION and
    writes VERSION.complete beside it when the download finished; without a version the newest complete
    one is taken.
    """
    parts = _kaggle_parts(handle, handle[len(KAGGLE_SCHEME):])
    folder = _kaggle_version_dir(parts)
    if folder is None:
        version = parts[4] if len(parts) > 4 else "VERSION"
        raise SourceError(
            f"{shown(handle)}: not in the kagglehub cache; place the downloaded model at "
            f"{kaggle_cache_dir()}/models/{'/'.join(parts[:4])}/{version} (KAGGLEHUB_CACHE; shapelint never downloads)"
        )
    return folder


def _kaggle_parts(handle: str, path: str) -> list[str]:
    parts = [part for part in path.strip("/").split("/") if part]
    if len(parts) not in (4, 5) or any(part in (".", "..") for part in parts) or (len(parts) == 5 and not parts[4].isdigit()):
        raise SourceError(f"{shown(handle)}: expected a Kaggle model handle OWNER/MODEL/FRAMEWORK/VARIATION[/VERSION]")
    return parts


def _kaggle_version_dir(parts: list[str]) -> Path | None:
    variation = kaggle_cache_dir() / "models" / Path(*parts[:4])
    if len(parts) == 5:
        versions = [parts[4]]
    else:
        markers = variation.glob("*.complete") if variation.is_dir() else []
        versions = sorted((m.name[: -len(".complete")] for m in markers if m.name[: -len(".complete")].isdigit()),
                          key=int, reverse=True)
    for version in versions:
        if (variation / version).is_dir() and (variation / f"{version}.complete").exists():
            return variation / version
    return None


def parse_sizes(text: str, max_size: int = DEFAULT_MAX_SIZE) -> tuple[tuple[int, int], ...]:
    """'224,160,96x128' -> ((224, 224), (160, 160), (96, 128)); HxW, height first."""
    if max_size < 1:
        raise SourceError(f"--max-size must be at least 1, got {max_size}")
    sizes = []
    for part in str(text).split(","):
        part = part.strip().lower().replace("×", "x")
        match = re.fullmatch(r"([+-]?[0-9]+)(?:x([+-]?[0-9]+))?", part)  # ASCII digits only, no '２２４'
        if not match:
            raise SourceError(f"bad size {shown(part)!r}: expected N or HxW, e.g. 224 or 96x128")
        if max(len(n.lstrip("+-0")) for n in match.groups() if n) > len(str(max_size)):
            raise SourceError(f"size {shown(part)!r} is larger than --max-size {max_size}")  # before int(): 10**5000
        h = int(match.group(1))
        w = int(match.group(2)) if match.group(2) else h
        if h <= 0 or w <= 0:
            raise SourceError(f"bad size {part!r}: height and width must be positive")
        if h > max_size or w > max_size:
            raise SourceError(f"size {part!r} is larger than --max-size {max_size}")
        if (h, w) not in sizes:
            sizes.append((h, w))
    return tuple(sizes)


def format_size(size: tuple[int, int]) -> str:
    h, w = size
    return str(h) if h == w else f"{h}x{w}"
