"""`shapelint cache info` and `shapelint cache clear`: see and empty the result cache. No framework is imported."""

from __future__ import annotations

import click

from . import main


@main.group("cache", short_help="See or clear cached results.")
def cache_group():
    """See or clear cached results ($SHAPELINT_CACHE_DIR, else $XDG_CACHE_HOME/shapelint, else ~/.cache/shapelint).

    A result is reused only while everything that decides it is unchanged: the model's files (for
    module:factory, every project file the factory imported), the versions and the options. --no-cache
    on probe or check runs every source again and overwrites its entry.
    """


@cache_group.command("info")
def cache_info():
    """Where the cache is, how many results it holds and their size."""
    from ..engine.cache import Cache

    cache = Cache()
    entries = cache.entries()
    size = sum(entry.stat().st_size for entry in entries)
    click.echo(f"directory: {cache.directory}\nresults: {len(entries)} ({size / 1024:.0f} KiB)")


@cache_group.command("clear")
def cache_clear():
    """Remove every cached result."""
    from ..engine.cache import Cache

    cache = Cache()
    removed = cache.clear()
    click.echo(f"removed {removed} cached result{'s' if removed != 1 else ''} from {cache.directory}")
