"""SL105: what the probe refused to run."""

from __future__ import annotations

from ..records.backbone import BackboneRecord
from ..records.inspection import describe_suspicious
from .registry import rule

PLACES = 3  # functions named in the message; the JSON record keeps them all


@rule("SL105", "suspicious-op", "error", "backbone")
def suspicious_op(backbone: BackboneRecord, **_):
    """The SavedModel contains ops that can read or write files, call Python or reach the network.

    ## What it does
    Scans `saved_model.pb` (every graph node and every function in the library, nested calls
    included) before anything is loaded, for ops such as `ReadFile`, `WriteFile`, `MatchingFiles`,
    `PyFunc`, `EagerPyFunc`, `PrintV2` to a file, tf.data file readers, summary writers, debugger
    taps, and checkpoint `Save`/`Restore` ops outside the variable-restore path. If any is found,
    the model is not loaded and not executed: its shapes are the ones its endpoint was saved with.

    ## Why is this bad?
    An image backbone has no reason to touch the host. A model from an untrusted pull request that
    does can overwrite files, read secrets or call back into Python the moment it is loaded
    (`tf.saved_model.load` already runs restore and initialiser functions) or called.

    ## Example
    ```python
    class Backbone(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((None, None, None, 3))])
        def __call__(self, x):
            tf.io.write_file("/tmp/pwned", "x")
            return tf.reduce_mean(x, [1, 2])
    ```

    ## Use instead
    Remove the host access from the exported function. If you wrote the model and trust it, run
    `shapelint probe --trust MODEL` to load and execute it anyway.
    """
    if not backbone.suspicious:
        return
    places = describe_suspicious(backbone.suspicious, PLACES)
    if any(record.executed for record in backbone.records):
        yield (f"{backbone.source} contains host-access ops ({places}); it was executed because of --trust",
               "Remove the ops from the exported functions")
    else:
        yield (f"{backbone.source} contains host-access ops ({places}); it was not loaded or executed",
               "Remove the ops from the exported functions, or pass --trust if you trust this model")
