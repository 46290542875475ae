"""Every format golden-tested on one fixed report built from records; exit codes and --output-file of finish()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from shapelint.cli import finish, format_option, main, output_options
from shapelint.formatters import FORMATTERS
from shapelint.formatters.github import escape_data, escape_property
from shapelint.records.backbone import BackboneRecord, InputSpec, Layout, ProbeRecord
from shapelint.records.layers import LayerRecord, ModelRecord
from shapelint.report import Finding, Report, SourceReport

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SHAPELINT_UPDATE_GOLDEN") == "1"
SUFFIX = {"table": "txt", "json": "json", "sarif": "sarif", "github": "txt"}


def fixed_report() -> Report:
    """A feature-map backbone from a file (with a head finding on a layer), a pooled factory, a load error.

    Verdicts and findings are written out rather than computed, so these golden files change only when a
    formatter (or a rule's docs, which SARIF carries) changes, not when a rule's wording does.
    """
    feature_map = BackboneRecord(
        "models/head.keras",
        InputSpec(layout=Layout.NHWC),
        (
            ProbeRecord((224, 224), (1, 224, 224, 3), {"out_relu": (1, 7, 7, 1280)}, executed=True),
            ProbeRecord((160, 160), (1, 160, 160, 3), {"out_relu": (1, 5, 5, 1280)}, executed=True),
            ProbeRecord((16, 16), (1, 16, 16, 3), {"out_relu": (1, 0, 0, 1280)}, executed=True),
        ),
        "keras3",
    )
    pooled = BackboneRecord(
        "zoo.models:pooled_backbone",
        InputSpec(),
        (ProbeRecord((224, 224), (1, 224, 224, 3), {"output_0": (1, None)}),),
        "tf_keras",
    )
    return Report((
        SourceReport(
            feature_map.source, feature_map,
            {"pooling": "required", "text": "Pooling required: a channels_last feature map (N, 7, 7, 1280) at 224."},
            (
                Finding("pooling-required", "SL101", "info",
                        "models/head.keras returns a channels_last output (N, 7, 7, 1280) at 224; the head must pool it",
                        "Add GlobalAveragePooling2D() before the classifier"),
                Finding("input-too-small", "SL104", "warning",
                        "16 is too small for models/head.keras: an empty output (N, 0, 0, 1280)",
                        "Resize inputs to at least 160"),
                Finding("dense-on-feature-map", "SL201", "error",
                        "Dense(5) receives a (None, 7, 7, 1280) feature map and returns (None, 7, 7, 5)",
                        "Add GlobalAveragePooling2D() before Dense(5)", layer="dense"),
            ),
            path="models/head.keras",
        ),
        SourceReport(
            pooled.source, pooled,
            {"pooling": "applied", "text": "Pooling applied: the output is already a vector (N, ?) at 224."},
            (Finding("pooling-applied", "SL102", "info",
                     "zoo.models:pooled_backbone already returns a vector (N, ?); pooling was applied inside it",
                     "Put Dense(num_classes) directly after it; do not add Flatten"),),
        ),
        checked_report(),
        SourceReport("keras:MobileNetV9", error="keras:MobileNetV9: unknown keras.applications name 'MobileNetV9'"),
    ))


def checked_report() -> SourceReport:
    """`check` on a factory: a variable-size backbone, the layers with the lines that built them, a head finding."""
    backbone = BackboneRecord(
        "backbone", InputSpec(layout=Layout.NHWC),
        (ProbeRecord((224, 224), (1, 224, 224, 3), {"out": (1, 7, 7, 1280)}),
         ProbeRecord((160, 160), (1, 160, 160, 3), {"out": (1, 5, 5, 1280)}, executed=True)),
        "keras3",
    )
    layers = (
        LayerRecord("backbone", "Functional", ((None, 224, 224, 3),), ((None, 7, 7, 1280),), ((None, 5, 5, 1280),),
                    is_model=True, kind="model", call="Functional", origin=("models/classifier.py", 9)),
        LayerRecord("dropout", "Dropout", ((None, 7, 7, 1280),), ((None, 7, 7, 1280),), ((None, 5, 5, 1280),),
                    inbound=("backbone",), kind="dropout", call="Dropout(0.2)", origin=("models/heads.py", 14)),
        LayerRecord("logits", "Dense", ((None, 7, 7, 1280),), ((None, 7, 7, 5),), ((None, 5, 5, 5),), units=5,
                    activation="linear", inbound=("dropout",), kind="dense", call="Dense(5)",
                    origin=("models/heads.py", 15)),
    )
    model = ModelRecord("models/classifier.py:build", layers, ("logits",), (224, 224), (160, 160),
                        "SparseCategoricalCrossentropy", True, backbone, "backbone")
    return SourceReport(
        "models/classifier.py:build", backbone,
        {"pooling": "required", "input_sizes": "variable", "text": "Pooling required: (N, 7, 7, 1280) at 224."},
        (Finding("pooling-required", "SL101", "info",
                 "backbone returns a channels_last output (N, 7, 7, 1280) at 224; the head must pool it",
                 "Add GlobalAveragePooling2D() before the classifier"),
         Finding("dense-on-feature-map", "SL201", "error",
                 "Dense(5) 'logits' receives a (None, 7, 7, 1280) feature map and returns (None, 7, 7, 5)",
                 "Add GlobalAveragePooling2D() before Dense(5) 'logits'", layer="logits")),
        path="models/classifier.py", model=model,
    )


@pytest.mark.parametrize("fmt", sorted(FORMATTERS))
def test_golden(fmt):
    path = GOLDEN / f"report.{fmt}.{SUFFIX[fmt]}"
    # SARIF points at absolute file URIs; the golden file keeps them machine-independent
    text = FORMATTERS[fmt](fixed_report()).replace(Path.cwd().resolve().as_uri(), "file:///CWD")
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with SHAPELINT_UPDATE_GOLDEN=1 and review the diff"
    assert text == path.read_text(encoding="utf-8")


def test_fixed_report_covers_every_severity_and_a_load_error():
    report = fixed_report()
    assert {f.severity for f in report.findings} == {"info", "warning", "error"}
    assert report.load_failed and any(f.layer for f in report.findings)


def test_sarif_structure():
    data = json.loads(FORMATTERS["sarif"](fixed_report()))
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert data["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "shapelint"
    assert [r["id"] for r in rules] == sorted({f.code for f in fixed_report().findings})
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        # code scanning rejects the whole upload if one result has no file; files in the tree are relative
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    sl104 = next(r for r in rules if r["id"] == "SL104")
    assert sl104["name"] == "input-too-small" and "## Why is this bad?" in sl104["fullDescription"]["text"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"SL101", "SL104", "SL201"}
    saved = next(r for r in run["results"] if r["ruleId"] == "SL201")  # a saved file: no code, no line
    assert saved["message"]["text"].startswith("Layer dense: Dense(5)")
    assert saved["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "models/head.keras", "uriBaseId": "%SRCROOT%"}}
    built = [r for r in run["results"] if r["ruleId"] == "SL201"][1]  # a factory: the line that built the layer
    assert built["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "models/heads.py", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 15}}
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    no_file, load_error = invocation["toolExecutionNotifications"]
    assert no_file["associatedRule"] == {"id": "SL102", "index": 1} and no_file["level"] == "note"
    assert no_file["message"]["text"].startswith("zoo.models:pooled_backbone already returns a vector")
    assert load_error["level"] == "error" and "MobileNetV9" in load_error["message"]["text"]


def test_github_lines():
    lines = FORMATTERS["github"](fixed_report()).splitlines()
    assert ("::error title=shapelint SL201 dense-on-feature-map,file=models/head.keras::Layer dense: Dense(5) "
            "receives a (None, 7, 7, 1280) feature map and returns (None, 7, 7, 5)%0AFix: Add "
            "GlobalAveragePooling2D() before Dense(5)") in lines
    # no file: the message names the source; ':' is escaped only in properties, not in the message
    assert any(line.startswith("::notice title=shapelint SL102 pooling-applied::zoo.models:pooled_backbone already")
               for line in lines)
    assert any(line.startswith("::warning title=shapelint SL104 input-too-small,file=") for line in lines)
    assert lines[0].startswith("::error title=shapelint load error::keras:MobileNetV9")  # the most severe first
    assert all("\n" not in line for line in lines)
    assert ("::error title=shapelint SL201 dense-on-feature-map,file=models/heads.py,line=15::Dense(5) 'logits' "
            "receives") in FORMATTERS["github"](fixed_report())


def test_github_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


@click.command()
@output_options
@format_option
def fake_command(fmt, **options):
    """The way probe calls finish: its own exit code (2 on a load error), judged further only by --fail-on."""
    report = fixed_report()
    finish(report, fmt, 2 if report.load_failed else 0, **options)


def clean(report: Report, keep: set) -> Report:
    return Report(tuple(
        SourceReport(r.source, r.backbone, r.verdict, tuple(f for f in r.findings if f.severity in keep), None, r.path)
        for r in report.results if not r.error
    ))


@pytest.mark.parametrize("keep, fail_on, exit_zero, expected", [
    (set(), None, False, 0),
    ({"info"}, None, False, 0),
    ({"info"}, "info", False, 1),
    ({"info", "warning"}, None, False, 1),
    ({"info", "warning"}, "error", False, 0),
    ({"error"}, "error", False, 1),
    ({"error"}, "error", True, 0),
])
def test_exit_codes(keep, fail_on, exit_zero, expected):
    """finish() judges the report by --fail-on (default warning) when the command leaves the code to it."""
    with pytest.raises(SystemExit) as exit_:
        finish(clean(fixed_report(), keep), "json", None, fail_on=fail_on, exit_zero=exit_zero)
    assert exit_.value.code == expected


def test_load_error_exits_2_even_with_exit_zero():
    for code in (None, 0):
        with pytest.raises(SystemExit) as exit_:
            finish(fixed_report(), "json", code, fail_on="info", exit_zero=True)
        assert exit_.value.code == 2


def test_probe_keeps_its_own_exit_code_unless_fail_on_is_given():
    report = clean(fixed_report(), {"info", "warning"})
    with pytest.raises(SystemExit) as exit_:
        finish(report, "json", 0)
    assert exit_.value.code == 0
    with pytest.raises(SystemExit) as exit_:
        finish(report, "json", 0, fail_on="warning")
    assert exit_.value.code == 1


def test_output_files(tmp_path):
    runner = CliRunner()
    out, sarif = tmp_path / "out.txt", tmp_path / "report.sarif"
    result = runner.invoke(fake_command, ["--format", "github", "--output-file", str(out),
                                          "--output-file", f"sarif:{sarif}"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert out.read_text() == (GOLDEN / "report.github.txt").read_text()
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert "shapelint: keras:MobileNetV9" in result.stderr


def test_output_file_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    result = runner.invoke(fake_command, ["--output-file", "a.txt", "--output-file", "b.txt"])
    assert result.exit_code == 2 and "at most one PATH" in result.output
    result = runner.invoke(fake_command, ["--output-file", str(tmp_path / "missing" / "x.txt")])
    assert result.exit_code == 2 and "cannot write" in result.output and "Traceback" not in result.output


def test_probe_cli_bad_source_exits_2_without_traceback():
    result = CliRunner().invoke(main, ["probe", "no/such/model.keras", "--format", "sarif"])
    assert result.exit_code == 2
    assert "no such file" in result.stderr and "Traceback" not in result.output
    assert json.loads(result.stdout)["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_unknown_format_is_a_usage_error():
    assert CliRunner().invoke(main, ["probe", "keras:X", "--format", "xml"]).exit_code == 2


def test_annotation_names_layer_and_source_only_when_the_message_does_not():
    from shapelint.formatters.locate import annotation_text

    named = Finding("dense-on-feature-map", "SL201", "error", "Dense(5) 'dense' receives a map", "Pool first", "dense")
    bare = Finding("dense-on-feature-map", "SL201", "error", "Dense(5) receives a map", "Pool first", "dense")
    in_file = SourceReport("m.keras", path="m.keras")
    factory = SourceReport("zoo:build")
    assert annotation_text(in_file, named) == "Dense(5) 'dense' receives a map\nFix: Pool first"
    assert annotation_text(in_file, bare) == "Layer dense: Dense(5) receives a map\nFix: Pool first"
    assert annotation_text(factory, bare) == "zoo:build: Layer dense: Dense(5) receives a map\nFix: Pool first"


def action_script(step: str = "id: check") -> str:
    """The `run: |` block of one step of action.yml (no YAML parser needed for one block)."""
    lines = (Path(__file__).parent.parent / "action.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == step)
    start = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |") + 1
    indent = len(lines[start]) - len(lines[start].lstrip())
    block = []
    for line in lines[start:]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        block.append(line[indent:])
    return "\n".join(block) + "\n"


def run_action(tmp_path: Path, **inputs: str):
    """The action's script run as the runner runs it, in tmp_path: (the run, the step summary, the step outputs)."""
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = dict(os.environ, **inputs, RUNNER_TEMP=str(tmp_path), GITHUB_STEP_SUMMARY=str(summary),
               GITHUB_OUTPUT=str(outputs), TF_CPP_MIN_LOG_LEVEL="3",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(["bash", "-e", "-c", action_script()], cwd=tmp_path, env=env, capture_output=True, text=True)
    return run, summary, outputs


def test_action_script_writes_annotations_sarif_summary_and_passes_the_exit_code(tmp_path):
    """The composite action's script, run as the runner would run it, on a bad head from a factory file."""
    (tmp_path / "heads.py").write_text(textwrap.dedent('''
        import keras

        def bad():
            inputs = keras.Input((None, None, 3))
            x = keras.layers.Conv2D(8, 3, strides=4, padding="same")(inputs)
            return keras.Model(inputs, keras.layers.Dense(5)(x), name="bad")
    '''))
    (tmp_path / "out").mkdir()
    run, summary, outputs = run_action(tmp_path, SOURCES="heads.py:bad", ARGS="-j 0 --sizes 32",
                                       SARIF="out/shapelint.sarif")
    assert run.returncode == 1, run.stderr
    assert "::error title=shapelint SL201 dense-on-feature-map,file=heads.py,line=7::" in run.stdout
    assert "SL201" in summary.read_text() and "```text" in summary.read_text()
    sarif = json.loads((tmp_path / "out" / "shapelint.sarif").read_text())
    assert "SL201" in [r["ruleId"] for r in sarif["runs"][0]["results"]]
    assert f"sarif-file={tmp_path}/out/shapelint.sarif" in outputs.read_text().splitlines()
    assert "exit-code=1" in outputs.read_text().splitlines()


def test_action_script_passes_a_load_error_through_with_its_reason(tmp_path):
    run, summary, outputs = run_action(tmp_path, SOURCES="missing.keras", ARGS="", SARIF="shapelint.sarif")
    assert run.returncode == 2
    assert run.stdout.startswith("::error title=shapelint load error::missing.keras: no such file")
    assert "could not run on every source (exit 2)" in summary.read_text()
    assert "shapelint: missing.keras: no such file" in summary.read_text()  # the reason, not just "see the log"
    assert "exit-code=2" in outputs.read_text()
    assert f"sarif-file={tmp_path}/shapelint.sarif" in outputs.read_text()  # the report was written: upload it


def test_action_script_sets_no_sarif_output_when_none_was_written(tmp_path):
    (tmp_path / "shapelint.sarif").write_text("{}")  # left by an earlier step: must not pass for this run's
    run, summary, outputs = run_action(tmp_path, SOURCES="missing.keras", ARGS="--sizes 0", SARIF="shapelint.sarif")
    assert run.returncode == 2
    assert "--sizes: " in summary.read_text()
    assert "sarif-file=" not in outputs.read_text() and not (tmp_path / "shapelint.sarif").exists()


def test_action_script_neither_globs_nor_evaluates_its_inputs(tmp_path):
    (tmp_path / "a.keras").write_text("")
    (tmp_path / "b c.keras").write_text("")
    run, summary, outputs = run_action(tmp_path, SOURCES="*.keras 'b c.keras' $(touch pwned)",
                                       ARGS="--format json", SARIF="s.sarif")
    assert run.returncode == 2
    errors = run.stderr.splitlines()
    assert "shapelint: *.keras: no such file" in errors[0]  # the literal word, not a.keras
    assert errors[1] == "shapelint: b c.keras: empty file"  # quotes keep a space inside one SOURCE
    assert not (tmp_path / "pwned").exists()


def test_anchors_point_sources_without_a_file_at_one(tmp_path):
    from shapelint.anchors import anchored, module_file

    (tmp_path / "src" / "zoo").mkdir(parents=True)
    (tmp_path / "src" / "zoo" / "heads.py").write_text("def build(): ...\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.keras").write_text("")
    config = tmp_path / "pyproject.toml"
    assert module_file("zoo.heads:build", tmp_path) == tmp_path / "src" / "zoo" / "heads.py"
    assert module_file("keras:MobileNetV2", tmp_path) is None and module_file("other.mod:build", tmp_path) is None
    report = Report((
        SourceReport("models/a.keras", path=str(tmp_path / "models" / "a.keras")),
        SourceReport("zoo.heads:build"),
        SourceReport("keras:MobileNetV2"),  # listed in the config
        SourceReport("keras:ResNet50"),  # not listed: stays without a file
        SourceReport("https://tfhub.dev/x/1", path="/elsewhere/tfhub_modules/abc"),  # outside the tree
    ))
    paths = [r.path for r in anchored(report, config, ["keras:MobileNetV2"], root=tmp_path).results]
    assert paths == ["models/a.keras", "src/zoo/heads.py", "pyproject.toml", None, None]


def test_cli_formats_are_the_formatters():
    """shapelint.cli spells the format names out (start-up); they must be exactly the formatters."""
    from shapelint.cli import FORMATS

    assert FORMATS == list(FORMATTERS)


def test_sarif_validates_against_the_sarif_2_1_0_schema():
    """The OASIS schema, shipped in tests/schemas (no download): every shape of result this report makes."""
    import jsonschema

    schema = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    document = json.loads(FORMATTERS["sarif"](fixed_report()))
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    broken = dict(document, runs=[{"results": [{"message": {}, "level": "fatal"}]}])  # the schema does bite
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken))


def test_sarif_points_outside_the_tree_with_an_absolute_uri(tmp_path):
    from shapelint.formatters.sarif import artifact

    assert artifact("models/a b.py", root=tmp_path) == {"uri": "models/a%20b.py", "uriBaseId": "%SRCROOT%"}
    outside = tmp_path.parent / "elsewhere.py"
    assert artifact(str(outside), root=tmp_path) == {"uri": outside.resolve().as_uri()}


def test_action_script_in_a_subfolder_and_a_matrix_shard(tmp_path):
    """working-directory reads that folder's [tool.shapelint] while paths stay the repository's; a matrix shard
    gets a SARIF category of its own, so shards do not overwrite each other's results in code scanning."""
    sub = tmp_path / "ml"
    (sub / "models").mkdir(parents=True)
    (sub / "models" / "heads.py").write_text(textwrap.dedent('''
        import keras

        def bad():
            inputs = keras.Input((None, None, 3))
            x = keras.layers.Conv2D(8, 3, strides=4, padding="same")(inputs)
            return keras.Model(inputs, keras.layers.Dense(5)(x), name="bad")
    '''))
    (sub / "pyproject.toml").write_text('[tool.shapelint]\nsources = ["models/heads.py:bad"]\n')
    run, summary, outputs = run_action(tmp_path, SOURCES="", ARGS="-j 0 --sizes 32", SARIF="shapelint.sarif",
                                       WORKDIR="ml", CATEGORY="", JOB="heads", JOB_INDEX="1", JOB_TOTAL="3")
    assert run.returncode == 1, run.stderr
    assert "file=ml/models/heads.py,line=7::" in run.stdout
    assert "sarif-category=shapelint-heads-1" in outputs.read_text().splitlines()
    single, _, alone = run_action(tmp_path, SOURCES="ml/models/heads.py:bad", ARGS="-j 0 --sizes 32",
                                  SARIF="s.sarif", WORKDIR=".", CATEGORY="", JOB="heads", JOB_INDEX="0", JOB_TOTAL="1")
    assert "sarif-category=shapelint" in alone.read_text().splitlines()


def test_action_install_refuses_unknown_extras_before_installing(tmp_path):
    run = subprocess.run(["bash", "-e", "-c", action_script("- name: Install shapelint")], cwd=tmp_path,
                         env=dict(os.environ, EXTRAS="torch;rm -rf /", ACTION_PATH=str(tmp_path),
                                  RUNNER_TEMP=str(tmp_path), GITHUB_PATH=str(tmp_path / "path.txt")),
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert "extras: 'torch;rm -rf /' is not a comma-separated list of torch, onnx, kerashub" in run.stdout


def test_pre_commit_hook_runs_for_every_kind_of_model_file():
    import re

    hooks = (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text()
    pattern = re.compile(re.search(r"files: '([^']+)'", hooks).group(1))
    for name in ("a.py", "m.keras", "m.h5", "saved/saved_model.pb", "pyproject.toml", "m.onnx", "m.pt", "m.pt2",
                 "m.pth", "hf/config.json"):
        assert pattern.search(name), name
    assert not pattern.search("README.md")
