"""[tool.shapelint]: parsing, bad config (one line, exit 2), unknown keys (warning), flags over the file, overrides."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from shapelint.cli import main
from shapelint.cli.probe import probe
from shapelint.config import Config, ConfigError, default_map, find_pyproject, load_config, options_for
from shapelint.engine.run import Options


def write(folder, body: str):
    path = folder / "pyproject.toml"
    path.write_text(textwrap.dedent(body))
    return path


def test_full_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, """
        [project]
        name = "zoo"

        [tool.shapelint]
        sources = ["keras:MobileNetV2", "models/a.keras"]
        sizes = [224, "192x256"]
        num_classes = 10
        select = "SL1"
        ignore = ["SL103", "input-too-small"]
        fail-on = "error"

        [[tool.shapelint.overrides]]
        sources = ["keras:NASNet*"]
        sizes = "331"
        num-classes = 3
    """)
    config = load_config(path)
    assert config.values == {
        "sources": ["keras:MobileNetV2", "models/a.keras"], "sizes": ((224, 224), (192, 256)), "num_classes": 10,
        "select": ["SL1"], "ignore": ["SL103", "input-too-small"], "fail_on": "error",
    }
    assert config.unknown == ()
    (override,) = config.overrides
    assert override.patterns == ("keras:NASNet*",) and override.values == {"sizes": ((331, 331),), "num_classes": 3}


def test_sources_are_relative_to_the_config_file_not_the_working_directory(tmp_path, monkeypatch):
    """Run from a subfolder: paths in [tool.shapelint] still mean what they mean next to pyproject.toml."""
    write(tmp_path, """
        [tool.shapelint]
        sources = ["models/a.keras", "models/build.py:make", "models.build:make", "keras:MobileNetV2", "/abs/b.keras"]

        [[tool.shapelint.overrides]]
        sources = ["models/*.keras"]
        sizes = [96]
    """)
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub" / "deeper")
    config = load_config()
    assert config.values["sources"] == ["../../models/a.keras", "../../models/build.py:make", "models.build:make",
                                        "keras:MobileNetV2", "/abs/b.keras"]
    assert options_for("../../models/a.keras", Options(), config).sizes == ((96, 96),)
    monkeypatch.chdir(tmp_path)
    assert load_config().values["sources"][:2] == ["models/a.keras", "models/build.py:make"]


def test_found_by_walking_up_past_pyprojects_without_the_table(tmp_path, monkeypatch):
    top = write(tmp_path, "[tool.shapelint]\nsizes = [96]\n")
    inner = tmp_path / "pkg" / "sub"
    inner.mkdir(parents=True)
    write(tmp_path / "pkg", "[project]\nname = 'pkg'\n")
    monkeypatch.chdir(inner)
    assert find_pyproject() == top
    assert load_config().values == {"sizes": ((96, 96),)}


def test_a_pyproject_without_the_table_is_an_empty_config(tmp_path):
    path = write(tmp_path, "[project]\nname = 'zoo'\n")
    assert load_config(path) == Config(path)
    assert find_pyproject(tmp_path) != path


@pytest.mark.parametrize("body, message", [
    ("sizes = true", "sizes: expected sizes like"),
    ("sizes = [0]", "sizes: bad size '0'"),
    ("num_classes = \"10\"", "num_classes: expected a positive integer, got '10'"),
    ("num_classes = 0", "num_classes: expected a positive integer"),
    ("select = [1, 2]", "select: expected a list of strings, got a list"),
    ("ignore = [\"SL999\"]", "ignore: 'SL999' matches no rule code or name"),
    ("fail-on = \"never\"", "fail-on: expected one of error, warning, info, got 'never'"),
    ("sources = \"keras:X\"\nsources2 = 1", None),  # a comma string is a list; the unknown key only warns
    ("overrides = 3", "overrides: expected [[tool.shapelint.overrides]] tables"),
    ("[[tool.shapelint.overrides]]\nsizes = [96]", "overrides]] #1: missing 'sources'"),
    ("[[tool.shapelint.overrides]]\nsources = [\"a\"]\nnum_classes = -1", "#1 num_classes: expected a positive"),
    ("sizes = [", "not valid TOML"),
])
def test_bad_config(tmp_path, body, message):
    path = write(tmp_path, "[tool.shapelint]\n" + body + "\n")
    if message is None:
        assert load_config(path).values == {"sources": ["keras:X"]}
        return
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value) and str(path) in str(error.value) and "\n" not in str(error.value)


def test_unknown_keys_are_collected_with_their_table(tmp_path):
    path = write(tmp_path, """
        [tool.shapelint]
        sizez = [96]
        [[tool.shapelint.overrides]]
        sources = ["a"]
        fail-on = "error"
    """)
    config = load_config(path)
    assert [u.split(": ", 1)[1].split(" (")[0] for u in config.unknown] == [
        "[tool.shapelint]: unknown key 'sizez'", "[[tool.shapelint.overrides]] #1: unknown key 'fail-on'"]


def test_default_map_takes_the_form_each_param_parses():
    config = Config(values={"sources": ["a", "b"], "sizes": ((224, 224), (96, 128)), "fail_on": "error",
                            "num_classes": 4})
    assert default_map(config, probe.params) == {"sources": ["a", "b"], "sizes": "224,96x128", "fail_on": "error"}
    assert "fail_on" not in default_map(config, probe.params, skip=("fail_on",))


def test_overrides_in_file_order_and_command_line_wins():
    config = Config(overrides=(
        load_override(["keras:*"], sizes=((96, 96),), num_classes=3),
        load_override(["keras:NASNetMobile"], sizes=((224, 224),), select=["SL1"]),
    ))
    base = Options()
    assert options_for("models/a.keras", base, config) is base
    assert options_for("keras:ResNet50", base, config) == Options(sizes=((96, 96),), num_classes=3)
    assert options_for("keras:NASNetMobile", base, config) == Options(sizes=((224, 224),), num_classes=3,
                                                                       select=("SL1",))
    assert options_for("keras:NASNetMobile", base, config, explicit=("sizes",)).sizes == base.sizes


def load_override(patterns, **values):
    from shapelint.config import Override

    return Override(tuple(patterns), values)


@given(st.lists(st.tuples(st.integers(1, 4096), st.integers(1, 4096)), min_size=1, max_size=5))
def test_sizes_round_trip_through_the_default_map(sizes):
    config = Config(values={"sizes": tuple(dict.fromkeys(sizes))})
    from shapelint.sources import parse_sizes

    assert parse_sizes(default_map(config, probe.params)["sizes"]) == tuple(dict.fromkeys(sizes))


# The command line, end to end.

def test_bad_config_is_one_line_and_exit_2(tmp_path, monkeypatch):
    write(tmp_path, "[tool.shapelint]\nnum_classes = \"ten\"\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["probe", "keras:X"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'pyproject.toml'}: [tool.shapelint] num_classes: expected a positive integer, got 'ten'"]


def test_unknown_key_warns_and_sources_come_from_the_file(tmp_path, monkeypatch):
    write(tmp_path, "[tool.shapelint]\nsources = [\"missing.keras\", \"keras:\"]\ncolour = \"blue\"\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["probe", "--format", "json"])
    assert result.exit_code == 2
    assert "warning:" in result.stderr and "unknown key 'colour'" in result.stderr
    assert [r["source"] for r in json.loads(result.stdout)["results"]] == ["missing.keras", "keras:"]
    assert "Traceback" not in result.output


def test_missing_config_path_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.toml"), "probe", "keras:X"])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_config_sizes_overrides_and_flags_on_real_models(tmp_path, monkeypatch, fixtures_dir):
    """File sizes apply to every source, an override changes one source, a --sizes flag beats both.

    The file's fail-on = "info" leaves probe's exit code alone (probe reports, check judges)."""
    tiny_map, tiny_pooled = str(fixtures_dir / "tiny_map.keras"), str(fixtures_dir / "tiny_pooled.h5")
    write(tmp_path, f"""
        [tool.shapelint]
        sources = ["{tiny_map}", "{tiny_pooled}"]
        sizes = [32, 64]
        fail-on = "info"
        [[tool.shapelint.overrides]]
        sources = ["*.h5"]
        sizes = [48]
    """)
    monkeypatch.chdir(tmp_path)

    def probed_sizes(*args, exit_code=0):
        result = CliRunner().invoke(main, ["probe", "--format", "json", *args])
        assert result.exit_code == exit_code, result.output
        return [[tuple(r["size"]) for r in res["records"]] for res in json.loads(result.stdout)["results"]]

    assert probed_sizes() == [[(32, 32), (64, 64)], [(48, 48)]]
    assert probed_sizes("--sizes", "40") == [[(40, 40)], [(40, 40)]]
    # the file's fail-on is for check; probe judges findings (SL101 is info) only with an explicit flag
    assert probed_sizes("--fail-on", "info", exit_code=1) == [[(32, 32), (64, 64)], [(48, 48)]]


HEADS = '''
import keras


def backbone():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inputs)
    return keras.Model(inputs, x, name="tiny_backbone")


def bad():
    return keras.Sequential([keras.Input((None, None, 3)), backbone(), keras.layers.Dense(5)], name="bad")


def good():
    return keras.Sequential([keras.Input((None, None, 3)), backbone(), keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(5)], name="good")
'''


def test_check_without_arguments_checks_the_configured_sources(tmp_path, monkeypatch):
    """sources and fail-on come from the file; --ignore, --fail-on and --exit-zero on the command line win."""
    (tmp_path / "heads.py").write_text(HEADS)
    write(tmp_path, """
        [tool.shapelint]
        sources = ["heads.py:bad", "heads.py:good"]
        sizes = [32]
        fail-on = "error"
    """)
    monkeypatch.chdir(tmp_path)

    def check(*args):
        result = CliRunner().invoke(main, ["check", "-j", "0", "--format", "json", *args])
        data = json.loads(result.stdout)
        return result.exit_code, {r["source"]: [f["code"] for f in r["findings"]] for r in data["results"]}

    code, findings = check()
    assert code == 1 and list(findings) == ["heads.py:bad", "heads.py:good"]
    assert "SL201" in findings["heads.py:bad"] and "SL201" not in findings["heads.py:good"]
    assert check("--exit-zero")[0] == 0
    code, findings = check("--ignore", "SL201")
    assert code == 0 and findings["heads.py:bad"] == ["SL101"]  # info only: below the file's fail-on
    assert check("--ignore", "SL201", "--fail-on", "info")[0] == 1
    with open("pyproject.toml", "a") as file:
        file.write('ignore = ["dense-on-feature-map", "SL206"]\n')
    code, findings = check()
    assert code == 0 and findings["heads.py:bad"] == ["SL101"]


def test_ci_formats_point_configured_sources_without_a_file_at_the_config(tmp_path, monkeypatch):
    """A dotted factory outside the tree has no file to annotate: GitHub annotations and SARIF use pyproject.toml."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "zoo_heads.py").write_text(HEADS)
    monkeypatch.syspath_prepend(str(lib))
    project = tmp_path / "project"  # the factory's lines lie outside it: nothing there to annotate
    project.mkdir()
    write(project, '[tool.shapelint]\nsources = ["zoo_heads:bad"]\nsizes = [32]\n')
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["check", "-j", "0", "--format", "github",
                                       "--output-file", "sarif:out.sarif", "--output-file", "json:out.json"])
    assert result.exit_code == 1, result.output
    assert ("::error title=shapelint SL201 dense-on-feature-map,file=pyproject.toml,line=2::zoo_heads:bad: "
            in result.stdout)
    sarif = json.loads((project / "out.sarif").read_text())
    (location,) = {json.dumps(r["locations"][0]["physicalLocation"]) for r in sarif["runs"][0]["results"]}
    assert json.loads(location) == {"artifactLocation": {"uri": "pyproject.toml", "uriBaseId": "%SRCROOT%"},
                                    "region": {"startLine": 2}}
    assert sarif["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0] == {
        "fullyQualifiedName": "zoo_heads:bad", "kind": "module"}
    # json and table report what was checked, not where annotations go
    assert json.loads((project / "out.json").read_text())["results"][0].get("path") is None


def test_fail_on_choices_agree_with_the_file_and_the_severities():
    """shapelint.cli spells --fail-on's choices out (start-up); the file accepts the same, most severe first."""
    from shapelint.cli import FAIL_ON
    from shapelint.config import FAIL_ON as FILE_FAIL_ON
    from shapelint.report import SEVERITIES

    assert tuple(FAIL_ON) == FILE_FAIL_ON == SEVERITIES[::-1]


def test_the_config_takes_how_sources_run(tmp_path, monkeypatch):
    """jobs, timeout and memory-limit in [tool.shapelint], as on the command line."""
    from click.testing import CliRunner

    from shapelint.cli import main

    (tmp_path / "pyproject.toml").write_text('[tool.shapelint]\nsources = ["keras:MobileNetV2?alpha=0.35"]\n'
                                            'jobs = 1\ntimeout = 0.01\nmemory-limit = 6\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["probe", "keras:MobileNetV2?alpha=0.35", "--sizes", "64"])
    assert "unknown key" not in result.stderr
    assert result.exit_code == 2 and "timed out after 0.01 s" in result.stderr
