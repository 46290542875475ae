"""`check` sees the whole PyTorch program: the calls forward makes between modules (torch.flatten, x.mean,
F.softmax, x[:, 0]) are records with their facts, forward's real outputs are the model's outputs, and the
rules read them as they read modules. Plain torch in this process, tiny modules defined here.
"""

from __future__ import annotations

import pytest

import shapelint
from shapelint.engine.probe import probe

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional
SIZES = ((32, 32), (48, 48))


def backbone():
    """Two stride-2 convolutions: (N, 3, H, W) -> (N, 16, H/4, W/4)."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1))


class Head(nn.Module):
    """A backbone and a classifier, with the head written in forward as users write it."""

    def __init__(self, head, features: int = 16, classes: int = 5):
        super().__init__()
        self.body, self.fc, self.head = backbone(), nn.Linear(features, classes), head

    def forward(self, x):
        return self.head(self, self.body(x))


def record(model, loss=None):
    from shapelint.adapters.torch.graph import model_record
    from shapelint.adapters.torch.load import from_object

    return model_record(from_object((model, loss) if loss is not None else model, "m"), SIZES, probe)


def codes(model, loss=None, **kwargs) -> list[str]:
    result = shapelint.check((model, loss) if loss is not None else model, sizes="32,48", **kwargs)
    assert result.error is None, result.error
    return [f.code for f in result.findings if f.code.startswith("SL2")]


def line_of(text: str) -> int:
    """The line of this file that holds `text` (where a lambda below makes its call)."""
    with open(__file__) as source:
        return next(i for i, line in enumerate(source, 1) if text in line)


def test_the_calls_forward_makes_are_records_with_their_facts():
    model = Head(lambda m, x: F.log_softmax(m.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)), dim=1))
    found = record(model, nn.NLLLoss())
    rows = [(r.name, r.kind, r.class_name, r.call, r.function, r.inbound) for r in found.layers]
    assert rows == [
        ("body", "model", "Sequential", "nn.Sequential()", False, ()),
        ("adaptive_avg_pool2d", "global_pool", "F.adaptive_avg_pool2d", "F.adaptive_avg_pool2d(x, 1)", True, ("body",)),
        ("flatten", "flatten", "torch.flatten", "torch.flatten(x, 1)", True, ("adaptive_avg_pool2d",)),
        ("fc", "dense", "Linear", "nn.Linear(16, 5)", False, ("flatten",)),
        ("log_softmax", "activation", "F.log_softmax", "F.log_softmax(x, dim=1)", True, ("fc",)),
    ]
    pool, softmax = found.layer("adaptive_avg_pool2d"), found.layer("log_softmax")
    assert (pool.pooling, pool.pool_dims, pool.axes, pool.reduces) == ("average", 2, (2, 3), "spatial")
    assert (softmax.activation, softmax.axes) == ("log_softmax", (1,))
    assert pool.origin[0].endswith("test_torch_program.py")
    assert pool.origin[1] == line_of("F.log_softmax(m.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))")
    assert found.outputs == ("log_softmax",) and found.build_error is None
    assert codes(model, nn.NLLLoss()) == []  # log-probabilities into NLLLoss: right


def test_a_mean_over_the_map_is_pooling_and_a_view_of_the_batch_is_a_flatten():
    model = Head(lambda m, x: m.fc(x.mean(dim=(2, 3)).view(x.size(0), -1)))
    found = record(model)
    mean, view = found.layer("mean"), found.layer("view")
    assert (mean.kind, mean.call, mean.pooling, mean.reduces) == ("global_pool", "x.mean(dim=(2, 3))", "average",
                                                                   "spatial")
    assert (view.kind, view.call) == ("flatten", "x.view(x.size(0), -1)")
    assert found.head_pools() and codes(model, nn.CrossEntropyLoss()) == []


def test_a_functional_flatten_of_the_map_is_size_bound():
    model = Head(lambda m, x: m.fc(torch.flatten(x, 1)), features=16 * 8 * 8)
    result = shapelint.check(model, sizes="32,48")
    (finding,) = [f for f in result.findings if f.code == "SL202"]
    assert finding.message.startswith("torch.flatten(x, 1) 'flatten' turns a (None, 16, 8, 8) feature map into "
                                      "1024 features at 32 but 2304 at 48")


def test_a_functional_softmax_trained_with_cross_entropy_is_applied_twice():
    model = Head(lambda m, x: F.softmax(m.fc(x.mean((2, 3))), dim=1))
    result = shapelint.check((model, nn.CrossEntropyLoss()), sizes="32,48")
    (finding,) = [f for f in result.findings if f.code.startswith("SL2")]
    assert finding.code == "SL205" and finding.layer == "softmax"
    assert finding.message.startswith("The model ends in F.softmax(x, dim=1) 'softmax' but the loss is "
                                      "nn.CrossEntropyLoss()")


def test_log_softmax_into_cross_entropy_is_not_logits_and_relu_outputs_are_reported():
    assert codes(Head(lambda m, x: torch.relu(m.fc(x.mean((2, 3))))), nn.CrossEntropyLoss()) == ["SL210"]


def test_the_outputs_are_what_forward_returns():
    model = Head(lambda m, x: (m.fc(x.mean((2, 3))), x))
    found = record(model)
    assert found.outputs == ("fc", "body")


def test_token_facts_of_a_class_token_and_a_patch_mean():
    class Tokens(nn.Module):
        def __init__(self, patch_mean: bool):
            super().__init__()
            self.embed, self.fc, self.patch_mean = nn.Conv2d(3, 8, 8, stride=8), nn.Linear(8, 5), patch_mean

        def forward(self, x):
            tokens = self.embed(x).flatten(2).transpose(1, 2)  # (N, L, C)
            return self.fc(tokens[:, 1:].mean(dim=1) if self.patch_mean else tokens[:, 0])

    cls = record(Tokens(False)).layer("getitem")
    assert (cls.kind, cls.call, cls.tokens, cls.reduces, cls.axes) == ("select", "x[:, 0]", (0, 1), "tokens", (1,))
    found = record(Tokens(True))
    patches, mean = found.layer("getitem"), found.layer("mean")
    assert (patches.call, patches.tokens, patches.reduces) == ("x[:, 1:]", (1, None), None)
    assert (mean.kind, mean.reduces, mean.tokens, mean.inbound) == ("global_pool", "tokens", (0, None), ("getitem",))


def test_calls_inside_library_modules_are_not_head_records():
    model = nn.Sequential(nn.Linear(3, 8), nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), nn.Linear(8, 3))

    class Tokens(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = model

        def forward(self, x):
            return self.net(x.flatten(2).transpose(1, 2)).mean(1)

    found = record(Tokens())
    assert [r.name for r in found.layers if r.function] == ["flatten", "transpose", "mean"]
    assert all(not r.name.startswith("net.1.") or not r.function for r in found.layers)


def test_a_device_move_in_forward_is_checked_and_the_mode_is_gone_afterwards():
    model = Head(lambda m, x: m.fc(x.to("cpu").mean((2, 3)).contiguous()))
    found = record(model)
    assert [r.name for r in found.layers] == ["body", "mean", "fc"] and found.build_error is None
    assert torch._C._len_torch_function_stack() == 0
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
