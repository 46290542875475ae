"""One way to open what a source holds: inside its own folder, regular files only, with a size cap.

A model names files (an ONNX tensor's external data, a preset's config.json, a Hugging Face ref) that
could climb out with `..`, leave through a symlink, or be a device that never ends (/dev/zero). Hashing
for the cache and scanning before a load both read through here, so neither opens anything the source
folder does not hold. A symlink that stays inside the folder is followed; one that leads out is refused.
Nothing here imports a framework.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .sources import SourceError

MAX_JSON_BYTES = 64 << 20  # configs and refs are kilobytes
MAX_FILE_BYTES = 64 << 30  # weights and external data: the largest model a machine would probe


class Outside(SourceError):
    """A file the source names is outside its folder, not a regular file, or over its cap; one line."""


def inside(root: Path, relative) -> Path:
    """root/relative, resolved, refused unless it stays in root (no absolute name, `..` or symlink out)."""
    name = str(relative)
    if not name or os.path.isabs(name) or Path(name).drive or "\\" in name or ".." in Path(name).parts:
        raise Outside(f"{name!r} is outside {root.name or root}/")
    real_root = os.path.realpath(root)
    real = os.path.realpath(Path(root) / name)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise Outside(f"{name!r} leads out of {Path(root).name}/ through a symlink")
    return Path(real)


def open_inside(root: Path, relative, cap: int = MAX_FILE_BYTES):
    """A binary file object for root/relative, a regular file of at most `cap` bytes inside root."""
    path = inside(root, relative)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise Outside(f"{relative}: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    why = ("is not a regular file" if not stat.S_ISREG(info.st_mode) else
           f"is larger than {_size(cap)}" if info.st_size > cap else None)
    if why:
        os.close(fd)
        raise Outside(f"{relative} {why}")
    return os.fdopen(fd, "rb")


def read_inside(root: Path, relative, cap: int = MAX_JSON_BYTES) -> bytes:
    with open_inside(root, relative, cap) as handle:
        return handle.read(cap + 1)[:cap]


def files_inside(root: Path) -> list[str]:
    """Every regular file under root (relative, sorted), symlinks that stay inside followed; a symlink out of
    root or anything that is not a regular file or folder is refused."""
    found = []
    real_root = os.path.realpath(root)
    for folder, folders, files in os.walk(real_root, followlinks=False):
        for name in sorted(folders + files):
            path = Path(folder) / name
            relative = path.relative_to(real_root)
            if path.is_symlink():
                target = inside(Path(real_root), relative)
                if target.is_dir():
                    raise Outside(f"{relative} is a symlink to a folder")
            elif name in folders:
                continue
            if not stat.S_ISREG(os.stat(inside(Path(real_root), relative)).st_mode):
                raise Outside(f"{relative} is not a regular file")
            found.append(str(relative))
    return sorted(found)


def _size(count: int) -> str:
    return f"{count >> 30} GiB" if count >= 1 << 30 else f"{count >> 20} MiB"
