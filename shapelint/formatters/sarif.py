"""SARIF 2.1.0 for code scanning: rules from the rule docs, one result per finding on a file; the rest as notifications."""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..report import Report, SourceReport
from ..rules import REGISTRY
from .locate import SARIF_LEVELS, annotation_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def rule_descriptor(code: str, name: str) -> dict:
    """The rule's docstring is the single source: its summary line and the whole doc (What it does / ...)."""
    rule = REGISTRY.get(code)
    if rule is None:  # a finding from a rule this build does not know (e.g. a report read back from JSON)
        return {"id": code, "name": name}
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc},
        "help": {"text": rule.summary, "markdown": rule.doc},  # code scanning shows help.markdown on the alert
        "defaultConfiguration": {"level": SARIF_LEVELS[rule.severity]},
        "properties": {"tags": [rule.subject]},
    }


def location(result: SourceReport) -> dict:
    """The file behind the source as an absolute file URI (as ruff does: upload-sarif makes it relative to
    the checkout); a source that is not that file (keras:Name, pkg.module:factory) as a logical location."""
    found = {"physicalLocation": {"artifactLocation": {"uri": Path(result.path).resolve().as_uri()}}}
    if result.source != result.path:
        found["logicalLocations"] = [{"fullyQualifiedName": result.source, "kind": "module"}]
    return found


def format_sarif(report: Report) -> str:
    """Findings on a source without a file become tool notifications, not results: code scanning rejects
    the whole upload when one result has no file (the CLI first points such sources at a module file or
    at the pyproject.toml that lists them, see anchors.py)."""
    codes = sorted({(f.code, f.rule) for f in report.findings})
    index = {code: i for i, (code, _) in enumerate(codes)}
    results, notifications = [], []
    for result in report.results:
        if result.error:
            notifications.append({"level": "error", "message": {"text": result.error}})
        for finding in result.findings:
            level, text = SARIF_LEVELS[finding.severity], annotation_text(result, finding)
            rule = {"id": finding.code, "index": index[finding.code]}
            if not result.path:
                notifications.append({"level": level, "message": {"text": text}, "associatedRule": rule})
                continue
            results.append({
                "ruleId": finding.code,
                "ruleIndex": index[finding.code],
                "level": level,
                "message": {"text": text},
                "locations": [location(result)],
                "properties": {"rule": finding.rule, "layer": finding.layer, "fix": finding.fix},
            })
    run = {
        "tool": {"driver": {
            "name": "shapelint",
            "version": __version__,
            "rules": [rule_descriptor(code, name) for code, name in codes],
        }},
        "invocations": [{"executionSuccessful": not report.load_failed, "toolExecutionNotifications": notifications}],
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False) + "\n"
