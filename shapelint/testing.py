"""Assertions for test suites: `assert_valid_head(model)` on its own, and the object behind the `shapelint` fixture.

Importing this module imports no framework; the first probe or check does.

    from shapelint.testing import assert_valid_head

    def test_classifier_head():
        assert_valid_head(build_classifier(num_classes=5), num_classes=5, sizes=[224, 160])
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import SEVERITIES, Finding, SourceReport, at_or_above
from .sources import parse_sizes


def as_sizes(value) -> tuple[tuple[int, int], ...] | None:
    """224, "224,160", [224, (96, 128), "192x256"] -> ((224, 224), ...); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, str)):
        value = [value]
    sizes = []
    for item in value:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            item = f"{item[0]}x{item[1]}"
        sizes.extend(parse_sizes(str(item)))
    return tuple(dict.fromkeys(sizes))


@dataclass(frozen=True)
class LintResult:
    """One model's probe or check: its findings, verdict and load error, and assert_clean()."""

    report: SourceReport
    fail_on: str = "warning"

    @property
    def source(self) -> str:
        return self.report.source

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.report.findings

    @property
    def verdict(self) -> dict | None:
        return self.report.verdict

    @property
    def error(self) -> str | None:
        return self.report.error

    def failing(self, fail_on: str | None = None) -> list[Finding]:
        return at_or_above(self.findings, fail_on or self.fail_on)

    def assert_clean(self, fail_on: str | None = None) -> None:
        """Fail with the findings printed as `shapelint check` prints them (rule, message, fix)."""
        __tracebackhide__ = True
        fail_on = fail_on or self.fail_on
        if fail_on not in SEVERITIES:
            raise ValueError(f"fail_on must be one of {', '.join(SEVERITIES)}, got {fail_on!r}")
        if self.error:  # errors usually begin with the source already
            where = "" if self.error.startswith(self.source) else f"{self.source}: "
            raise AssertionError(f"shapelint could not load {where}{self.error}")
        failing = self.failing(fail_on)
        if failing:
            from .formatters.table import finding_lines, format_source

            count = f"{len(failing)} finding{'s' if len(failing) > 1 else ''}"
            context = format_source(self.report, findings=False).rstrip()
            raise AssertionError("\n".join([f"shapelint: {count} at or above {fail_on} in {self.source}",
                                             *finding_lines(failing, self.report), "", context]))

    def __repr__(self) -> str:
        """The table `shapelint probe` / `check` prints: what a notebook shows without HTML."""
        from .formatters.table import format_source

        return format_source(self.report).rstrip()

    def _repr_html_(self) -> str:
        from .formatters.html import format_html

        return format_html(self.report)


@dataclass(frozen=True)
class ShapeLint:
    """Settings (from ini options and @pytest.mark.shapelint, or given) and the two calls a test makes."""

    sizes: tuple | None = None
    num_classes: int | None = None
    fail_on: str = "warning"
    select: tuple = ()
    ignore: tuple = ()

    def probe(self, model_or_source, sizes=None) -> LintResult:
        """Probe a backbone (a model object or a SOURCE string) at the given or configured sizes."""
        from .engine.run import probe_object, probe_source

        return self._lint(probe_source, probe_object, model_or_source, self._options(sizes))

    def check(self, model_or_source, num_classes=None, select=None, ignore=None, sizes=None, loss=None,
              input_shape=None) -> LintResult:
        """Lint a whole model's head (backbone rules included) the way `shapelint check` does.

        loss: the loss module a PyTorch model is trained with (nn.CrossEntropyLoss(), ...), for the loss rules.
        input_shape: the input a PyTorch model takes, without the batch ((1, 28, 28), (784,)), where the layer
        it meets first does not say.
        """
        from .engine.check import check_object, check_source

        if loss is not None:
            model_or_source = (model_or_source, loss)

        options = self._options(sizes, num_classes=num_classes or self.num_classes,
                                select=patterns(select if select is not None else self.select),
                                ignore=patterns(ignore if ignore is not None else self.ignore),
                                input_shape=tuple(input_shape) if input_shape else None)
        return self._lint(check_source, check_object, model_or_source, options)

    def _lint(self, by_source, by_object, model_or_source, options) -> LintResult:
        if isinstance(model_or_source, str):
            return LintResult(by_source(model_or_source, options), self.fail_on)
        return LintResult(by_object(model_or_source, _name(model_or_source), options), self.fail_on)

    def _options(self, sizes, **changes):
        from .engine.run import Options

        sizes = as_sizes(sizes) or self.sizes
        return Options(**({"sizes": sizes} if sizes else {}), **changes)


def patterns(value) -> tuple[str, ...]:
    """"SL2,SL101" or ["SL2", "SL101"] -> ("SL2", "SL101")."""
    if isinstance(value, str):
        value = value.split(",")
    return tuple(p.strip() for p in value or () if p.strip())


def _name(model) -> str:
    if isinstance(model, tuple) and model:  # (model, loss)
        model = model[0]
    name = getattr(model, "name", None)
    return name if isinstance(name, str) and name else type(model).__name__


def assert_valid_head(model, num_classes: int | None = None, sizes=None, fail_on: str = "warning") -> LintResult:
    """Check a model's head and fail, with the findings, on any at or above fail_on; usable without the fixture."""
    __tracebackhide__ = True
    result = ShapeLint(as_sizes(sizes), num_classes, fail_on).check(model)
    result.assert_clean()
    return result
