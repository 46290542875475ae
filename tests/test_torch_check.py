"""`check` on PyTorch heads: the module tree recorded with forward hooks on the meta device.

Plain torch in this process (torch imports fine after TensorFlow); timm only through the CLI's workers.
"""

from __future__ import annotations

import pytest
from torch_helpers import by_source, run_cli

import shapelint
from shapelint.engine.probe import probe

torch = pytest.importorskip("torch")
pytest_plugins = ["pytester"]
nn = torch.nn

def backbone():
    """Two stride-2 convolutions: (N, 3, H, W) -> (N, 16, H/4, W/4)."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1))


def check(model, **kwargs):
    """shapelint.check, as a notebook or a test calls it on a live module."""
    return shapelint.check(model, sizes="32,48", **kwargs)


def codes(result) -> list[str]:
    assert result.error is None, result.error
    return [f.code for f in result.findings if f.code.startswith("SL2")]


def test_flatten_whose_features_change_with_the_size():
    result = check(nn.Sequential(backbone(), nn.Flatten(), nn.Linear(16 * 8 * 8, 5)))
    (finding,) = [f for f in result.findings if f.code == "SL202"]
    assert finding.message == ("Flatten '1' turns a (None, 16, 8, 8) feature map into 1024 features at 32 but 2304 "
                               "at 48; the layers after it accept only one input size")
    assert "nn.AdaptiveAvgPool2d(1) → nn.Flatten()" in finding.fix


def test_a_pooled_head_with_its_loss_is_clean():
    model = nn.Sequential(backbone(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(16, 5))
    assert codes(check(model, loss=nn.CrossEntropyLoss())) == []


def test_flatten_after_a_fixed_grid_pool_is_size_safe():
    model = nn.Sequential(backbone(), nn.AdaptiveAvgPool2d((7, 7)), nn.Flatten(), nn.Linear(16 * 49, 5))  # VGG's head
    assert codes(check(model)) == []


def test_linear_on_an_nchw_map_says_which_axis_it_met():
    from shapelint.adapters.torch.graph import model_record
    from shapelint.adapters.torch.load import from_object

    record = model_record(from_object(nn.Sequential(backbone(), nn.Linear(16, 5)), "m"), ((32, 32), (48, 48)), probe)
    assert record.build_error == record.layers[-1].error == (
        "nn.Linear(16, 5) met the last axis of a (N, 16, 8, 8) input, of size 8: nn.Linear acts on the last axis only, "
        "and here the channels are on axis 1 (NCHW) (RuntimeError: mat1 and mat2 shapes cannot be multiplied "
        "(128x8 and 16x5))")


def test_num_classes_against_the_last_linear():
    model = nn.Sequential(backbone(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))
    (finding,) = [f for f in check(model, num_classes=3).findings if f.code == "SL206"]
    assert finding.fix == "Make the last layer nn.Linear(16, 3)"


def test_the_record_of_a_softmax_head_and_its_loss():
    from shapelint.adapters.torch.graph import model_record
    from shapelint.adapters.torch.load import from_object

    model = nn.Sequential(backbone(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5), nn.Softmax(dim=1))
    record = model_record(from_object((model, nn.CrossEntropyLoss()), "m"), ((32, 32), (48, 48)), probe)
    assert (record.loss, record.from_logits, record.framework, record.backbone_layer) == (
        "CrossEntropyLoss", True, "torch", "0")
    assert [(layer.name, layer.kind, layer.call_text, layer.inbound) for layer in record.layers] == [
        ("0", "model", "nn.Sequential()", ()),
        ("1", "global_pool", "nn.AdaptiveAvgPool2d(1)", ("0",)),
        ("2", "flatten", "nn.Flatten()", ("1",)),
        ("3", "dense", "nn.Linear(16, 5)", ("2",)),
        ("4", "activation", "nn.Softmax(dim=1)", ("3",)),
    ]
    assert record.layers[-1].activation == "softmax" and record.outputs == ("4",)
    assert record.layers[2].alt_output_shapes == ((None, 16),)
    assert record.backbone.to_json()["framework"] == "torch"


def test_nothing_the_user_gave_is_changed():
    model = nn.Sequential(backbone(), nn.Flatten(), nn.Linear(16 * 8 * 8, 5))
    model.train()
    weights = {k: v for k, v in model.state_dict(keep_vars=True).items()}
    check(model, loss=nn.CrossEntropyLoss())
    assert all(m.training for m in model.modules())
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert all(model.state_dict(keep_vars=True)[k] is v and v.device.type == "cpu" for k, v in weights.items())


def test_timm_heads_through_the_cli(factory_file):
    flatten_head = factory_file("""
        import timm
        from torch import nn
        def build():
            features = timm.create_model("resnet18", pretrained=False, num_classes=0, global_pool="")
            return nn.Sequential(features, nn.Flatten(), nn.Linear(512 * 2 * 2, 5)), nn.CrossEntropyLoss()
    """)
    code, doc, _ = run_cli("check", flatten_head, "timm:resnet18?num_classes=5", "--sizes", "64,96", "--num-classes", "3")
    results = by_source(doc)
    assert code == 1
    assert [f["code"] for f in results[flatten_head]["findings"]] == ["SL202", "SL206"]  # SL101: the head answers it
    flatten = results[flatten_head]["findings"][0]
    assert flatten["message"].startswith("Flatten '1' turns a (None, 512, 2, 2) feature map into 2048 features at 64")
    rows = {row["layer"]: row for row in results[flatten_head]["head"]}
    assert (rows["1"]["file"].endswith("factory.py"), rows["1"]["line"], rows["0"]["line"]) == (True, 6, 5)
    assert rows["2"]["does"] == ("cannot run here: nn.Linear(2048, 5) expects 2048 features and receives 4608 "
                                 "(RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x4608 and 2048x5))")
    (classes,) = [f for f in results["timm:resnet18?num_classes=5"]["findings"] if f["code"] == "SL206"]
    assert classes["message"] == "The model outputs (None, 5) from nn.Linear(512, 5) 'fc' but there are 3 classes"


def test_a_bare_timm_backbone_reads_as_an_nchw_map():
    code, doc, _ = run_cli("check", "timm:resnet18?num_classes=0&global_pool=", "--sizes", "64")
    (row,) = by_source(doc)["timm:resnet18?num_classes=0&global_pool="]["head"]
    assert (code, row["does"]) == (0, "the whole model is a backbone: no head after it (a 2×2 map at 64)")


def test_the_pytest_fixture_on_a_live_torch_module(pytester):
    """The plugin as a PyTorch user meets it: `shapelint.check(model, loss=...)` in their own test suite."""
    pytester.makeini("[pytest]\nshapelint_sizes = 32,48\n")
    pytester.makepyfile(test_heads='''
        from torch import nn


        def backbone():
            return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1))


        def test_pooled_head(shapelint):
            model = nn.Sequential(backbone(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))
            shapelint.check(model, num_classes=5, loss=nn.CrossEntropyLoss()).assert_clean()


        def test_flatten_head(shapelint):
            model = nn.Sequential(backbone(), nn.Flatten(), nn.Linear(16 * 8 * 8, 5))
            shapelint.check(model, loss=nn.CrossEntropyLoss()).assert_clean()
    ''')
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*shapelint: 1 finding at or above warning in Sequential*",
                                 "*SL202 flatten-fixes-input-size*"])


def test_assert_valid_head_takes_the_loss_and_torch_rows_have_lines(pytester):
    """assert_valid_head(model, loss=...) as the fixture's check takes it; the layers a test builds get lines."""
    pytester.makepyfile(test_heads='''
        from torch import nn
        from shapelint.testing import assert_valid_head


        def test_flatten_head():
            backbone = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU())
            model = nn.Sequential(backbone, nn.Flatten(), nn.Linear(8 * 16 * 16, 5))
            assert_valid_head(model, loss=nn.CrossEntropyLoss(), sizes=[32, 48])
    ''')
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_heads.py:7: warning SL202 flatten-fixes-input-size*"])


def test_the_python_api_runs_a_torch_source_in_a_worker_beside_tensorflow():
    """This process holds TensorFlow, where timm cannot be imported: jobs=1 runs the source in a worker."""
    import shapelint

    import_tensorflow = __import__("shapelint.adapters.tensorflow.runtime", fromlist=["x"]).import_tensorflow
    import_tensorflow()
    result = shapelint.probe("timm:resnet18?num_classes=0&global_pool=", sizes=[64], jobs=1, timeout=300)
    assert result.error is None, result.error
    assert result.verdict["pooling"] == "required"
    checked = shapelint.check("timm:resnet18?num_classes=0&global_pool=", sizes=[64], jobs=1)
    assert checked.error is None, checked.error
