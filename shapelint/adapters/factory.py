"""Import a module:factory source's module and call its factory. Framework-free: the factory imports its own."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from ..errors import one_line
from ..sources import FactoryError, Source, SourceError


def call_factory(source: Source):
    """What the factory returns (or the object itself when the attribute is not callable)."""
    module_name, _, attr = source.location.rpartition(":")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name).resolve()
            spec = importlib.util.spec_from_file_location(f"shapelint_factory_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except Exception as exc:
        raise SourceError(f"{source.text}: cannot import {module_name}: {one_line(exc)}") from None
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
        raise FactoryError(f"{source.text}: factory failed: {one_line(exc)}", one_line(exc)) from None
