"""`shapelint check` as a new user meets it: quiet when correct, the head table, lines of code, and the friction
the first tries found (project imports, --config anywhere, outputs checked first, one line per load error)."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from click.testing import CliRunner

from shapelint.cli import main

PROJECT = {
    "models/__init__.py": "",
    "models/classifier.py": '''
        import keras
        from models.heads import head


        def backbone(size=None):
            inputs = keras.Input((size, size, 3))
            return keras.Model(inputs, keras.layers.Conv2D(8, 3, strides=8, padding="same")(inputs), name="tiny")


        def tutorial():
            """The transfer-learning tutorial's shape: a backbone fixed at 64, pooled, dropout, one logit."""
            base = backbone(64)
            inputs = keras.Input((64, 64, 3))
            x = keras.layers.GlobalAveragePooling2D()(base(inputs))
            x = keras.layers.Dropout(0.2)(x)
            model = keras.Model(inputs, keras.layers.Dense(1)(x))
            model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))
            return model


        def build():
            return keras.Sequential([backbone(), *head()])
    ''',
    "models/heads.py": '''
        import keras


        def head():
            return [keras.layers.Dropout(0.1), keras.layers.Dense(3, name="logits")]
    ''',
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    return root


@pytest.fixture
def in_project(project, monkeypatch):
    """The project as the working directory; its `models` package and sys.path entries are this test's only
    (in real use each command is a new process)."""
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in [m for m in sys.modules if m == "models" or m.startswith("models.")]:
        monkeypatch.delitem(sys.modules, name)
    yield project
    for name in [m for m in sys.modules if m == "models" or m.startswith("models.")]:
        del sys.modules[name]


def check(*args):
    return CliRunner().invoke(main, ["check", "--sizes", "64,32", "-j", "0", *args], catch_exceptions=False)


def test_a_correct_model_is_one_status_line_and_its_head(in_project):
    result = check("models/classifier.py:tutorial")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("models/classifier.py:tutorial: all checks passed "
                        "(fixed input 64×64: other sizes are refused by the model)")
    assert lines[1].split() == ["line", "call", "layer", "output", "at", "64", "what", "it", "does"]
    rows = lines[3:]
    assert [row.split()[0] for row in rows] == ["models/classifier.py:7", "models/classifier.py:14",
                                                "models/classifier.py:15", "models/classifier.py:16"]
    assert "averages the 8×8 map" in rows[1] and "logits into BinaryCrossentropy(from_logits=True)" in rows[3]
    assert "ValueError" not in result.output and "SL101" not in result.output and len(lines) == 7


def test_show_probe_adds_the_backbone_evidence(in_project):
    shown = check("models/classifier.py:tutorial", "--show-probe").stdout
    assert "input    output" in shown and "executed" in shown


def test_a_wrong_head_points_at_the_line_that_built_the_layer(in_project):
    result = check("models/classifier.py:build", "--num-classes", "3")
    assert result.exit_code == 1
    assert "models/heads.py:5: error SL201 dense-on-feature-map: Dense(3) 'logits' receives" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("models/heads.py:5 ") and "logits" in line)
    assert "(?, 8, 8, 3)" in row and "(?, 4, 4, 3)" in row and row.rstrip().endswith("SL201")
    github = check("models/classifier.py:build", "--format", "github").stdout
    assert "::error title=shapelint SL201 dense-on-feature-map,file=models/heads.py,line=5::" in github
    data = json.loads(check("models/classifier.py:build", "--format", "json").stdout)["results"][0]
    assert [(row["call"], row["file"], row["line"]) for row in data["head"]] == [
        ("Functional 'tiny'", "models/classifier.py", 7), ("Dropout()", "models/heads.py", 5),
        ("Dense(3)", "models/heads.py", 5)]


def test_several_sources_end_with_a_summary(in_project):
    result = check("models/classifier.py:tutorial", "models/classifier.py:build", "keras:NoSuchNet")
    tail = result.stdout.splitlines()[-5:]
    assert tail[0].split() == ["source", "result", "pooling", "input", "sizes"]
    assert tail[2].split()[:4] == ["models/classifier.py:tutorial", "all", "checks", "passed"]
    assert tail[4].split()[:3] == ["keras:NoSuchNet", "load", "error"]


def test_factories_import_their_own_project_in_a_worker(in_project):
    """From the project root, both spellings import models.heads, as `python -c` would (here in a real worker)."""
    result = CliRunner().invoke(main, ["check", "models.classifier:build", "models/classifier.py:build",
                                       "--sizes", "32", "-j", "1", "--format", "json", "--no-cache"])
    results = json.loads(result.stdout)["results"]
    assert [r["error"] for r in results] == [None, None], result.stderr
    assert all("SL201" in [f["code"] for f in r["findings"]] for r in results)


def test_config_is_accepted_after_the_subcommand(in_project):
    (in_project / "configs").mkdir(exist_ok=True)
    config = in_project / "configs" / "other.toml"  # its sources are relative to its own folder
    config.write_text('[tool.shapelint]\nsources = ["../models/classifier.py:tutorial"]\nsizes = [64]\n')
    result = check("--config", str(config))
    assert result.exit_code == 0 and result.stdout.startswith("models/classifier.py:tutorial: all checks passed")


def test_outputs_are_checked_before_any_model_runs(in_project, tmp_path):
    marker = tmp_path / "ran"
    factory = tmp_path / "f.py"
    factory.write_text(f"from pathlib import Path\n\ndef build():\n    Path({str(marker)!r}).touch()\n")
    for bad, message in ((["--output-file", "xml:out.xml"], "unknown format 'xml' (one of table, json, sarif, github)"),
                         (["--output-file", str(tmp_path / "missing" / "x.txt")], "no such directory"),
                         (["--output-file", str(tmp_path)], "it is a directory")):
        result = check(f"{factory}:build", *bad)
        assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output
    assert not marker.exists()


def test_no_source_and_no_config_names_the_config_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = check()
    assert result.exit_code == 3 and "[tool.shapelint]" in result.stderr and "sources" in result.stderr


def test_a_load_error_is_printed_once(in_project):
    result = check("missing.keras")
    assert result.exit_code == 2
    assert result.stderr == "shapelint: missing.keras: no such file\n" and "no such file" not in result.stdout
    as_json = check("missing.keras", "--format", "json")
    assert as_json.stderr.strip() == "shapelint: missing.keras: no such file"


def test_help_names_every_source_kind_and_cuts_no_summary():
    text = CliRunner().invoke(main, ["check", "--help"]).output
    assert "https://tfhub.dev/" in text and "[tool.shapelint]" in text and "--show-probe" in text
    top = CliRunner().invoke(main, ["--help"]).output
    commands = top.split("Commands:")[1]
    assert "..." not in commands and "cache" in commands


def test_machine_formats_carry_locations(in_project):
    """JSON findings have file and line; a source listed in [tool.shapelint] points at the line that lists it
    and is named in the annotation and the SARIF message."""
    (in_project / "pyproject.toml").write_text(textwrap.dedent('''
        [project]
        name = "demo"

        [tool.shapelint]
        sources = [
            "models/classifier.py:build",
            "keras:MobileNetV2?alpha=0.35",
        ]
    ''').lstrip())
    try:
        as_json = check("--format", "json", "--fail-on", "error")
        findings = {f["code"]: f for r in json.loads(as_json.stdout)["results"] for f in r["findings"]}
        assert (findings["SL201"]["file"], findings["SL201"]["line"]) == ("models/heads.py", 5)
        github = check("--format", "github", "--sizes", "224")
        (sl101,) = [line for line in github.stdout.splitlines() if "SL101" in line and "MobileNetV2" in line]
        assert "file=pyproject.toml,line=7::" in sl101 and "::keras:MobileNetV2?alpha=0.35" in sl101
        sarif = json.loads(check("--format", "sarif", "--sizes", "224").stdout)
        (result,) = [r for r in sarif["runs"][0]["results"] if "MobileNetV2" in r["message"]["text"]]
        assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 7}
        assert result["message"]["text"].startswith("keras:MobileNetV2?alpha=0.35")
    finally:
        (in_project / "pyproject.toml").unlink()


NOTHING_TO_CHECK = 3


@pytest.mark.parametrize("config", [None, '[tool.shapelint]\nsources = []\n'])
@pytest.mark.parametrize("command", ["check", "probe"])
def test_nothing_to_check_has_an_exit_code_of_its_own(tmp_path, monkeypatch, config, command):
    """No SOURCE given and none listed: not a success in CI, and not a model that failed to load either."""
    if config:
        (tmp_path / "pyproject.toml").write_text(config)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [command])
    assert result.exit_code == NOTHING_TO_CHECK
    (line,) = result.stderr.splitlines()
    assert line.startswith("shapelint: nothing to check: no SOURCE given")
    assert "3 nothing to check" in " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
