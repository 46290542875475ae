"""One Keras file, one reading: copy it into a private directory, decide its format from the copy's bytes,
check the container, and hand the loader that same copy.

A file is a `.keras` archive (zip: a local file header at offset 0) or a legacy HDF5 file (the HDF5
signature at offset 0, 512, 1024, 2048, ...). A file that is both (an HDF5 model with a zip appended:
one reader would see one model, the other another), a zip with data before its first member, or a
file whose content disagrees with its extension is refused: whichever loader ran, it would not be
reading what was checked. The copy also closes the window between the check and the load.

Containers: zip members must be relative paths without `..`, not symlinks, not duplicated, and at most
MAX_UNPACKED bytes in all; HDF5 files (the legacy file, or an archive's model.weights.h5) must not link
to other files (external links, external or virtual datasets), which h5py would open on the host.
Nothing here imports a framework; h5py reads HDF5.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from ...sources import SourceError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_LOCAL_HEADER = b"PK\x03\x04"
ZIP_END = b"PK\x05\x06"
EXTENSIONS = {".keras": "zip", ".h5": "hdf5", ".hdf5": "hdf5"}
MAX_UNPACKED = 16 << 30  # the largest keras.applications model unpacks to well under 2 GiB
NAMES = {"zip": "a zip archive (.keras)", "hdf5": "an HDF5 file (.h5)"}


def refuse(origin: str, what: str):
    return SourceError(f"{origin}: refused to load: {what} (pass --unsafe-load to allow)")


@contextlib.contextmanager
def private_copy(path: str):
    """A copy of the file in a new directory only this user can read, removed afterwards."""
    folder = tempfile.mkdtemp(prefix="shapelint-keras-")  # mode 0700
    try:
        copy = os.path.join(folder, "model" + Path(path).suffix.lower())
        shutil.copyfile(path, copy)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sniff(path: str) -> set[str]:
    """The formats the bytes say this file is: {"zip"}, {"hdf5"}, both, or neither; a zip that does not start
    with its first member counts as "zip-offset"."""
    size = os.path.getsize(path)
    found = set()
    with open(path, "rb") as f:
        head = f.read(4)
        offset = 0
        while offset + len(HDF5_SIGNATURE) <= size:  # HDF5 allows a user block of 512 * 2**n bytes before it
            f.seek(offset)
            if f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE:
                found.add("hdf5")
                break
            offset = 512 if offset == 0 else offset * 2
        f.seek(max(0, size - (1 << 16) - 22))
        tail = f.read()
    if head == ZIP_LOCAL_HEADER:
        found.add("zip")
    elif ZIP_END in tail and zipfile.is_zipfile(path):  # an end record that parses: readers find the members
        found.add("zip-offset")
    return found


def check_file(path: str, origin: str) -> str:
    """The format ("zip" or "hdf5") of a private copy, after every container check; SourceError otherwise."""
    formats = sniff(path)
    expected = EXTENSIONS.get(Path(origin).suffix.lower())
    if "zip-offset" in formats:
        what = "an HDF5 file with a zip archive inside" if "hdf5" in formats else "a zip archive with data before it"
        raise refuse(origin, f"the file is {what} (a polyglot: two loaders would read two models)")
    if formats == {"zip", "hdf5"}:
        raise refuse(origin, "the file is both a zip archive and an HDF5 file (a polyglot: two loaders would read two models)")
    if not formats:
        raise SourceError(f"{origin}: cannot load: neither a Keras archive (zip) nor an HDF5 file")
    (kind,) = formats
    if expected is not None and kind != expected:
        raise refuse(origin, f"the content is {NAMES[kind]} but the extension says {NAMES[expected]}")
    if kind == "zip":
        _check_zip(path, origin)
    else:
        check_hdf5(path, origin)
    return kind


def _check_zip(path: str, origin: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = [m.filename for m in members]
            for member in members:
                name = member.filename.replace("\\", "/")
                if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in name.split("/"):
                    raise refuse(origin, f"archive member {member.filename!r} points outside the archive")
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise refuse(origin, f"archive member {member.filename!r} is a symlink")
            if len(set(names)) != len(names):
                twice = next(n for n in names if names.count(n) > 1)
                raise refuse(origin, f"archive member {twice!r} appears twice (each reader may pick another)")
            total = sum(m.file_size for m in members)
            if total > MAX_UNPACKED:
                raise refuse(origin, f"the archive unpacks to {total >> 20} MiB, over the {MAX_UNPACKED >> 30} GiB cap")
            weights = [m for m in members if m.filename.endswith((".h5", ".hdf5"))]
            for member in weights:  # Keras reads these with h5py: the same link checks as a legacy file
                with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as folder:
                    extracted = archive.extract(member, folder)
                    check_hdf5(extracted, origin, f" in {member.filename}")
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{origin}: cannot load: not a Keras archive ({exc})") from None


def check_hdf5(path: str, origin: str, where: str = "") -> None:
    """Refuse links out of the file: external links, datasets stored in external files, virtual datasets."""
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            problem = _linked_out(h5, h5py, set())
    except OSError as exc:
        raise SourceError(f"{origin}: cannot load: cannot read HDF5 ({exc})") from None
    if problem:
        raise refuse(origin, f"{problem}{where}")


def _linked_out(group, h5py, seen: set) -> str | None:
    for key in group.keys():
        link = group.get(key, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            return f"HDF5 entry {group.name.rstrip('/')}/{key} links to the file {link.filename!r}"
        if isinstance(link, h5py.SoftLink):
            continue  # a path inside this file
        item = group[key]
        if item.id in seen:  # hard links may make a cycle; ObjectIDs compare by file and object
            continue
        seen.add(item.id)
        if isinstance(item, h5py.Dataset):
            if item.external:
                return f"HDF5 dataset {item.name} is stored in the file {item.external[0][0]!r}"
            if item.is_virtual:
                return f"HDF5 dataset {item.name} is virtual (read from other files)"
        elif isinstance(item, h5py.Group):
            problem = _linked_out(item, h5py, seen)
            if problem:
                return problem
    return None
