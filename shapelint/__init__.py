"""shapelint: probe pretrained backbones and lint classification heads, with evidence.

In a notebook (importing shapelint imports no framework; the first call does):

    import shapelint
    shapelint.probe(backbone)           # or a SOURCE string: "keras:MobileNetV2", "path/to/saved_model"
    shapelint.check(model, num_classes=5)

Both return a result that displays as the tables the command line prints (`_repr_html_` in Jupyter,
the plain table as its repr), with `.findings`, `.verdict`, `.error` and `.assert_clean()`.
"""

__version__ = "0.1.0"


def probe(model_or_source, sizes=None):
    """Probe a backbone (a model object or a SOURCE string) at several input sizes, in this process."""
    from .testing import ShapeLint, as_sizes

    return ShapeLint(sizes=as_sizes(sizes)).probe(model_or_source)


def check(model_or_source, num_classes=None, sizes=None, select=None, ignore=None, fail_on="warning", loss=None,
          input_shape=None):
    """Lint a whole model's head (and the backbone inside it) as `shapelint check` does, in this process.

    loss: the loss module a PyTorch model trains with (nn.CrossEntropyLoss(), ...), for the loss rules.
    input_shape: the input a PyTorch model takes, without the batch, where its first layer does not say.
    """
    from .testing import ShapeLint, as_sizes

    lint = ShapeLint(sizes=as_sizes(sizes), fail_on=fail_on)
    return lint.check(model_or_source, num_classes=num_classes, select=select, ignore=ignore, loss=loss,
                      input_shape=input_shape)
