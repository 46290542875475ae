"""Formatters: small plain functions (report) -> str, one per --format."""

from __future__ import annotations

from .json import format_json
from .table import format_table

FORMATTERS = {"table": format_table, "json": format_json}
