"""Read which classes and functions a torch.save pickle names, without unpickling a byte of it.

A pickle runs code by naming a callable (GLOBAL / STACK_GLOBAL) and calling it; a state_dict names
only the few tensor rebuilders below. Anything else (a pickled nn.Module names its classes, a payload
names os.system) is refused before torch.load sees the file, and the load that follows still uses
weights_only=True.
"""

from __future__ import annotations

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


def named_globals(data: bytes) -> list[str]:
    """Every callable the pickle names, in order; '?' where the name is not a plain string (never allowed)."""
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


def refuse_unsafe_pickle(path: Path, text: str) -> None:
    """SourceError naming what a full-model pickle would run, unless it holds only tensors."""
    if not zipfile.is_zipfile(path):
        return  # torch.save's legacy format: several pickles and raw bytes; weights_only=True guards it alone
    with zipfile.ZipFile(path) as archive:
        entry = next((n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"), None)
        data = archive.read(entry) if entry else b""
    try:
        names = named_globals(data)
    except Exception:  # noqa: BLE001  (a pickle pickletools cannot read is not one shapelint will load)
        raise SourceError(f"{text}: refused to load: unreadable pickle (pass --unsafe-load to allow)") from None
    unsafe = list(dict.fromkeys(n for n in names if n not in ALLOWED and not STORAGE.fullmatch(n)))
    if unsafe:
        more = f" and {len(unsafe) - 3} more" if len(unsafe) > 3 else ""
        raise SourceError(
            f"{text}: refused to load: a pickled full model runs code while loading ({', '.join(unsafe[:3])}{more}); "
            "save a TorchScript or torch.export file instead, or pass --unsafe-load to allow"
        )
