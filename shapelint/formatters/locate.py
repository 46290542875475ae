"""Where a finding points (the line that built its layer, else the source's file), shared by every format,
and one finding as annotation text for the CI formats (sarif, github)."""

from __future__ import annotations

from pathlib import Path

from ..report import Finding, SourceReport

# SARIF and GitHub both say "note"/"notice" for what shapelint calls info.
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def origin(result: SourceReport, finding: Finding) -> tuple[str, int] | None:
    """(file, line) of the code that created the finding's layer; a backbone finding (SL1xx) without a
    layer points at the line that built the backbone. None when no factory code made it (saved files)."""
    model = result.model
    if model is None:
        return None
    if model.build_error and not model.layers:  # nothing was built: the lines recorded while it failed
        return model.build_origin(finding.layer)
    layer = model.layer(finding.layer) if finding.layer else None
    if layer is None and model.backbone_layer and finding.code.startswith("SL1"):
        layer = model.layer(model.backbone_layer)
    return layer.origin if layer is not None else None


def where(result: SourceReport, finding: Finding, in_tree: bool = False) -> tuple[str | None, int | None]:
    """(file, line): the origin when known, else the source's own file with no line, else (None, None).

    in_tree: only an origin inside the working directory (a relative path) counts, as the CI formats need:
    an annotation on a file outside the repository goes nowhere, so they fall back to the anchored file.
    """
    found = origin(result, finding)
    if found and not (in_tree and Path(found[0]).is_absolute()):
        return found
    return result.path, result.line if result.path else None


def annotation_text(result: SourceReport, finding: Finding) -> str:
    """The message with its layer, the source when no file can carry it, and the fix on its own line.

    'Layer dense: Dense(5) receives ...' reads better in an annotation than a bracketed suffix; the
    layer and (for keras:/factory sources, which have no file) the source are added unless the message
    already names them.
    """
    text = finding.message
    if finding.layer and not any(f"{q}{finding.layer}{q}" in text for q in "'\""):
        text = f"Layer {finding.layer}: {text}"
    if not _points_at_its_own(result, finding) and result.source not in finding.message:
        text = f"{result.source}: {text}"
    return f"{text}\nFix: {finding.fix}" if finding.fix else text


def _points_at_its_own(result: SourceReport, finding: Finding) -> bool:
    """The finding points at the code that built its layer, or at the source's own file (model.keras): the
    source need not be named. A pyproject.toml entry, a module file or no file at all does not say which."""
    file, line = where(result, finding, in_tree=True)
    if file and (file, line) == origin(result, finding):
        return True
    return bool(file) and result.line is None and Path(file).resolve() == Path(result.source).resolve()
