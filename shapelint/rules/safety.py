"""SL105: what the probe refused to load or run (ops off the SavedModel allowlist)."""

from __future__ import annotations

from ..records.backbone import BackboneRecord
from ..records.inspection import describe_suspicious
from .registry import rule

PLACES = 3  # functions named in the message; the JSON record keeps them all


@rule("SL105", "suspicious-op", "error", "backbone")
def suspicious_op(backbone: BackboneRecord, **_):
    """The SavedModel holds ops outside the allowlist of pure computation, so it was not loaded.

    ## What it does
    Reads `saved_model.pb` before anything is loaded and checks every op of every graph and every
    function in the library (called or not, nested calls, `cond` branches, restored initialisers,
    TF1 main and init ops) against a reviewed allowlist of about 900 pure computation ops: math,
    nn, arrays, images, control flow, variables, tables. Checkpoint ops are allowed only on the
    saver's save and restore paths, text-file table initialisers only on a file of the SavedModel's
    own `assets/`. Anything else (`WriteFile`, `DumpTensor`, `PyFunc`, `RecordInput`, an asset file
    outside `assets/`, ...) means the model is not loaded and not executed: its shapes are the ones
    its endpoint was saved with.

    ## Why is this bad?
    An image backbone has no reason to touch the host. A model from an untrusted pull request that
    does can overwrite files, read secrets or call back into Python the moment it is loaded
    (`tf.saved_model.load` already runs restore and initialiser functions) or called. TensorFlow
    registers well over a thousand ops: a list of the dangerous ones always misses one, so shapelint
    lists the safe ones instead.

    ## Example
    ```python
    class Backbone(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((None, None, None, 3))])
        def __call__(self, x):
            tf.io.write_file("/tmp/pwned", "x")
            return tf.reduce_mean(x, [1, 2])
    ```

    ## Use instead
    Remove the host access from the exported functions. If you wrote the model and trust it, run
    `shapelint probe --trust MODEL` to load and execute it anyway.
    """
    if not backbone.suspicious:
        return
    places = describe_suspicious(backbone.suspicious, PLACES)
    if any(record.executed for record in backbone.records):
        yield (f"{backbone.source} holds ops outside the allowlist ({places}); it was executed because of --trust",
               "Remove the ops from the exported functions")
    else:
        yield (f"{backbone.source} holds ops outside the allowlist ({places}); it was not loaded or executed",
               "Remove the ops from the exported functions, or pass --trust if you trust this model")
