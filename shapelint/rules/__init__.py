"""The rule registry. Rules are pure functions of records; importing them never imports a framework."""

from . import (
    backbone,  # noqa: F401,E402  (registers SL1xx)
    head,  # noqa: F401,E402  (registers SL2xx)
    safety,  # noqa: F401,E402  (registers SL105)
)
from .registry import REGISTRY, Rule, lookup, rule, run_rules, selected  # noqa: F401
