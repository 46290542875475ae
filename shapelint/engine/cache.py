"""Results on disk, keyed by everything that decides them: the model's bytes, the versions and the options.

Nothing here imports a framework: a run where every source hits the cache never starts TensorFlow.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..sources import Source, factory_file

__all__ = ["Cache", "cache_key", "factory_file", "versions"]

CACHE_ENV = "SHAPELINT_CACHE_DIR"
# Distributions whose version can change what a model looks like; missing ones count as "absent".
FRAMEWORKS = ("tensorflow", "tensorflow-cpu", "keras", "tf-keras", "tensorflow-hub",
              "torch", "torchvision", "timm", "transformers")


def cache_dir() -> Path:
    """SHAPELINT_CACHE_DIR, else $XDG_CACHE_HOME/shapelint, else ~/.cache/shapelint."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "shapelint"


def versions() -> dict:
    """Installed versions read from package metadata, so TensorFlow is not imported to learn its version."""
    found = {"shapelint": __version__, "shapelint code": code_fingerprint()}
    for name in FRAMEWORKS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


@functools.lru_cache(maxsize=None)
def code_fingerprint() -> str:
    """A digest of shapelint's own source: an editable install changes without a version bump (~2 ms)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for file in sorted(root.rglob("*.py")):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def content_hash(source: Source) -> str | None:
    """A digest of what the source's model is made of; None when shapelint cannot tell (never cached)."""
    if source.kind in ("keras-app", "timm", "torchvision"):
        return source.kind  # name and options are in the source text; the code is in the library's version
    path = factory_file(source.location.rpartition(":")[0]) if source.kind == "factory" else source.path
    return _hash_path(path) if path else None


def _hash_path(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode() + b"\0")
            with open(file, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def cache_key(task: str, source: Source, options) -> str | None:
    """The key of one (task, source, options) result, or None when it must not be cached."""
    content = content_hash(source)
    if content is None:
        return None
    material = {
        "task": task,
        "source": source.text,
        "content": content,
        "versions": versions(),
        "python": sys.version_info[:2],
        "options": dataclasses.asdict(options) if dataclasses.is_dataclass(options) else options,
    }
    text = json.dumps(material, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """One JSON file per key. Unreadable entries are misses; writes are atomic (rename)."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else cache_dir()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None

    def put(self, key: str, data: dict) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full cache directory slows shapelint down; it never fails a run
