"""Where each layer was created: the line in the user's factory, for Keras 3 and tf_keras, nothing patched after."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from shapelint.engine.check import check_source
from shapelint.engine.run import Options

FACTORY = textwrap.dedent('''\
    import keras
    import tf_keras
    from heads import keras_head, tf_keras_head


    def backbone():
        inputs = keras.Input((None, None, 3))
        return keras.Model(inputs, keras.layers.Conv2D(8, 3, strides=32, padding="same")(inputs), name="bb")


    def build():
        return keras.Sequential([backbone(), *keras_head()])


    def build_tf_keras():
        inputs = tf_keras.Input((None, None, 3))
        bb = tf_keras.Model(inputs, tf_keras.layers.Conv2D(8, 3, strides=32, padding="same")(inputs))
        return tf_keras.Sequential([bb, *tf_keras_head()])
''')

HEADS = textwrap.dedent('''\
    import keras
    import tf_keras


    def keras_head():
        return [keras.layers.Dense(3, name="logits")]


    def tf_keras_head():
        return [tf_keras.layers.Dense(3, name="logits")]
''')


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "classifier.py").write_text(FACTORY)
    (root / "heads.py").write_text(HEADS)  # imported as a sibling: the factory's folder is importable
    return root


@pytest.mark.parametrize("factory, backbone_line", [("build", 8), ("build_tf_keras", 17)])
def test_each_layer_points_at_the_line_that_created_it(project, factory, backbone_line, monkeypatch):
    monkeypatch.chdir(project)
    report = check_source(f"classifier.py:{factory}", Options(sizes=((64, 64),)))
    assert report.error is None
    model = report.model
    assert model.layer("logits").origin == ("heads.py", 6 if factory == "build" else 10)
    assert model.layer(model.backbone_layer).origin == ("classifier.py", backbone_line)
    assert {f.code for f in report.findings} >= {"SL201"}


def test_layer_construction_is_restored_after_the_factory(project, monkeypatch):
    import keras
    import tf_keras

    before = (keras.layers.Layer.__init__, tf_keras.layers.Layer.__init__)
    monkeypatch.chdir(project)
    check_source("classifier.py:build", Options(sizes=((64, 64),)))
    assert (keras.layers.Layer.__init__, tf_keras.layers.Layer.__init__) == before


def test_a_model_built_in_a_test_points_at_the_test(monkeypatch):
    """The pytest plugin records while each test runs (Keras already imported), so this model has lines too."""
    import inspect

    import keras

    from shapelint.engine.check import check_object

    line = inspect.currentframe().f_lineno + 1
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3), keras.layers.Dense(2)])
    report = check_object(model, "m", Options(sizes=((32, 32),)))
    here = Path(__file__).resolve().relative_to(Path.cwd().resolve()).as_posix()
    assert {layer.origin for layer in report.model.layers} == {(here, line)}


def test_recording_changes_no_layer_config():
    """Keras 3 builds a layer's config from its constructor's signature (inspect.signature and getfullargspec):
    a layer created while recording must serialise exactly as one created without."""
    import inspect

    import keras

    from shapelint.adapters.tensorflow.origins import recording_layers

    class Scale(keras.layers.Layer):  # no __init__ of its own: Layer.__init__ is the one Keras inspects
        def call(self, x):
            return x

    plain = Scale(name="scale").get_config()
    spec = inspect.getfullargspec(keras.layers.Layer.__init__)
    with recording_layers():
        assert inspect.getfullargspec(keras.layers.Layer.__init__) == spec
        recorded = Scale(name="scale").get_config()
        lam = keras.layers.Lambda(lambda t: t, name="lam").get_config()
    assert recorded == plain
    assert lam == keras.layers.Lambda(lambda t: t, name="lam").get_config() | {"function": lam["function"]}
