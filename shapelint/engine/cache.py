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
from ..contained import open_inside, read_inside
from ..sources import Source, factory_file

__all__ = ["Cache", "cache_key", "factory_file", "versions"]

CACHE_ENV = "SHAPELINT_CACHE_DIR"
# Distributions whose version can change what a model looks like; missing ones count as "absent".
FRAMEWORKS = ("tensorflow", "tensorflow-cpu", "keras", "tf-keras", "tensorflow-hub", "keras-hub",
              "torch", "torchvision", "timm", "transformers", "onnx", "onnxruntime")


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
    root = PACKAGE
    digest = hashlib.sha256()
    for file in code_files():
        digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


PACKAGE = Path(__file__).resolve().parents[1]  # the whole package: a rule's change changes the findings


def code_files() -> list[Path]:
    """What decides a result besides the model: shapelint's code and the allowlists it reads."""
    return sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.json")])


def content_hash(source: Source) -> str | None:
    """A digest of what the source's model is made of; None when shapelint cannot tell (never cached).

    Everything is read through contained.py: inside the source's folder, regular files only, capped, so
    hashing never opens what a model names outside itself (an ONNX location of ../../dev/zero, a symlinked
    config.json); such a source is simply not cached, and its load refuses it."""
    if source.kind in ("keras-app", "keras-hub", "timm", "torchvision"):
        return source.kind  # name and options are in the source text; the code is in the library's version
    try:
        if source.kind == "kerashub-preset":  # built from its config without weights: the weights do not count
            return _hash_files(source.path, ["config.json", "metadata.json"])
        if source.kind == "onnx":  # the model file and the external data it names, which live beside it
            folder = source.path.parent
            return _hash_files(folder, [source.path.name, *_onnx_locations(folder, source.path.name)])
        path = factory_file(source.location.rpartition(":")[0]) if source.kind == "factory" else source.path
        return _hash_path(path) if path else None
    except (OSError, ValueError):  # contained.Outside is a ValueError: a source the load refuses anyway
        return None


def _onnx_locations(folder: Path, name: str) -> list[str]:
    """External-data locations an ONNX file names, read from its bytes without importing onnx: each is a
    StringStringEntryProto {key: "location", value: ...}, so the bytes 0a 08 'location' 12 <varint> <value>."""
    with open_inside(folder, name) as handle:
        data = handle.read()
    found, marker, start = [], b"\n\x08location\x12", 0
    while (start := data.find(marker, start)) >= 0:
        start += len(marker)
        length, shift = 0, 0
        while start < len(data) and shift < 35:
            byte = data[start]
            length |= (byte & 0x7F) << shift
            start, shift = start + 1, shift + 7
            if byte < 0x80:
                break
        name = data[start:start + length].decode("utf8", "replace")
        if name not in found:
            found.append(name)
    return found


def _hash_files(root: Path, names) -> str:
    """Files named relative to root, each opened by contained.open_inside (Outside, a ValueError, if not inside)."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(str(name).encode() + b"\0")
        with open_inside(root, name) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _hash_path(path: Path) -> str | None:
    """A file, or every file of a folder; a symlink in a folder counts as where it points (following it could
    read a host file, or /dev/zero), and only regular files are opened."""
    digest = hashlib.sha256()
    try:
        if not path.is_dir():
            return _hash_files(path.parent, [path.name])
        for file in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
            relative = file.relative_to(path)
            digest.update(str(relative).encode() + b"\0")
            if file.is_symlink():
                digest.update(os.readlink(file).encode())
                continue
            with open_inside(path, relative) as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    except (OSError, ValueError):
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


DEPENDENCIES = "dependencies"  # the entry's key for {project file: digest} of what a factory imported
IMPORTS = "imports"  # the worker's result key for the project files a factory imported


def project_imports(root: Path | None = None) -> list[str]:
    """The files of every module in sys.modules that lies under root (the working directory): what a
    factory imported from the user's project, besides its own file. Installed packages (a .venv inside
    the project included) and shapelint itself are not the project."""
    from ..adapters.origins import is_user_file, library_roots

    root, libraries = str((root or Path.cwd()).resolve()) + os.sep, library_roots()
    found = set()
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        # an absolute path to a real file only: torch._classes and torch._ops say '_classes.py', which would
        # resolve into the project (and a deleted file would make the entry unwritable)
        if isinstance(filename, str) and filename.endswith(".py") and os.path.isabs(filename) and os.path.isfile(filename):
            path = os.path.realpath(filename)
            if path.startswith(root) and is_user_file(path, libraries):
                found.add(path)
    return sorted(found)


def digests(paths) -> dict[str, str] | None:
    """{path: sha256 of its bytes}; None when one cannot be read (then nothing is cached)."""
    found = {}
    for path in paths:
        digest = _hash_path(Path(path))
        if digest is None:
            return None
        found[path] = digest
    return found


class Cache:
    """One JSON file per key. Unreadable entries are misses; writes are atomic (rename).

    An entry written with `dependencies` (the project files a factory imported, with their digests) is a
    miss as soon as one of them changed: a cache must never change an answer.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else cache_dir()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:  # an entry is a regular file inside the cache folder: a symlink or a FIFO planted there is a miss
            data = json.loads(read_inside(self.directory, self._path(key).relative_to(self.directory)))
        except (OSError, ValueError):
            return None
        recorded = data.get(DEPENDENCIES) if isinstance(data, dict) else None
        if recorded and digests(recorded) != recorded:
            return None
        return data

    def put(self, key: str, data: dict) -> None:
        imports = data.get(IMPORTS)
        if imports:
            recorded = digests(imports)
            if recorded is None:
                return
            data = {k: v for k, v in data.items() if k != IMPORTS} | {DEPENDENCIES: recorded}
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full cache directory slows shapelint down; it never fails a run

    def entries(self) -> list[Path]:
        return sorted(self.directory.glob("??/*.json")) if self.directory.is_dir() else []

    def clear(self) -> int:
        """Remove every entry (and nothing else); returns how many were removed."""
        removed = 0
        for entry in self.entries():
            try:
                entry.unlink()
                removed += 1
            except OSError:
                pass
        for folder in self.directory.glob("??") if self.directory.is_dir() else ():
            try:
                folder.rmdir()
            except OSError:
                pass
        return removed
