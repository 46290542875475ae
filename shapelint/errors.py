"""Turn framework exceptions into the one line a user reads."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# TensorFlow wraps op errors in "{{function_node ...}} ... [Op:Name] name: ..."; keep the middle.
_TF_WRAP = re.compile(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:[^\]]*\].*$|\s*Received args:.*$")
_NOISE = (
    "Exception encountered when calling",
    "Arguments received by",
    "Traceback",
    "  •",
    "Call arguments received",
)


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The most informative line of an exception, prefixed with its type, without colour codes."""
    text = _ANSI.sub("", str(exc))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(_NOISE)] or lines or [""]
    line = _TF_WRAP.sub("", useful[0]).strip()
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    name = type(exc).__name__
    return f"{name}: {line}" if line else name
