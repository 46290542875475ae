"""Formatters: small plain functions (report) -> str, one per --format."""

from __future__ import annotations

from .github import format_github
from .json import format_json
from .sarif import format_sarif
from .table import format_table

FORMATTERS = {"table": format_table, "json": format_json, "sarif": format_sarif, "github": format_github}
