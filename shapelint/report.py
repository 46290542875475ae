"""Findings and reports: what the engine collected, before any formatting."""

from __future__ import annotations

from dataclasses import dataclass, field

from .records.backbone import BackboneRecord
from .records.layers import ModelRecord
from .sources import format_size

SEVERITIES = ("info", "warning", "error")
JSON_VERSION = 1


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def at_or_above(findings, fail_on: str) -> list[Finding]:
    """The findings whose severity is fail_on or worse: what --fail-on and assert_clean() fail on."""
    threshold = severity_rank(fail_on)
    return [f for f in findings if severity_rank(f.severity) >= threshold]


@dataclass(frozen=True)
class Finding:
    rule: str  # kebab-case name, e.g. dense-on-feature-map
    code: str  # e.g. SL201
    severity: str
    message: str
    fix: str
    layer: str | None = None

    def to_json(self) -> dict:
        return {"rule": self.rule, "code": self.code, "severity": self.severity,
                "message": self.message, "fix": self.fix, "layer": self.layer}

    @classmethod
    def from_json(cls, data: dict) -> Finding:
        return cls(data["rule"], data["code"], data["severity"], data["message"], data["fix"], data.get("layer"))


@dataclass(frozen=True)
class SourceReport:
    """One source's outcome: its probe, verdict, findings, or the one-line reason it could not be loaded."""

    source: str
    backbone: BackboneRecord | None = None
    verdict: dict | None = None
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    path: str | None = None  # a file behind the source, for formats that point at files
    model: ModelRecord | None = None  # check: the whole model's layer graph, for the head table and finding lines
    line: int | None = None  # the line of `path` that names the source (its pyproject.toml entry), when anchored

    @property
    def unanswered(self) -> str | None:
        """Why no size asked for gave an answer (each too small, or none worked at all); None when one did.

        Such a source was probed but not checked at the sizes the user asked for: it must not exit 0.
        """
        if self.error or self.backbone is None or not self.verdict:
            return None
        asked = [r for r in self.backbone.records if r.why is None]
        if not asked or any(r.ok for r in asked):
            return None
        sizes = ", ".join(format_size(r.size) for r in asked)
        smallest = self.verdict.get("min_size")
        if smallest:
            return f"{self.source}: no size asked for works ({sizes}); the smallest that works is {format_size(smallest)}"
        if not self.verdict.get("working_sizes"):
            return f"{self.source}: no input size works ({sizes})"
        return None

    def to_json(self) -> dict:
        probed = self.backbone.to_json() if self.backbone else {}
        return {
            "source": self.source,
            "records": probed.get("records", []),
            "verdict": self.verdict,
            "findings": [f.to_json() for f in self.findings],
            "error": self.error,
            "backbone": probed.get("source"),  # what was probed: the source, or the backbone inside a model
            "input": probed.get("input"),
            "kind": probed.get("kind"),
            "suspicious": probed.get("suspicious", []),
            "framework": probed.get("framework"),
            "declared_layout": probed.get("declared_layout"),  # the layout the model states, where it does
            # what the model declares of itself (records.facts): prefix tokens, a whole classifier, its size rule
            "tokens": probed.get("tokens"),
            "classifier": probed.get("classifier"),
            "size_rule": probed.get("size_rule"),
            "path": self.path,
            "model": self.model.to_json() if self.model else None,
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: dict) -> SourceReport:
        """The inverse of to_json: results cross process boundaries and sit in the cache as JSON."""
        backbone = None
        if data.get("input"):
            backbone = BackboneRecord.from_json(dict(data, source=data.get("backbone") or data["source"]))
        findings = tuple(Finding.from_json(f) for f in data.get("findings", ()))
        model = ModelRecord.from_json(data["model"]) if data.get("model") else None
        return cls(data["source"], backbone, data.get("verdict"), findings, data.get("error"), data.get("path"), model,
                   data.get("line"))


@dataclass(frozen=True)
class Report:
    results: tuple[SourceReport, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {"version": JSON_VERSION, "results": [r.to_json() for r in self.results]}

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    @property
    def load_failed(self) -> bool:
        return any(r.error for r in self.results)

    @property
    def not_checked(self) -> bool:
        """A source failed to load, or no size asked for gave it an answer: exit 2 whatever the findings."""
        return self.load_failed or any(r.unanswered for r in self.results)

    def exit_code(self, fail_on: str = "warning") -> int:
        """0 clean, 1 findings at or above fail_on, 2 a source could not be loaded or probed at any size asked."""
        if self.not_checked:
            return 2
        return 1 if at_or_above(self.findings, fail_on) else 0
