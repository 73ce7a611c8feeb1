"""Each architecture built by ketorch equals Keras's: layer names and order, weight shapes
and order, and predictions once Keras's weights are moved over in a ``.weights.h5`` file.

By default one or two configurations per module run (small inputs, random weights);
``KETORCH_TEST_ALL_APPLICATIONS=1`` also runs every other variant (slow: minutes).
"""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
from applications_helpers import assert_same_outputs, fresh, plausible_weights  # noqa: E402

import ketorch  # noqa: E402

ALL = os.environ.get("KETORCH_TEST_ALL_APPLICATIONS") == "1"
LOGITS = {"classes": 7, "classifier_activation": None}


def _nasnet_mobile_in_keras(**kwargs):
    # Keras refuses NASNetMobile on its torch backend; its generic builder with the
    # mobile settings makes the same network.
    from keras.src.applications import nasnet

    return nasnet.NASNet(
        kwargs.pop("input_shape"), penultimate_filters=1056, num_blocks=4,
        stem_block_filters=32, skip_reduction=False, filter_multiplier=2, default_size=224,
        name="nasnet_mobile", **kwargs,
    )  # fmt: skip


# (module, builder, kwargs, image size)
CASES = [
    ("vgg16", "VGG16", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("resnet", "ResNet50", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("resnet_v2", "ResNet50V2", {"include_top": False, "pooling": "avg"}, 32),
    ("mobilenet", "MobileNet", {"input_shape": (32, 32, 3), "alpha": 0.25, **LOGITS}, 32),
    ("mobilenet_v2", "MobileNetV2", {"input_shape": (32, 32, 3), "alpha": 0.35, **LOGITS}, 32),
    ("mobilenet_v3", "MobileNetV3Small", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("mobilenet_v3", "MobileNetV3Large", {"include_top": False, "minimalistic": True}, 32),
    ("efficientnet", "EfficientNetB0", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("efficientnet_v2", "EfficientNetV2B0", {"include_top": False, "pooling": "max"}, 32),
    ("densenet", "DenseNet121", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("inception_v3", "InceptionV3", {"input_shape": (75, 75, 3), **LOGITS}, 75),
    ("inception_resnet_v2", "InceptionResNetV2", {"include_top": False, "pooling": "avg"}, 75),
    ("xception", "Xception", {"input_shape": (71, 71, 3), **LOGITS}, 71),
    ("nasnet", "NASNetMobile", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("convnext", "ConvNeXtTiny", {"input_shape": (32, 32, 3), **LOGITS}, 32),
]
MORE_CASES = [
    ("vgg19", "VGG19", {"include_top": False, "pooling": "max"}, 32),
    ("resnet", "ResNet101", {"include_top": False}, 32),
    ("resnet", "ResNet152", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("resnet_v2", "ResNet101V2", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("resnet_v2", "ResNet152V2", {"include_top": False}, 32),
    ("mobilenet", "MobileNet", {"include_top": False, "alpha": 0.75, "depth_multiplier": 2}, 32),
    ("mobilenet_v2", "MobileNetV2", {"include_top": False, "alpha": 1.4}, 32),
    ("mobilenet_v3", "MobileNetV3Large", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("mobilenet_v3", "MobileNetV3Small", {"include_top": False, "alpha": 0.75}, 32),
    *[
        ("efficientnet", f"EfficientNetB{i}", {"input_shape": (32, 32, 3), **LOGITS}, 32)
        for i in range(1, 8)
    ],
    *[
        ("efficientnet_v2", f"EfficientNetV2{v}", {"input_shape": (32, 32, 3), **LOGITS}, 32)
        for v in ("B1", "B2", "B3", "S", "M", "L")
    ],
    ("densenet", "DenseNet169", {"include_top": False}, 32),
    ("densenet", "DenseNet201", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("nasnet", "NASNetLarge", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("convnext", "ConvNeXtSmall", {"include_top": False, "pooling": "avg"}, 32),
    ("convnext", "ConvNeXtBase", {"input_shape": (32, 32, 3), **LOGITS}, 32),
    ("convnext", "ConvNeXtLarge", {"include_top": False}, 32),
    ("convnext", "ConvNeXtXLarge", {"input_shape": (32, 32, 3), **LOGITS}, 32),
]


def _build_both(module, builder, kwargs):
    fresh()
    if builder == "NASNetMobile":
        theirs = _nasnet_mobile_in_keras(weights=None, **kwargs)
    else:
        theirs = getattr(importlib.import_module(f"keras.src.applications.{module}"), builder)(
            weights=None, **kwargs
        )
    ours = getattr(importlib.import_module(f"ketorch.applications.{module}"), builder)(
        weights=None, **kwargs
    )
    return theirs, ours


def _check(module, builder, kwargs, size, tmp_path):
    theirs, ours = _build_both(module, builder, kwargs)
    assert ours.name == theirs.name
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    assert tuple(ours.output_shape) == tuple(theirs.output_shape)

    plausible_weights(theirs)
    path = str(tmp_path / "keras.weights.h5")
    theirs.save_weights(path)
    ours.load_weights(path)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(got, want)

    x = np.random.default_rng(0).uniform(0, 255, (2, size, size, 3)).astype("float32")
    assert_same_outputs(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


@pytest.mark.parametrize(
    "module,builder,kwargs,size", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)]
)
def test_same_network_as_keras(module, builder, kwargs, size, tmp_path):
    _check(module, builder, kwargs, size, tmp_path)


@pytest.mark.skipif(not ALL, reason="set KETORCH_TEST_ALL_APPLICATIONS=1 for every variant")
@pytest.mark.parametrize(
    "module,builder,kwargs,size",
    MORE_CASES,
    ids=[f"{c[1]}-{i}" for i, c in enumerate(MORE_CASES)],
)
def test_every_variant_same_as_keras(module, builder, kwargs, size, tmp_path):
    _check(module, builder, kwargs, size, tmp_path)


def test_weights_file_saved_by_ketorch_loads_in_keras(tmp_path):
    theirs, ours = _build_both(
        "mobilenet_v3", "MobileNetV3Small", {"input_shape": (32, 32, 3), **LOGITS}
    )
    path = str(tmp_path / "ours.weights.h5")
    ours.save_weights(path)
    theirs.load_weights(path)
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    assert_same_outputs(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_input_tensor_from_a_preprocessing_graph():
    """`input_tensor` computed from an Input: the model's input is that Input."""
    fresh()
    k_in = keras.Input((40, 40, 3))
    k_x = keras.layers.Rescaling(1 / 255.0)(k_in)
    theirs = keras.applications.MobileNetV2(
        weights=None, input_tensor=k_x, alpha=0.35, include_top=False, pooling="avg"
    )
    o_in = ketorch.Input((40, 40, 3))
    o_x = ketorch.layers.Rescaling(1 / 255.0)(o_in)
    ours = ketorch.applications.MobileNetV2(
        weights=None, input_tensor=o_x, alpha=0.35, include_top=False, pooling="avg"
    )
    assert ours.inputs[0] is o_in
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(2).uniform(0, 255, (2, 40, 40, 3)).astype("float32")
    assert_same_outputs(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_public_names_match_keras():
    import keras.applications as theirs

    for module in [None, *sorted(n for n in dir(theirs) if n.islower() and not n.startswith("_"))]:
        their_mod = theirs if module is None else getattr(theirs, module)
        our_mod = ketorch.applications if module is None else getattr(ketorch.applications, module)
        missing = [n for n in dir(their_mod) if not n.startswith("_") and not hasattr(our_mod, n)]
        assert not missing, (module, missing)


@pytest.fixture
def channels_first():
    before = (keras.backend.image_data_format(), ketorch.backend.image_data_format())
    keras.backend.set_image_data_format("channels_first")
    ketorch.backend.set_image_data_format("channels_first")
    yield
    keras.backend.set_image_data_format(before[0])
    ketorch.backend.set_image_data_format(before[1])


@pytest.mark.parametrize(
    "module,builder,kwargs",
    [
        ("mobilenet_v3", "MobileNetV3Small", {"input_shape": (3, 32, 32), **LOGITS}),
        ("efficientnet", "EfficientNetB0", {"include_top": False, "input_shape": (3, 32, 32)}),
    ],
)
def test_channels_first_same_as_keras(module, builder, kwargs, channels_first, tmp_path):
    theirs, ours = _build_both(module, builder, kwargs)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    path = str(tmp_path / "keras.weights.h5")
    theirs.save_weights(path)
    ours.load_weights(path)
    x = np.random.default_rng(0).uniform(0, 255, (2, 3, 32, 32)).astype("float32")
    assert_same_outputs(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_keras_archives_load_both_ways(tmp_path):
    """``.keras`` files of an application (nested Sequential blocks, its own LayerScale
    layers, ops in the graph) open in the other library with the same predictions."""
    kwargs = {"input_shape": (32, 32, 3), **LOGITS}
    theirs, ours = _build_both("convnext", "ConvNeXtTiny", kwargs)
    ours.set_weights([w * 1.5 for w in theirs.get_weights()])
    x = np.random.default_rng(4).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    their_path, our_path = str(tmp_path / "theirs.keras"), str(tmp_path / "ours.keras")
    theirs.save(their_path)
    ours.save(our_path)
    fresh()
    from_keras = ketorch.models.load_model(their_path)
    from_ours = keras.models.load_model(our_path)
    assert [layer.name for layer in from_keras.layers] == [layer.name for layer in theirs.layers]
    assert_same_outputs(from_keras.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert_same_outputs(from_ours.predict(x, verbose=0), ours.predict(x, verbose=0))


def test_custom_scale_layer_serializes_as_keras():
    from ketorch.applications.inception_resnet_v2 import CustomScaleLayer

    config = ketorch.saving.serialize_keras_object(CustomScaleLayer(0.17, name="scale"))
    assert config["module"] == "keras.src.applications.inception_resnet_v2"
    assert config["registered_name"] == "CustomScaleLayer"
    theirs = keras.saving.deserialize_keras_object(config)
    assert (type(theirs).__name__, theirs.scale, theirs.name) == ("CustomScaleLayer", 0.17, "scale")
    again = ketorch.saving.deserialize_keras_object(config)
    assert isinstance(again, CustomScaleLayer) and again.scale == 0.17
