"""SARIF 2.1.0 for code scanning: rules from the rule docs, one result per finding on a file; the rest as notifications."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..report import Finding, Report, SourceReport
from ..rules import REGISTRY
from .locate import SARIF_LEVELS, annotation_text, where

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"  # the repository root: code scanning resolves it to the checkout


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


def artifact(file: str, root: Path | None = None) -> dict:
    """A file inside the working directory (the repository root in CI) as a URI relative to %SRCROOT%;
    one outside it (a TF Hub cache folder) as an absolute file URI."""
    root = (root or Path.cwd()).resolve()
    path = (root / file).resolve()
    try:
        return {"uri": quote(path.relative_to(root).as_posix()), "uriBaseId": SRCROOT}
    except ValueError:
        return {"uri": path.as_uri()}


def location(result: SourceReport, finding: Finding) -> dict:
    """The line that built the finding's layer (a region), else the source's file; the source, when it is not
    that file (keras:Name, pkg.module:factory), and the layer as logical locations."""
    file, line = where(result, finding, in_tree=True)
    physical = {"artifactLocation": artifact(file)}
    if line:
        physical["region"] = {"startLine": line}
    found = {"physicalLocation": physical}
    logical = []
    if result.source != file:
        logical.append({"fullyQualifiedName": result.source, "kind": "module"})
    if finding.layer:
        logical.append({"name": finding.layer, "fullyQualifiedName": f"{result.source}/{finding.layer}",
                        "kind": "member"})
    if logical:
        found["logicalLocations"] = logical
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
            if not where(result, finding, in_tree=True)[0]:
                notifications.append({"level": level, "message": {"text": text}, "associatedRule": rule})
                continue
            results.append({
                "ruleId": finding.code,
                "ruleIndex": index[finding.code],
                "level": level,
                "message": {"text": text},
                "locations": [location(result, finding)],
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
