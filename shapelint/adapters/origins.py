"""Where the user's code created each layer: the innermost stack frame in their own files.

While a factory runs, `recording(classes)` wraps `__init__` of the given base classes (Keras 3 and
tf_keras `Layer` in adapters/tensorflow/origins.py; `torch.nn.Module` for a torch twin) and restores
them in `finally`. Each new object gets the first frame, walking outward from the constructor, whose
file belongs to the user: not the framework, not shapelint, not site-packages or the standard library.
Origins are kept in a WeakKeyDictionary, so the user's objects are never modified. Framework-free.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
import sysconfig
import weakref
from pathlib import Path

_ORIGINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SHAPELINT = str(Path(__file__).resolve().parent.parent) + os.sep


@functools.lru_cache(maxsize=1)
def library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= {sys.prefix, sys.base_prefix, sys.exec_prefix}
    return tuple(sorted(str(Path(r).resolve()) + os.sep for r in roots if r))


def is_user_file(filename: str, libraries: tuple[str, ...] | None = None) -> bool:
    """A real file outside the interpreter, its packages and shapelint: the user's code."""
    return _is_user_file(filename, libraries if libraries is not None else library_roots())


@functools.lru_cache(maxsize=4096)  # a model's layers are created from a handful of files, frame after frame
def _is_user_file(filename: str, libraries: tuple[str, ...]) -> bool:
    if not filename or filename.startswith("<"):
        return False
    path = str(Path(filename).resolve())
    if path.startswith(_SHAPELINT) or "site-packages" in path or "dist-packages" in path:
        return False
    return not path.startswith(libraries)


def user_frame(frame, libraries: tuple[str, ...]) -> tuple[str, int] | None:
    """(file, line) of the innermost frame in the user's code, walking outward from `frame`."""
    while frame is not None:
        if is_user_file(frame.f_code.co_filename, libraries):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


def shown_path(filename: str, root: Path | None = None) -> str:
    """Relative to root (the working directory), POSIX style, when inside it; else absolute."""
    path = Path(filename).resolve()
    try:
        return path.relative_to((root or Path.cwd()).resolve()).as_posix()
    except ValueError:
        return str(path)


@contextlib.contextmanager
def recording(classes):
    """Record the creator of every instance of `classes` built inside the block; originals restored after.

    Yields a list that collects a weak reference to each object recorded in the block, so that when the
    block fails (a model that cannot be built) the lines of the layers it had made can still be named.
    """
    libraries = library_roots()
    originals = {cls: cls.__dict__["__init__"] for cls in classes if "__init__" in cls.__dict__}
    made: list = []

    def wrap(init):
        @functools.wraps(init)
        def __init__(self, *args, **kwargs):
            if self not in _ORIGINS:  # super().__init__ chains reach here more than once: the first call wins
                try:
                    found = user_frame(sys._getframe(1), libraries)
                    if found is not None:
                        _ORIGINS[self] = found
                        made.append(weakref.ref(self))
                except TypeError:  # an object that cannot be weakly referenced: no origin, no harm
                    pass
            return init(self, *args, **kwargs)

        # Frameworks read the constructor's signature to serialise a layer (Keras 3's auto config uses both
        # inspect.signature and getfullargspec, which does not follow __wrapped__): keep it exactly.
        __init__.__signature__ = inspect.signature(init)
        return __init__

    try:
        for cls, init in originals.items():
            cls.__init__ = wrap(init)
        yield made
    finally:
        for cls, init in originals.items():
            cls.__init__ = init


def origin_of(obj, root: Path | None = None) -> tuple[str, int] | None:
    """(path relative to the working directory where possible, line) of where `obj` was created, if recorded."""
    try:
        found = _ORIGINS.get(obj)
    except TypeError:
        return None
    return (shown_path(found[0], root), found[1]) if found else None


def named_origins(made: list, root: Path | None = None) -> dict[str, tuple[str, int]]:
    """{name: (file, line)} of the objects in a recording's list that are still alive and have a name."""
    found = {}
    for ref in made:
        obj = ref()
        name = getattr(obj, "name", None) if obj is not None else None
        if isinstance(name, str) and name not in found and origin_of(obj, root):
            found[name] = origin_of(obj, root)
    return found


def raising_line(exc: BaseException, root: Path | None = None) -> tuple[str, int] | None:
    """(file, line) of the innermost frame of the user's code that the exception passed through."""
    libraries, found, tb = library_roots(), None, exc.__traceback__
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename, libraries):
            found = (shown_path(tb.tb_frame.f_code.co_filename, root), tb.tb_lineno)
        tb = tb.tb_next
    return found
