"""The rule registry. Rules are pure functions of records; importing them never imports a framework."""

from .registry import REGISTRY, Rule, lookup, rule, run_rules, selected  # noqa: F401
from . import backbone  # noqa: F401,E402  (registers SL1xx)
from . import head  # noqa: F401,E402  (registers SL2xx)
from . import safety  # noqa: F401,E402  (registers SL105)
