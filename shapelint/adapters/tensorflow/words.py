"""How Keras (3 and tf_keras) advice is spelled. Framework-free: records.words imports it by name."""

from dataclasses import replace

from ...records.words import Words

WORDS = Words(
    framework="keras",
    name="Keras",
    pool="GlobalAveragePooling{dims}D()",
    pool_first='GlobalAveragePooling{dims}D(data_format="channels_first")',
    pool_name="GlobalAveragePooling2D",
    double_pool_error="Keras raises 'expected ndim=4, found ndim=2'",
    dense="Dense({units})",
    dense_activation="Dense({units}, activation={activation!r})",
    flatten="Flatten()",
    backbone_pool="build the backbone with pooling='avg'",
    pooled_backbone="pooling='avg' or a feature_vector module",
    binary_fix="Use activation='sigmoid' on '{layer}' for a binary head, or give it 2 units with softmax",
    loss_call="{loss}(from_logits={from_logits})",
    use_loss="Compile with {loss}",
    remove_activation="remove the {activation} from '{layer}'",
    activation_fix="Use activation={activation!r} on '{layer}'",
    flatten_pooled="Flatten()",
    class_token="x[:, 0]",
    patch_mean="GlobalAveragePooling1D()(x[:, {start}:])",
    fine_tune=(("keras_hub", "keras_hub.models.ImageClassifier.from_preset(preset, num_classes={num_classes})"),
               ("keras", "build it with include_top=False, pooling='avg' and add Dense({num_classes})"),
               ("savedmodel", "rebuild the model it was saved from with its last Dense replaced by "
                              "Dense({num_classes}) (or export it without its classifier); a SavedModel's outputs "
                              "are fixed"),
               ("", "rebuild it with its last layer '{attribute}' replaced by Dense({num_classes}); a saved "
                    "model's output is class scores")),
    losses=(("categorical", "CategoricalCrossentropy()", "CategoricalCrossentropy(from_logits=True)"),
            ("binary", "BinaryCrossentropy()", "BinaryCrossentropy(from_logits=True)")),
)

# KerasHub backbones take no pooling= argument: its ImageClassifier pools them
KERAS_HUB = replace(
    WORDS,
    framework="keras_hub",
    backbone_pool="use keras_hub.models.ImageClassifier(backbone, num_classes), which pools with pooling='avg'",
)
