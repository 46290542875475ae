"""One table of rules. A rule's docstring is its documentation: What it does / Why is this bad? / Example / Use instead."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable, Iterable

from ..report import SEVERITIES, Finding

REGISTRY: dict[str, "Rule"] = {}  # by code


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    subject: str  # "backbone" (reads a BackboneRecord) or "head" (reads a ModelRecord)
    check: Callable

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def summary(self) -> str:
        """The first sentence of 'What it does'."""
        for line in self.doc.splitlines():
            if line.strip() and not line.startswith("#"):
                return line.strip()
        return self.name

    def finding(self, message: str, fix: str, layer: str | None = None) -> Finding:
        return Finding(self.name, self.code, self.severity, message, fix, layer)


def rule(code: str, name: str, severity: str, subject: str):
    """Register a check function; it yields (message, fix) or (message, fix, layer) tuples."""
    assert severity in SEVERITIES and code not in REGISTRY, (code, severity)

    def register(check):
        REGISTRY[code] = Rule(code, name, severity, subject, check)
        return check

    return register


def lookup(key: str) -> Rule | None:
    key = key.strip()
    return REGISTRY.get(key.upper()) or next((r for r in REGISTRY.values() if r.name == key.lower()), None)


def _match(rule_: Rule, patterns: Iterable[str]) -> int:
    """Length of the longest pattern naming this rule (code prefix or exact name); 0 if none."""
    best = 0
    for pattern in patterns:
        pattern = pattern.strip()
        if pattern.lower() == rule_.name or (pattern and rule_.code.startswith(pattern.upper())):
            best = max(best, len(pattern) if pattern.lower() != rule_.name else 99)
        elif pattern.upper() == "ALL":
            best = max(best, 1)
    return best


def selected(rule_: Rule, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> bool:
    """flake8's rule: the longer of the matching select and ignore patterns wins; nothing selected means all."""
    chosen = _match(rule_, select) if list(select) else 1
    return chosen > 0 and chosen > _match(rule_, ignore)


def run_rules(subject: str, record, select=(), ignore=(), **options) -> tuple[Finding, ...]:
    findings = []
    for rule_ in sorted(REGISTRY.values(), key=lambda r: r.code):
        if rule_.subject != subject or not selected(rule_, select, ignore):
            continue
        for item in rule_.check(record, **options):
            findings.append(rule_.finding(*item))
    return tuple(findings)


def validate_patterns(patterns: Iterable[str]) -> list[str]:
    """Patterns that match no rule, so the CLI can refuse a typo instead of silently selecting nothing."""
    return [p for p in patterns if p.strip() and _match_any(p) is False]


def _match_any(pattern: str) -> bool:
    return pattern.strip().upper() == "ALL" or any(_match(r, [pattern]) for r in REGISTRY.values())
