"""Small helpers for the words of messages, shared by rules and formatters. Imports nothing."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """'feature' for 1, 'features' (or `many`) for any other count."""
    return word if n == 1 else (many or word + "s")


def counted(n: int, word: str, many: str | None = None) -> str:
    """'1 feature', '2 features', '1 class' / '5 classes' with many='classes'."""
    return f"{n} {plural(n, word, many)}"


def listed(items) -> str:
    """'torch', 'torch and timm', 'torch, timm and transformers'."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}" if items else ""
