"""``weights=``: Keras's published files from Keras's cache (hash-checked, downloaded when
possible, a clear error offline), weight file paths, and Keras's argument checks."""

from __future__ import annotations

import hashlib
import importlib
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
from applications_helpers import (  # noqa: E402
    assert_same_outputs,
    fresh,
    plausible_weights,
    write_legacy_h5,
)

import ketorch  # noqa: E402
from ketorch.utils.download import DownloadError  # noqa: E402


def _md5(path) -> str:
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def _sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# (module, builder, kwargs, cache file name, hash table key, index in the hash pair, hasher)
PUBLISHED = [
    (
        "mobilenet_v3",
        "MobileNetV3Small",
        {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"},
        "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        "small_224_1.0_float",
        1,
        _md5,
    ),
    (
        "efficientnet",
        "EfficientNetB0",
        {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"},
        "efficientnetb0_notop.h5",
        "b0",
        1,
        _md5,
    ),
    (
        "convnext",
        "ConvNeXtTiny",
        {"input_shape": (224, 224, 3), "classifier_activation": None},
        "convnext_tiny.h5",
        "convnext_tiny",
        0,
        _sha256,
    ),
]


@pytest.mark.parametrize("case", PUBLISHED, ids=[c[1] for c in PUBLISHED])
def test_imagenet_weights_from_keras_cache(case, keras_home, monkeypatch):
    """A file under Keras's name and with the expected hash in ``~/.keras/models`` is what
    ``weights="imagenet"`` loads, with the same result as Keras loading it."""
    module, builder, kwargs, file_name, key, index, hasher = case
    fresh()
    theirs_mod = importlib.import_module(f"keras.src.applications.{module}")
    ours_mod = importlib.import_module(f"ketorch.applications.{module}")
    source = getattr(theirs_mod, builder)(weights=None, **kwargs)
    plausible_weights(source)
    rng = np.random.default_rng(0)
    path = keras_home / "models" / file_name
    write_legacy_h5(source, path)
    digest = hasher(path)
    for mod in (theirs_mod, ours_mod):
        pair = list(mod.WEIGHTS_HASHES[key])
        pair[index] = digest
        monkeypatch.setitem(mod.WEIGHTS_HASHES, key, tuple(pair))

    fresh()
    theirs = getattr(theirs_mod, builder)(weights="imagenet", **kwargs)
    ours = getattr(ours_mod, builder)(weights="imagenet", **kwargs)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    size = kwargs["input_shape"][0]
    x = rng.uniform(0, 255, (2, size, size, 3)).astype("float32")
    assert_same_outputs(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert sorted(os.listdir(keras_home / "models")) == [file_name]  # nothing downloaded


def test_offline_without_the_file_says_which_file_and_where(keras_home):
    with pytest.raises(DownloadError) as info:
        ketorch.applications.MobileNetV3Small(weights="imagenet", include_top=False)
    message = str(info.value)
    name = "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
    assert "MobileNetV3Small" in message
    assert (
        f"https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/{name}"
        in message
    )
    assert str(keras_home / "models" / name) in message
    assert os.listdir(keras_home / "models") == []  # no partial file left


def test_offline_with_a_wrong_file_in_the_cache(keras_home):
    name = "mobilenet_1_0_128_tf_no_top.h5"  # MobileNet's files have no published hash
    bad = keras_home / "models" / "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
    bad.write_bytes(b"not the weights")
    with pytest.raises(DownloadError, match="wrong hash"):
        ketorch.applications.MobileNetV3Small(weights="imagenet", include_top=False)
    (keras_home / "models" / name).write_bytes(b"not an h5 file")
    with pytest.raises(ValueError, match=f"{name} of MobileNet cannot be loaded.*delete it"):
        ketorch.applications.MobileNet(
            weights="imagenet", include_top=False, input_shape=(128, 128, 3), alpha=1.0
        )


def test_downloads_the_published_file_into_the_cache(keras_home, file_server, monkeypatch):
    from ketorch.applications import mobilenet

    fresh()
    source = ketorch.applications.MobileNet(
        weights=None, include_top=False, alpha=0.25, input_shape=(128, 128, 3)
    )
    name = "mobilenet_2_5_128_tf_no_top.h5"
    staging = keras_home / "staging.h5"
    source.save_weights(str(keras_home / "staging.weights.h5"))
    theirs = keras.applications.MobileNet(
        weights=None, include_top=False, alpha=0.25, input_shape=(128, 128, 3)
    )
    theirs.load_weights(str(keras_home / "staging.weights.h5"))
    write_legacy_h5(theirs, staging)
    file_server.files[name] = staging.read_bytes()
    monkeypatch.setattr(mobilenet, "BASE_WEIGHTS_URL", file_server.base_url)

    ours = ketorch.applications.MobileNet(
        weights="imagenet", include_top=False, alpha=0.25, input_shape=(128, 128, 3)
    )
    assert file_server.requests == [name]
    assert (keras_home / "models" / name).read_bytes() == staging.read_bytes()
    for got, want in zip(ours.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(got, want)
    ketorch.applications.MobileNet(  # the second time it comes from the cache
        weights="imagenet", include_top=False, alpha=0.25, input_shape=(128, 128, 3)
    )
    assert file_server.requests == [name]


@pytest.mark.parametrize("layout", ["keras3", "legacy"])
def test_weights_argument_is_a_file_path(layout, tmp_path):
    fresh()
    kwargs = {"input_shape": (32, 32, 3), "alpha": 0.35, "classes": 4}
    theirs = keras.applications.MobileNetV2(weights=None, classifier_activation=None, **kwargs)
    plausible_weights(theirs)
    if layout == "keras3":
        path = tmp_path / "mine.weights.h5"
        theirs.save_weights(str(path))
    else:
        path = tmp_path / "mine.h5"
        write_legacy_h5(theirs, path)
    ours = ketorch.applications.MobileNetV2(weights=str(path), classifier_activation=None, **kwargs)
    x = np.random.default_rng(3).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    assert_same_outputs(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


BAD_ARGUMENTS = [
    ("VGG16", {"weights": "no_such_file.h5"}, "`weights` argument should be"),
    ("ResNet50", {"weights": "imagenet", "classes": 10}, "`classes` should be 1000"),
    ("ResNet50", {"weights": None, "include_top": False, "input_shape": (16, 16, 3)},
     "at least 32x32"),
    ("InceptionV3", {"weights": None, "include_top": False, "input_shape": (64, 64, 3)},
     "at least 75x75"),
    ("Xception", {"weights": "imagenet", "input_shape": (200, 200, 3)},
     "`input_shape` should be"),
    ("DenseNet121", {"weights": None, "include_top": False, "input_shape": (64, 64)},
     "three integers"),
    ("EfficientNetB0", {"weights": "imagenet", "include_top": False, "input_shape": (64, 64, 1)},
     "3 channels"),
    ("ResNet50V2", {"weights": None, "input_shape": (None, None, 3)}, "static `input_shape`"),
    ("MobileNetV2", {"weights": "imagenet", "classifier_activation": "relu"},
     "Only `None` and `softmax`"),
    ("MobileNet", {"weights": "imagenet", "alpha": 0.3}, "alpha can be one of"),
    ("MobileNet", {"weights": "imagenet", "depth_multiplier": 2}, "depth multiplier must be 1"),
    ("MobileNetV2", {"weights": "imagenet", "alpha": 0.6}, "alpha must be one of"),
    ("MobileNetV3Small", {"weights": None, "input_shape": (16, 16, 3)}, "at least 32x32"),
    ("MobileNetV3Large", {"weights": "imagenet", "minimalistic": True, "alpha": 0.75},
     "alpha can be one of"),
]  # fmt: skip


@pytest.mark.parametrize("builder,kwargs,match", BAD_ARGUMENTS)
def test_bad_arguments_rejected_as_keras_does(builder, kwargs, match, keras_home):
    with pytest.raises(ValueError, match=match):
        getattr(ketorch.applications, builder)(**kwargs)
    with pytest.raises(ValueError):
        getattr(keras.applications, builder)(**kwargs)


def test_unknown_pooling_mode_is_an_error():
    with pytest.raises(ValueError, match="`pooling` must be None, 'avg' or 'max'"):
        ketorch.applications.VGG16(weights=None, include_top=False, pooling="mean")


def test_channels_first_only_architectures(monkeypatch):
    monkeypatch.setattr(ketorch.backend, "image_data_format", lambda: "channels_first")
    for builder in ("DenseNet121", "NASNetMobile", "ConvNeXtTiny"):
        with pytest.raises(ValueError, match="does not support the `channels_first`"):
            getattr(ketorch.applications, builder)(weights=None)
