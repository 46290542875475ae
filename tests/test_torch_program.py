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


def test_the_record_of_a_model_given_with_its_loss_and_input_is_a_plain_tuple():
    found = record({"model": nn.Sequential(nn.Linear(6, 2)), "loss": nn.BCEWithLogitsLoss(),
                    "example_input": torch.zeros(1, 6)})
    assert (found.loss, found.input_note) == ("BCEWithLogitsLoss", "input (N, 6) float32, as the factory's example input")


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
    assert codes(Head(lambda m, x: torch.relu(m.fc(x.mean((2, 3))))), nn.CrossEntropyLoss()) == ["SL220"]


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


class Tokens(nn.Module):
    """A token-id classifier: embeddings averaged over the sequence."""

    def __init__(self):
        super().__init__()
        self.embed, self.fc = nn.Embedding(100, 8), nn.Linear(8, 3)

    def forward(self, ids):
        return self.fc(self.embed(ids).mean(dim=1))


class Audio(nn.Module):
    """A Conv1d sequence model: (N, 1, L) waveforms, pooled over time."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv1d(1, 8, 80, stride=16), nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool1d(F.relu(self.conv(x)), 1).squeeze(-1))


@pytest.mark.parametrize("model, note", [
    (nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10)), "input (N, 784) vectors: the features of Linear '0'"),
    (Tokens(), "input (N, 32) integer token ids: Embedding 'embed' takes them"),
    (Audio(), "input (N, 1, L) sequences: the channels of Conv1d 'conv'"),
    (nn.Sequential(nn.Conv2d(1, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10)),
     "input (N, 1, H, W) images: the channels of Conv2d '0'"),
])
def test_the_input_is_what_the_first_layer_takes(model, note):
    found = record(model, nn.CrossEntropyLoss())
    assert (found.input_note, found.build_error) == (note, None)
    assert codes(model, nn.CrossEntropyLoss()) == []


def test_a_given_input_is_taken_as_it_is():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    result = shapelint.check(mlp, sizes="32", input_shape=(1, 28, 28))
    assert result.report.model.input_note == "input (N, 1, 28, 28) float32, as given"
    assert result.report.model.build_error is None
    found = record((mlp, nn.CrossEntropyLoss(), torch.zeros(4, 784)))
    assert found.input_note == "input (N, 784) float32, as the factory's example input" and found.loss == "CrossEntropyLoss"


def test_a_model_that_cannot_run_on_any_input_fails_where_it_got_furthest():
    model = Head(lambda m, x: m.fc(x.mean((2, 3))), features=32)  # built for 32 features, the body gives 16
    found = record(model)
    assert found.input_note == "" and found.layers[-1].name == "fc" and "expects 32 features" in found.build_error


class Picky(nn.Module):
    """A forward the meta device cannot run: it reads a value and makes a CPU tensor of its own."""

    def __init__(self, classes: int = 5):
        super().__init__()
        self.body, self.fc = backbone(), nn.Linear(16 + 1, classes)

    def forward(self, x):
        x = x / 255 if x.max() > 1 else x
        pooled = self.body(x).mean((2, 3))
        return self.fc(torch.cat([pooled, torch.ones(pooled.shape[0], 1)], dim=1))


class FixedBatch(nn.Module):
    """An LSTM whose hidden state is built for the batch size it trains with."""

    def __init__(self):
        super().__init__()
        self.batch_size, self.lstm, self.fc = 4, nn.LSTM(6, 8, batch_first=True), nn.Linear(8, 3)

    def forward(self, x):
        h = torch.zeros(1, self.batch_size, 8), torch.zeros(1, self.batch_size, 8)
        return self.fc(self.lstm(x, h)[0][:, -1])


def test_a_forward_that_needs_real_values_or_its_own_batch_is_still_checked():
    found = record(Picky(), nn.CrossEntropyLoss())
    assert found.build_error is None and found.layer("fc").output_shapes == ((None, 5),)
    assert codes(Picky(classes=1), nn.CrossEntropyLoss()) == ["SL209"]
    found = record(FixedBatch(), nn.CrossEntropyLoss())
    assert found.build_error is None and found.layer("getitem").tokens == (31, 32)


def test_the_cli_takes_the_input_shape_and_refuses_a_bad_one(tmp_path):
    from click.testing import CliRunner

    from shapelint.cli import main

    factory = tmp_path / "mlp.py"
    factory.write_text("from torch import nn\n\ndef build():\n    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))\n")
    run = CliRunner().invoke(main, ["check", f"{factory}:build", "--input-shape", "1,28,28", "--sizes", "28",
                                    "--jobs", "0", "--no-cache"])
    assert run.exit_code == 0, run.output
    assert "note: input (N, 1, 28, 28) float32, as given" in run.output
    bad = CliRunner().invoke(main, ["check", f"{factory}:build", "--input-shape", "1,x", "--jobs", "0"])
    assert bad.exit_code == 2 and "--input-shape: expected positive sizes" in bad.output


def test_the_head_table_shows_the_calls_forward_makes():
    from shapelint.formatters.head import head_rows

    model = Head(lambda m, x: m.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)))
    result = shapelint.check((model, nn.CrossEntropyLoss()), sizes="32,48")
    rows = [(row.layer, row.call, row.does) for row in head_rows(result.report)]
    assert rows[1:] == [
        ("adaptive_avg_pool2d", "F.adaptive_avg_pool2d(x, 1)", "averages the 8×8 map"),
        ("flatten", "torch.flatten(x, 1)", "drops the 1×1 axes of a pooled map: 16 features"),
        ("fc", "nn.Linear(16, 5)", "logits into nn.CrossEntropyLoss()"),
    ]
    assert head_rows(result.report)[1].origin[1] == line_of("m.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)))")
