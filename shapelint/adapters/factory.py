"""Import a module:factory source's module and call its factory. Framework-free: the factory imports its own.

The project is importable as Python and pytest users expect: the working directory, and for a file.py
the folder above its package (the first one without __init__.py), come first on sys.path. An adapter
passes `recording`, a context manager that notes where its framework's layers are created (see
origins.py), and both the import and the call run inside it: a module may build its model at import time.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from ..errors import one_line
from ..sources import FactoryError, Source, SourceError
from .origins import named_origins, raising_line


def call_factory(source: Source, recording=contextlib.nullcontext):
    """What the factory returns (or the object itself when the attribute is not callable)."""
    module_name, _, attr = source.location.rpartition(":")
    with recording() as made:
        module = _import(source, module_name)
        factory = module
        for part in attr.split("."):
            factory = getattr(factory, part, None)
            if factory is None:
                raise SourceError(f"{source.text}: {module_name} has no attribute {attr!r}")
        if not (inspect.isroutine(factory) or inspect.isclass(factory)):
            return factory  # already a model object
        try:
            return factory()
        except Exception as exc:
            # the lines of the layers made before the failure, while the traceback still keeps them alive
            lines = dict(named_origins(made or []), **({"": raising_line(exc)} if raising_line(exc) else {}))
            raise FactoryError(f"{source.text}: factory failed: {one_line(exc)}", one_line(exc), lines) from None


def project_roots(module_name: str) -> list[str]:
    """The folders that make the factory's project importable: its package root (for a file.py), then the
    working directory."""
    roots = [str(Path.cwd())]
    if module_name.endswith(".py"):
        package_root = Path(module_name).resolve().parent
        while (package_root / "__init__.py").is_file() and package_root.parent != package_root:
            package_root = package_root.parent
        roots.insert(0, str(package_root))
    return roots


def _import(source: Source, module_name: str):
    for root in reversed(project_roots(module_name)):
        if root not in sys.path:
            sys.path.insert(0, root)
    try:
        if module_name.endswith(".py"):
            path = Path(module_name).resolve()
            spec = importlib.util.spec_from_file_location(f"shapelint_factory_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            return module
        return importlib.import_module(module_name)
    except Exception as exc:
        raise SourceError(f"{source.text}: cannot import {module_name}: {one_line(exc)}") from None
