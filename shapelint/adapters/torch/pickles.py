"""Read which classes and functions a pickle names, without unpickling a byte of it.
(And what a torch.export archive's programs call: programs.py.)

A pickle runs code by naming a callable (GLOBAL / STACK_GLOBAL) and calling it; a state_dict names
only the few tensor rebuilders below. Anything else (a pickled nn.Module names its classes, a payload
names os.system) is refused before torch sees the file, and the load that follows still uses
weights_only=True where torch lets us choose.

torch.save files and torch.export (.pt2) archives are zips. Every pickle inside is read as a stream
with a size cap, never whole into memory, and a .pt2 archive is walked entry by entry: torch.export.load
unpickles sample inputs and weights marked use_pickle with weights_only=False, and opaque constants
with plain pickle.loads, so each of those must pass the same allowlist before torch opens the file.
"""

from __future__ import annotations

import io
import json
import pickletools
import re
import zipfile
from pathlib import Path

from ...sources import SourceError

ALLOWED = frozenset({
    "collections.OrderedDict", "builtins.set", "__builtin__.set", "torch.Size", "torch.device",
    "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
})
STORAGE = re.compile(r"torch\.(Untyped|Typed|Float|Double|Half|BFloat16|Long|Int|Short|Char|Byte|Bool)Storage")
STRINGS = ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING", "STRING")
MAX_PICKLE_BYTES = 256 << 20  # a pickle of tensor rebuilders is kilobytes: the tensors live in other entries
MAX_JSON_BYTES = 64 << 20
UNSAFE = "pass --unsafe-load to allow"
# What a torch.export archive holds, below its top folder; anything else (AOTInductor's compiled .so) is refused.
PT2_FILES = re.compile(r"(archive_format|archive_version|byteorder|\.data/version|\.data/serialization_id|"
                       r"models/[^/]+\.json|data/(weights|constants)/[^/]+|data/sample_inputs/[^/]+\.pt|extra/[^/]+)")


class TooLarge(ValueError):
    """A stream went past its cap."""


class Capped:
    """A stream that fails once more than `limit` bytes are read from it (read and readline only: pickletools
    asks nothing else of a stream without tell)."""

    def __init__(self, stream, limit: int):
        self.stream, self.left = io.BufferedReader(stream) if isinstance(stream, io.RawIOBase) else stream, limit

    def _counted(self, data: bytes) -> bytes:
        self.left -= len(data)
        if self.left < 0:
            raise TooLarge
        return data

    def read(self, size: int = -1) -> bytes:
        return self._counted(self.stream.read(self.left + 1 if size < 0 else min(size, self.left + 1)))

    def readline(self) -> bytes:
        return self._counted(self.stream.readline(self.left + 1))


def named_globals(data) -> list[str]:
    """Every callable the pickle (bytes or a binary stream) names, in order; '?' where the name is not a
    plain string (never allowed)."""
    names, stack, memo = [], [], {}
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            names.append(arg.replace(" ", "."))
            stack.append(None)
        elif op.name == "STACK_GLOBAL":
            module, name = (stack[-2], stack[-1]) if len(stack) >= 2 else (None, None)
            names.append(f"{module}.{name}" if isinstance(module, str) and isinstance(name, str) else "?")
            stack.append(None)
        elif op.name in STRINGS:
            stack.append(arg)
        elif op.name == "MEMOIZE":
            memo[len(memo)] = stack[-1] if stack else None
        elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1] if stack else None
        elif op.name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo.get(arg))
        else:
            stack.append(None)
    return names


def unsafe_globals(stream) -> list[str]:
    """What a pickle stream names beyond the tensor rebuilders; ["an unreadable pickle"] if it cannot be read."""
    try:
        names = named_globals(Capped(stream, MAX_PICKLE_BYTES))
    except TooLarge:
        return [f"a pickle over {MAX_PICKLE_BYTES >> 20} MiB"]
    except Exception:  # noqa: BLE001  (a pickle pickletools cannot read is not one shapelint will load)
        return ["an unreadable pickle"]
    return list(dict.fromkeys(n for n in names if n not in ALLOWED and not STORAGE.fullmatch(n)))


def _zip_pickles(archive: zipfile.ZipFile) -> list[str]:
    """unsafe_globals of every .pkl entry of a torch.save archive."""
    found = []
    for name in archive.namelist():
        if name.endswith(".pkl"):
            with archive.open(name) as stream:
                found += unsafe_globals(stream)
    return found


def _refuse(text: str, what: str, unsafe: list[str], advice: str) -> None:
    if unsafe:
        unsafe = list(dict.fromkeys(unsafe))
        more = f" and {len(unsafe) - 3} more" if len(unsafe) > 3 else ""
        raise SourceError(f"{text}: refused to load: {what} ({', '.join(unsafe[:3])}{more}); {advice}{UNSAFE}")


def refuse_unsafe_pickle(path: Path, text: str) -> None:
    """SourceError naming what a full-model pickle would run, unless it holds only tensors."""
    if not zipfile.is_zipfile(path):
        return  # torch.save's legacy format: several pickles and raw bytes; weights_only=True guards it alone
    with zipfile.ZipFile(path) as archive:
        unsafe = _zip_pickles(archive)
    _refuse(text, "a pickled full model runs code while loading", unsafe,
            "save a torch.export file instead, or ")


def refuse_unsafe_pt2(path: Path, text: str) -> None:
    """SourceError unless every entry of a torch.export archive is one torch.export.save writes, and every
    pickle torch.export.load would unpickle names only tensor rebuilders."""
    unsafe: list[str] = []
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        for name in names:
            inner = name.split("/", 1)[-1]
            if name.endswith("/") or not PT2_FILES.fullmatch(inner):
                unsafe.append(f"entry {name!r} is not one torch.export.save writes")
            elif inner.endswith(".pt"):  # sample inputs, and the legacy weights and constants files
                unsafe += [f"{inner}: {n}" for n in _entry_globals(archive, name)]
            elif inner.startswith("models/"):
                unsafe += [f"{inner}: {why}" for why in _program_refusals(archive, name)]
        for config in (n for n in names if re.fullmatch(r"[^/]+/data/(weights|constants)/[^/]+_config\.json", n)):
            unsafe += _config_refusals(archive, config)
    _refuse(text, "a torch.export archive holds code that runs while loading or probing", unsafe,
            "export the model again with torch.export.save, or ")


def _program_refusals(archive: zipfile.ZipFile, name: str) -> list[str]:
    """The serialized program's node targets and guards (programs.py)."""
    from .programs import refusals

    if archive.getinfo(name).file_size > MAX_JSON_BYTES:
        return [f"over {MAX_JSON_BYTES >> 20} MiB"]
    try:
        program = json.loads(archive.read(name))
    except (ValueError, UnicodeDecodeError):
        return ["not JSON"]
    return refusals(program) if isinstance(program, dict) else ["not a program"]


def _entry_globals(archive: zipfile.ZipFile, name: str) -> list[str]:
    """A .pt2 entry unpickled by torch: a torch.save zip (read in place, not into memory) or a bare pickle."""
    with archive.open(name) as stream:
        if stream.read(4) == b"PK\x03\x04":
            stream.seek(0)
            try:
                with zipfile.ZipFile(stream) as inner:
                    return _zip_pickles(inner)
            except zipfile.BadZipFile:
                return ["an unreadable archive"]
        stream.seek(0)
        return unsafe_globals(stream)


def _config_refusals(archive: zipfile.ZipFile, name: str) -> list[str]:
    """A weights/constants config: pickled entries are checked as pickles; custom and opaque objects are refused."""
    folder = name.rsplit("/", 1)[0]
    if archive.getinfo(name).file_size > MAX_JSON_BYTES:
        return [f"{name} over {MAX_JSON_BYTES >> 20} MiB"]
    try:
        config = json.loads(archive.read(name)).get("config", {})
        entries = [(key, meta["path_name"], bool(meta.get("use_pickle"))) for key, meta in config.items()]
    except (ValueError, AttributeError, KeyError, TypeError):
        return [f"{name} is not a weights config"]
    found = []
    for key, path_name, pickled in entries:
        entry = f"{folder}/{path_name}"
        if "/" in path_name or entry not in archive.NameToInfo:
            found.append(f"{key!r} names a missing entry {path_name!r}")
        elif folder.endswith("/constants") and not path_name.startswith("tensor_"):
            found.append(f"constant {key!r} is a pickled Python object ({path_name})")
        elif pickled:
            found += [f"{key}: {n}" for n in _entry_globals(archive, entry)]
    return found
