"""What a TorchScript archive's code calls, read from the archive's bytes before torch.jit.load sees it.

TorchScript is code: `torch.jit.save` writes each method as Python-like source under code/ (every ATen
operator printed as torch.NAME(...), interpreter primitives as ops.prim.NAME(...)), and torch.jit.load
compiles it, running a scripted __setstate__ while it loads. The source is parsed here with Python's
own parser and every call checked: an ATen operator that takes no file name (not aten::from_file, not
aten::save), an interpreter primitive, or a method, class or function of the archive's own code (whose
code is checked in turn); TorchScript has no other way out. Anything else (a custom op namespace, a torchbind class, an operator
this torch does not know) means the archive is not loaded.
"""

from __future__ import annotations

import ast
import zipfile
from functools import lru_cache
from pathlib import Path

from .programs import file_operators

MAX_CODE_BYTES = 64 << 20


@lru_cache(maxsize=1)
def aten_operators() -> frozenset:
    import torch

    return frozenset(s.name.split("::")[1] for s in torch._C._jit_get_all_schemas() if s.name.startswith("aten::"))


def refusals(path: Path) -> list[str]:
    """Why a TorchScript archive must not be loaded, one phrase each (its code/*.py calls, checked)."""
    found: list[str] = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if "/code/" not in f"/{info.filename}" or not info.filename.endswith(".py"):
                continue
            if info.file_size > MAX_CODE_BYTES:
                found.append(f"{info.filename} is over {MAX_CODE_BYTES >> 20} MiB")
                continue
            try:
                tree = ast.parse(archive.read(info).decode("utf8"))
            except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
                found.append(f"{info.filename} is not TorchScript source")
                continue
            found += _tree_refusals(tree)
    return list(dict.fromkeys(found))


def _tree_refusals(tree) -> list[str]:
    """Every dotted name rooted at torch, ops or __torch__, called or only named (`_0 = torch.from_file` then
    `_0(...)` is the same call): TorchScript has no other way to reach anything outside the archive's code."""
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    return [why for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and id(node) not in inner and (why := _refused(node))]


def _chain(node) -> list[str] | None:
    """a.b.c -> ["a", "b", "c"]; None when the chain does not start at a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *reversed(parts)] if isinstance(node, ast.Name) else None


def _refused(node) -> str | None:
    chain = _chain(node)
    if chain is None or chain[0] not in ("torch", "ops", "__torch__"):
        return None  # a value the code computed (a submodule, a function of its own): checked where it came from
    if chain[0] == "torch" and len(chain) == 2:
        if chain[1] in file_operators():
            return f"calls torch.{chain[1]} (aten::{chain[1]} reads or writes a file)"
        return None if chain[1] in aten_operators() else f"calls torch.{chain[1]}, not an ATen operator"
    if chain[0] == "ops" and len(chain) == 3:
        namespace, name = chain[1], chain[2]
        if namespace == "prim" or (namespace == "aten" and name in aten_operators() and name not in file_operators()):
            return None
        return f"calls ops.{namespace}.{name}"
    if chain[0] == "__torch__":  # the archive's own classes and functions, whose code is checked too
        return "uses a torchbind class" if chain[1:3] == ["torch", "classes"] else None
    return f"calls {'.'.join(chain)}"
