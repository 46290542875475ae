"""The PyTorch rules' good and bad examples are their tests (as test_rules_head.py does for Keras): each example
is a real torch factory file, checked through check_source as the CLI does. A bad example yields exactly its
own rule at a layer; a good one yields nothing."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

from shapelint.engine.check import check_source
from shapelint.engine.run import Options

SIZES = ((64, 64), (32, 32))

PRELUDE = '''
import torch
import torch.nn.functional as F
from torch import nn


def backbone():
    """(N, 3, H, W) -> (N, 16, H/4, W/4)."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1))


class Net(nn.Module):
    """A backbone, then `pool`, then the classifier `fc`, then `end` (an activation or nothing)."""

    def __init__(self, fc, pool=None, end=None):
        super().__init__()
        self.body, self.fc = backbone(), fc
        self.pool = pool or (lambda x: torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
        self.end = end or (lambda x: x)

    def forward(self, x):
        return self.end(self.fc(self.pool(self.body(x))))
'''


@dataclass(frozen=True)
class Example:
    code: str  # the body of build(); sets `model` (a module or (module, loss))

    @property
    def id(self) -> str:
        return self.code.strip().splitlines()[0][:60]


TORCH_EXAMPLES = {
    "linear-features-mismatch": {
        "bad": [Example("model = Net(nn.Linear(2048, 3))"),
                Example("model = Net(nn.Linear(16, 3), pool=lambda x: torch.flatten(x, 1))")],
        "good": [Example("model = Net(nn.Linear(16, 3))")],
    },
    "model-cannot-run": {
        "bad": [Example("model = Net(nn.Linear(16, 3), pool=lambda x: x.reshape(-1, 999))")],
        "good": [Example("model = Net(nn.Linear(16, 3), pool=lambda x: x.mean((2, 3)))")],
    },
    "softmax-over-batch": {
        "bad": [Example("model = Net(nn.Linear(16, 3), end=lambda x: F.softmax(x, dim=0))"),
                Example("model = Net(nn.Linear(16, 3), end=nn.LogSoftmax(dim=0)), nn.NLLLoss()")],
        "good": [Example("model = Net(nn.Linear(16, 3), end=lambda x: F.softmax(x, dim=1))"),
                 Example("model = Net(nn.Linear(16, 3), end=nn.LogSoftmax(dim=1)), nn.NLLLoss()")],
    },
    "non-negative-logits": {
        "bad": [Example("model = Net(nn.Linear(16, 3), end=nn.ReLU()), nn.CrossEntropyLoss()"),
                Example("model = Net(nn.Linear(16, 1), end=F.softplus), nn.BCEWithLogitsLoss()"),
                Example("model = Net(nn.Linear(16, 3), end=lambda x: F.log_softmax(F.relu(x), dim=1)), nn.NLLLoss()")],
        "good": [Example("model = Net(nn.Linear(16, 3)), nn.CrossEntropyLoss()"),
                 Example("model = Net(nn.Linear(16, 3), end=nn.ReLU()), nn.MSELoss()")],
    },
}

CASES = [
    pytest.param(name, kind, example, id=f"{name}-{kind}-{i}")
    for name, kinds in TORCH_EXAMPLES.items()
    for kind, examples in kinds.items()
    for i, example in enumerate(examples)
]


@pytest.fixture(scope="module")
def write_example(tmp_path_factory):
    folder = tmp_path_factory.mktemp("torch_examples")
    count = iter(range(10_000))

    def write(example: Example) -> str:
        path = folder / f"torch_example_{next(count)}.py"
        body = textwrap.indent(textwrap.dedent(example.code).strip(), "    ")
        path.write_text(PRELUDE + f"\n\ndef build():\n{body}\n    return model\n")
        return f"{path}:build"

    return write


def check(write_example, example: Example):
    return check_source(write_example(example), Options(sizes=SIZES, select=("SL2",)))


@pytest.mark.parametrize("name, kind, example", CASES)
def test_torch_rule_examples(write_example, name, kind, example):
    result = check(write_example, example)
    assert result.error is None, result.error
    found = [(f.rule, f.message) for f in result.findings]
    if kind == "bad":
        assert [rule for rule, _ in found] == [name], found
        assert result.findings[0].layer
    else:
        assert found == []


def test_a_replaced_classifier_sized_for_another_backbone_is_a_finding_at_its_line(write_example):
    result = check(write_example, TORCH_EXAMPLES["linear-features-mismatch"]["bad"][0])
    (finding,) = result.findings
    assert finding.message == "nn.Linear(2048, 3) 'fc' expects 2048 features; torch.flatten(x, 1) 'flatten' gives 16"
    assert finding.fix == "Build nn.Linear(2048, 3) 'fc' as nn.Linear(16, 3)"
    assert result.model.layer("fc").origin[1] == 1 + PRELUDE.count("\n") + 3  # the line in build() that made it


def test_a_model_that_cannot_run_is_never_a_pass(write_example):
    result = check(write_example, TORCH_EXAMPLES["model-cannot-run"]["bad"][0])
    (finding,) = result.findings
    assert finding.layer == "reshape" and "shape '[-1, 999]' is invalid" in finding.message
    assert result.model.layers[-1].name == "reshape"  # nothing after the failure is claimed
