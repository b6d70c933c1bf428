"""The model builders of keras.applications (ResNet50(), ...), which convkit does not have.

A family module gets a module `__getattr__` from `refuse_builders`: asking it for one of Keras's
builders raises NotImplementedError saying how to get the model instead (NotImplementedError, not
AttributeError, so that `from convkit.applications import ResNet50` shows the message too).
"""

# Keras 3.15's builders, by application family module
BUILDERS = {
    "convnext": ("ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge"),
    "densenet": ("DenseNet121", "DenseNet169", "DenseNet201"),
    "efficientnet": tuple(f"EfficientNetB{i}" for i in range(8)),
    "efficientnet_v2": ("EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
                        "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S"),
    "inception_resnet_v2": ("InceptionResNetV2",),
    "inception_v3": ("InceptionV3",),
    "mobilenet": ("MobileNet",),
    "mobilenet_v2": ("MobileNetV2",),
    "mobilenet_v3": (),  # (Keras exports its two builders from keras.applications only)
    "nasnet": ("NASNetLarge", "NASNetMobile"),
    "resnet": ("ResNet50", "ResNet101", "ResNet152"),
    "resnet50": ("ResNet50",),
    "resnet_v2": ("ResNet50V2", "ResNet101V2", "ResNet152V2"),
    "vgg16": ("VGG16",),
    "vgg19": ("VGG19",),
    "xception": ("Xception",),
}

# every builder keras.applications itself has
ALL_BUILDERS = tuple(sorted({name for names in BUILDERS.values() for name in names}
                            | {"MobileNetV3Large", "MobileNetV3Small"}))


def refuse_builders(module_name, names):
    """A module `__getattr__` raising NotImplementedError for the builders `names`, and the usual
    AttributeError for any other missing name."""
    names = frozenset(names)

    def __getattr__(name):
        if name in names:
            raise NotImplementedError(
                f"convkit does not build Keras's application models: `{module_name}.{name}` is not available. Build "
                f"and save the model with Keras (`keras.applications.{name}(weights=...).save('model.keras')`), "
                f"then load the file with `convkit.saving.load_model('model.keras')`.")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__


# What each family's preprocess_input does to images with values in [0, 255], as Keras's does
_MODE_DOCS = {
    "caffe": "RGB -> BGR, then ImageNet's mean pixel subtracted (no scaling)",
    "tf": "scaled to [-1, 1]",
    "torch": "scaled to [0, 1], then normalised by ImageNet's per-channel mean and standard deviation",
}


def family_functions(module_name, family, mode):
    """The public functions of the application family module `module_name` (Keras's
    keras.applications.<family>): preprocess_input in Keras's `mode` ('caffe', 'tf', 'torch'; None:
    the identity, for models that rescale their input themselves), decode_predictions, and the
    module `__getattr__` refusing the family's model builders."""
    from convkit.applications import imagenet_utils

    if mode is None:
        def preprocess_input(x, data_format=None):
            return x

        preprocess_input.__doc__ = (
            f"`x` itself, unchanged (the same object), as Keras returns it: the {family} models rescale their input "
            f"in their own first layers. Kept so that scripts written for older models still run.")
    else:
        def preprocess_input(x, data_format=None):
            return imagenet_utils.preprocess_input(x, data_format=data_format, mode=mode)

        preprocess_input.__doc__ = (
            f"A new array: `x` (images with values in [0, 255]) with Keras's '{mode}' preprocessing, "
            f"{_MODE_DOCS[mode]}. Float inputs keep their float type, others become float32.")

    def decode_predictions(preds, top=5, *, class_index_path=None):
        """The `top` ImageNet classes of each row of `preds` (imagenet_utils.decode_predictions)."""
        return imagenet_utils.decode_predictions(preds, top=top, class_index_path=class_index_path)

    for fn in (preprocess_input, decode_predictions):
        fn.__module__ = module_name
    return preprocess_input, decode_predictions, refuse_builders(module_name, BUILDERS[family])
