"""SARIF 2.1.0 for code scanning: rules from the rule docs, one result per finding, load errors as notifications."""

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
    """The file behind the source where there is one; otherwise the source string as a logical location."""
    if result.path:
        path = Path(result.path)
        uri = path.resolve().as_uri() if path.is_absolute() else path.as_posix()
        return {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    return {"logicalLocations": [{"fullyQualifiedName": result.source, "kind": "module"}]}


def format_sarif(report: Report) -> str:
    codes = sorted({(f.code, f.rule) for f in report.findings})
    index = {code: i for i, (code, _) in enumerate(codes)}
    results, notifications = [], []
    for result in report.results:
        if result.error:
            notifications.append({"level": "error", "message": {"text": result.error}, "locations": [location(result)]})
        for finding in result.findings:
            results.append({
                "ruleId": finding.code,
                "ruleIndex": index[finding.code],
                "level": SARIF_LEVELS[finding.severity],
                "message": {"text": annotation_text(result, finding)},
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
