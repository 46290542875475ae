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
    kind: str  # "keras-app", "keras-file", "savedmodel", "hub", "factory"
    location: str
    options: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def path(self) -> Path | None:
        """The file or directory behind the source, for reports that point at a file."""
        if self.kind in ("keras-file", "savedmodel", "hub"):
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
    if text.startswith(HUB_PREFIXES):
        return Source(text, "hub", str(hub_module_dir(text)))
    if "://" in text:
        raise SourceError(f"{shown(text)}: only TF Hub and Kaggle model handles are supported as URLs")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~user for a user that does not exist
        raise SourceError(f"{shown(text)}: cannot expand '~': no such user") from None
    if path.is_dir():
        if not (path / "saved_model.pb").is_file() and not (path / "saved_model.pbtxt").is_file():
            raise SourceError(f"{shown(text)}: directory is not a SavedModel (no saved_model.pb)")
        return Source(text, "savedmodel", str(path))
    if path.suffix.lower() in KERAS_FILE_SUFFIXES:
        if not path.is_file():
            raise SourceError(f"{shown(text)}: no such file")
        return Source(text, "keras-file", str(path))
    if re.fullmatch(r"[^:]+:[A-Za-z_][A-Za-z0-9_.]*", text):
        module, _, attr = text.rpartition(":")
        if module.endswith(".py") and not Path(module).is_file():
            raise SourceError(f"{shown(text)}: no such file {module}")
        return Source(text, "factory", f"{module}:{attr}")
    if path.exists():
        raise SourceError(f"{shown(text)}: not a .keras/.h5 file or SavedModel directory")
    raise SourceError(
        f"{shown(text)}: no such file or directory "
        "(expected keras:NAME, a .keras/.h5 file, a SavedModel dir, a TF Hub handle or module:factory)"
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
    if not (folder / "saved_model.pb").is_file():
        raise SourceError(
            f"{shown(handle)}: not in the TF Hub cache; place the unpacked module at {folder} "
            f"(TFHUB_CACHE_DIR={hub_cache_dir()}, folder = sha1 of the handle)"
        )
    return folder


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
