"""`shapelint rules` and `shapelint explain`: the registry and its docs. No framework is imported."""

from __future__ import annotations

import difflib

import click

from . import main


@main.command("rules")
def rules_command():
    """List every rule: code, name, severity, and what it does."""
    from tabulate import tabulate

    from ..rules.registry import all_rules

    rows = [(r.code, r.name, r.severity, r.summary) for r in all_rules()]
    click.echo(tabulate(rows, headers=["code", "name", "severity", "what it does"], tablefmt="simple"))


@main.command(short_help="Print a rule's documentation (SL201 or dense-on-feature-map).")
@click.argument("rule")
def explain(rule):
    """Print the documentation of RULE, given by code (SL201) or name (dense-on-feature-map)."""
    from ..rules import REGISTRY, lookup

    found = lookup(rule)
    if found is None:
        names = [r.name for r in REGISTRY.values()] + list(REGISTRY)
        close = difflib.get_close_matches(rule, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see 'shapelint rules'"
        raise click.BadParameter(f"no rule {rule!r}{hint}", param_hint="RULE")
    click.echo(f"{found.code} {found.name} ({found.severity})\n\n{found.doc}")
