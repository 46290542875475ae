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
        """The docstring's one-line summary (the line before '## What it does')."""
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


def all_rules() -> list[Rule]:
    """Every registered rule, by code: the order of findings, `shapelint rules` and the README table."""
    return sorted(REGISTRY.values(), key=lambda r: r.code)


def lookup(key: str) -> Rule | None:
    key = key.strip()
    return REGISTRY.get(key.upper()) or next((r for r in REGISTRY.values() if r.name == key.lower()), None)


def _match(rule_: Rule, patterns: Iterable[str]) -> int:
    """Length of the longest pattern naming this rule (code prefix or exact name); 0 if none."""
    return max((_specificity(rule_, pattern.strip()) for pattern in patterns), default=0)


def _specificity(rule_: Rule, pattern: str) -> int:
    if pattern.lower() == rule_.name:
        return 99  # a name beats any code prefix
    if pattern and rule_.code.startswith(pattern.upper()):
        return len(pattern)
    return 1 if pattern.upper() == "ALL" else 0


def selected(rule_: Rule, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> bool:
    """flake8's rule: the longer of the matching select and ignore patterns wins; nothing selected means all."""
    chosen = _match(rule_, select) if list(select) else 1
    return chosen > 0 and chosen > _match(rule_, ignore)


def run_rules(subject: str, record, select=(), ignore=(), **options) -> tuple[Finding, ...]:
    findings = []
    for rule_ in all_rules():
        if rule_.subject != subject or not selected(rule_, select, ignore):
            continue
        for item in rule_.check(record, **options):
            findings.append(rule_.finding(*item))
    return tuple(findings)


def validate_patterns(patterns: Iterable[str]) -> list[str]:
    """Patterns that match no rule, so the CLI can refuse a typo instead of silently selecting nothing."""
    return [p for p in patterns if p.strip() and not any(_match(r, [p]) for r in REGISTRY.values())]
