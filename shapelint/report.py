"""Findings and reports: what the engine collected, before any formatting."""

from __future__ import annotations

from dataclasses import dataclass, field

from .records.backbone import BackboneRecord
from .records.layers import ModelRecord

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
            "tokens": probed.get("tokens"),  # records.facts: what the model declares about its tokens and sizes
            "classifier": probed.get("classifier"),
            "size_rule": probed.get("size_rule"),
            "path": self.path,
            "model": self.model.to_json() if self.model else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> SourceReport:
        """The inverse of to_json: results cross process boundaries and sit in the cache as JSON."""
        backbone = None
        if data.get("input"):
            backbone = BackboneRecord.from_json(dict(data, source=data.get("backbone") or data["source"]))
        findings = tuple(Finding.from_json(f) for f in data.get("findings", ()))
        model = ModelRecord.from_json(data["model"]) if data.get("model") else None
        return cls(data["source"], backbone, data.get("verdict"), findings, data.get("error"), data.get("path"), model)


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

    def exit_code(self, fail_on: str = "warning") -> int:
        """0 clean, 1 findings at or above fail_on, 2 a source could not be loaded."""
        if self.load_failed:
            return 2
        return 1 if at_or_above(self.findings, fail_on) else 0
