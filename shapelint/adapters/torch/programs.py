"""What a torch.export program may run, read from its JSON before torch deserialises it.

A serialized ExportedProgram names each node's function by a dotted path that the loader resolves by
getattr from `torch`, `_operator` or `math` (so "torch.save" would do), and carries guard expressions
that `ExportedProgram.module()` compiles with exec into the module's forward. Both are checked here as
data: a node may call an ATen operator that takes no file name (not aten::from_file, not aten::save), a
higher-order operator from the list below, or a plain operator or math function; a guard may only
compare sizes and numbers.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

HIGHER_ORDER = frozenset({"cond", "while_loop", "map_impl", "scan", "wrap_with_set_grad_enabled",
                          "wrap_with_autocast", "auto_functionalized", "auto_functionalized_v2", "invoke_subgraph"})
HOST_ARGUMENT = re.compile(r"file|path|dir|url", re.IGNORECASE)
TARGET = re.compile(r"(torch\.ops\.(?P<namespace>\w+)\.(?P<op>\w+)(\.\w+)?|_operator\.\w+|math\.\w+)")
# What a guard may use: the sizes of its inputs (L['x'].size()[2]), numbers, comparisons and arithmetic.
GUARD_NODES = (ast.Expression, ast.Compare, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Subscript, ast.Slice,
               ast.Name, ast.Attribute, ast.Call, ast.Load, ast.Tuple, ast.cmpop, ast.boolop, ast.operator, ast.unaryop)
GUARD_METHODS = frozenset({"size", "stride", "storage_offset", "dim", "numel"})
# torch's symbolic-size helpers that dynamic exports write into guards (torch.sym_max(1, L['x'].size()[3] // 8))
GUARD_TORCH = frozenset({"sym_max", "sym_min", "sym_not", "sym_float", "sym_int", "sym_ite", "sym_sqrt", "sym_sum"})
GUARD_NAMES = frozenset({"L", "math", "torch", "inf", "Eq", "Ne", "Max", "Min", "Mod", "Abs", "floor", "ceiling", "sqrt",
                         "FloorDiv", "CleanDiv", "PythonMod", "IntTrueDiv", "FloatTrueDiv", "ToFloat", "TruncToInt"})


@lru_cache(maxsize=1)
def file_operators() -> frozenset:
    """ATen operators with an argument named like a file, path, directory or URL (aten::from_file, aten::save)."""
    import torch

    return frozenset(schema.name.split("::")[1] for schema in torch._C._jit_get_all_schemas()
                     if schema.name.startswith("aten::")
                     and any(HOST_ARGUMENT.search(a.name) and "str" in str(a.type) for a in schema.arguments))


def refusals(program: dict) -> list[str]:
    """Why a serialized program (models/NAME.json) must not be deserialised, one phrase each."""
    found = [f"node calls {target}" for target in sorted(set(_targets(program))) if not _allowed(target)]
    for guard in program.get("guards_code") or []:
        if not isinstance(guard, str) or not _plain_guard(guard):
            found.append(f"guard {str(guard)[:60]!r} is code, not a size check")
    return found


def _targets(node):
    if isinstance(node, dict):
        if isinstance(node.get("target"), str) and "inputs" in node:
            yield node["target"]
        for value in node.values():
            yield from _targets(value)
    elif isinstance(node, list):
        for value in node:
            yield from _targets(value)


def _allowed(target: str) -> bool:
    match = TARGET.fullmatch(target)
    if not match or "__" in target:
        return False
    namespace, op = match.group("namespace"), match.group("op")
    if namespace is None:
        return True  # _operator.getitem, math.floor: pure functions of their arguments
    if namespace == "higher_order":
        return op in HIGHER_ORDER
    return namespace == "aten" and op not in file_operators()


def _plain_guard(guard: str) -> bool:
    try:
        tree = ast.parse(guard, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return False
    for node in ast.walk(tree):
        if not isinstance(node, GUARD_NODES):
            return False
        if isinstance(node, ast.Name) and node.id not in GUARD_NAMES:
            return False
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or not (
                node.attr in GUARD_METHODS or isinstance(node.value, ast.Name) and node.value.id == "math"
                or isinstance(node.value, ast.Name) and node.value.id == "torch" and node.attr in GUARD_TORCH)):
            return False
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, bool, str)):
            return False
    return True
