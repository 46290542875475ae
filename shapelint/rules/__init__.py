"""The rule registry. Rules are pure functions of records; importing them never imports a framework."""

from . import backbone, build, classifier, crash, head, input_sizes, losses, safety, tokens  # noqa: F401  (importing a rule module registers its rules)
from .registry import REGISTRY, Rule, lookup, rule, run_rules, selected  # noqa: F401
