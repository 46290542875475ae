"""[tool.shapelint] in pyproject.toml: found by walking up from the working directory, checked, and turned
into click's default_map (black's way), so flags given on the command line override the file.

    [tool.shapelint]
    sources = ["keras:MobileNetV2?alpha=0.35", "models/classifier.keras"]
    sizes = [224, 160, "192x256"]
    num_classes = 10
    select = ["SL1", "SL2"]
    ignore = ["SL103"]
    fail-on = "warning"
    input_shape = [1, 28, 28]   # a PyTorch model's input without the batch, where its first layer does not say

    [[tool.shapelint.overrides]]
    sources = ["keras:NASNetMobile*"]   # fnmatch patterns over source strings
    sizes = [224]

Nothing here imports a framework.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomllib

from .sources import SourceError, format_size, parse_sizes

FAIL_ON = ("error", "warning", "info")
OVERRIDE_KEYS = ("sources", "sizes", "num_classes", "select", "ignore", "input_shape")
KEYS = (*OVERRIDE_KEYS, "fail-on", "overrides")


class ConfigError(ValueError):
    """The config file cannot be used; the message is one line naming the file and the key."""


@dataclass(frozen=True)
class Override:
    patterns: tuple[str, ...]
    values: dict = field(hash=False)  # checked values of OVERRIDE_KEYS other than sources

    def matches(self, source: str) -> bool:
        return any(source == p or fnmatch.fnmatchcase(source, p) for p in self.patterns)


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    values: dict = field(default_factory=dict, hash=False)  # checked, underscore keys
    overrides: tuple[Override, ...] = ()
    unknown: tuple[str, ...] = ()


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml with a [tool.shapelint] table, from start up to the filesystem root."""
    directory = (start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "shapelint" in _read(candidate).get("tool", {}):
            return candidate
    return None


def load_config(path: Path | None = None) -> Config:
    """Read and check [tool.shapelint] of path (default: the nearest one); no file gives an empty Config."""
    path = path or find_pyproject()
    if path is None:
        return Config()
    table = _read(path).get("tool", {}).get("shapelint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.shapelint] must be a table")
    values, unknown = _check(table, KEYS, f"{path}: [tool.shapelint]")
    overrides = []
    for i, item in enumerate(values.pop("overrides", [])):
        override, more = _override(item, f"{path}: [[tool.shapelint.overrides]] #{i + 1}")
        overrides.append(replace(override, patterns=tuple(relocate(p, path.parent) for p in override.patterns)))
        unknown += more
    if "sources" in values:
        values["sources"] = [relocate(source, path.parent) for source in values["sources"]]
    return Config(path, values, tuple(overrides), tuple(unknown))


def relocate(source: str, base: Path, cwd: Path | None = None) -> str:
    """A source (or override pattern) written relative to the config file's folder, as seen from the
    working directory: 'models/a.keras' in ../pyproject.toml is '../models/a.keras' from a subfolder.
    keras: names, URLs, absolute paths and dotted module:factory sources stay as written (the config's
    folder is made importable instead, see cli/configure.py)."""
    cwd = (cwd or Path.cwd()).resolve()
    base = base.resolve()
    if base == cwd or source.startswith("keras:") or "://" in source:
        return source
    location, sep, attr = source.rpartition(":") if _is_file_factory(source) else (source, "", "")
    if not sep and re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*", source):  # pkg.module:factory
        return source
    if Path(location).expanduser().is_absolute():
        return source
    return Path(os.path.relpath(base / location, cwd)).as_posix() + sep + attr


def _is_file_factory(source: str) -> bool:
    location, sep, attr = source.rpartition(":")
    return bool(sep) and location.endswith(".py") and bool(re.fullmatch(r"[A-Za-z_][\w.]*", attr))


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None


def _check(table: dict, allowed: tuple[str, ...], where: str) -> tuple[dict, list[str]]:
    values, unknown = {}, []
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in {k.replace("-", "_") for k in allowed}:
            unknown.append(f"{where}: unknown key {raw_key!r} (known: {', '.join(allowed)})")
            continue
        values[key] = CHECKS[key](value, f"{where} {raw_key}")
    return values, unknown


def _override(item, where: str) -> tuple[Override, list[str]]:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a table, got {_type(item)}")
    values, unknown = _check(item, OVERRIDE_KEYS, where)
    if "sources" not in values:
        raise ConfigError(f"{where}: missing 'sources', the patterns the override applies to")
    return Override(tuple(values.pop("sources")), values), unknown


def _type(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _strings(value, where: str) -> list[str]:
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {_type(value)}")
    return [v.strip() for v in value]


def _sizes(value, where: str) -> tuple[tuple[int, int], ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in value):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected sizes like [224, \"192x256\"] or \"224,160\", got {_type(value)}")
    try:
        return parse_sizes(value)
    except SourceError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _num_classes(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected a positive integer, got {value!r}")
    return value


def _input_shape(value, where: str) -> list[int]:
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            pass
    if not isinstance(value, list) or not value or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise ConfigError(f"{where}: expected an input shape without the batch like [1, 28, 28] or \"784\", "
                          f"got {value!r}")
    return value


def _rules(value, where: str) -> list[str]:
    from .rules.registry import validate_patterns

    patterns = _strings(value, where)
    unknown = validate_patterns(patterns)
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]!r} matches no rule code or name")
    return patterns


def _fail_on(value, where: str) -> str:
    if value not in FAIL_ON:
        raise ConfigError(f"{where}: expected one of {', '.join(FAIL_ON)}, got {value!r}")
    return value


def _overrides(value, where: str) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected [[tool.shapelint.overrides]] tables, got {_type(value)}")
    return value


CHECKS = {"sources": _strings, "sizes": _sizes, "num_classes": _num_classes, "select": _rules,
          "input_shape": _input_shape,
          "ignore": _rules, "fail_on": _fail_on, "overrides": _overrides}


def default_map(config: Config, params, skip: tuple[str, ...] = ()) -> dict:
    """The values a command's click params take from the file, in the form each param parses."""
    result = {}
    for param in params:
        if param.name not in config.values or param.name in skip:
            continue
        value = config.values[param.name]
        if param.name == "sizes":
            value = ",".join(format_size(s) for s in value)
        elif param.name == "input_shape":
            value = ",".join(map(str, value))
        elif isinstance(value, list) and not (param.multiple or param.nargs == -1):
            value = ",".join(value)
        result[param.name] = value
    return result


def options_for(source: str, options, config: Config, explicit: tuple[str, ...] = ()):
    """Options for one source: the matching overrides in file order, except what the command line set."""
    changes = {}
    for override in config.overrides:
        if override.matches(source):
            changes.update({k: (tuple(v) if isinstance(v, list) else v)
                            for k, v in override.values.items() if k not in explicit})
    return replace(options, **changes) if changes else options
