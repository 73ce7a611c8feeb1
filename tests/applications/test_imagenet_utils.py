"""`preprocess_input` and `decode_predictions` of every applications module, against Keras."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402

import ketorch  # noqa: E402
from ketorch.applications import imagenet_utils  # noqa: E402
from ketorch.utils.download import DownloadError  # noqa: E402

MODULES = [
    "convnext", "densenet", "efficientnet", "efficientnet_v2", "inception_resnet_v2",
    "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3", "nasnet", "resnet",
    "resnet50", "resnet_v2", "vgg16", "vgg19", "xception",
]  # fmt: skip


def _images(shape, dtype="float32"):
    return np.random.default_rng(0).uniform(0, 255, shape).astype(dtype)


@pytest.mark.parametrize("module", MODULES)
def test_module_preprocess_input_equals_keras(module):
    ours = getattr(ketorch.applications, module).preprocess_input
    theirs = getattr(keras.applications, module).preprocess_input
    x = _images((2, 5, 6, 3))
    np.testing.assert_allclose(ours(x.copy()), theirs(x.copy()), rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape", [(2, 4, 5, 3), (4, 5, 3)])
def test_modes_and_layouts_equal_keras(mode, data_format, shape):
    if data_format == "channels_first":
        shape = (shape[0], 3, *shape[1:-1]) if len(shape) == 4 else (3, *shape[:-1])
    x = _images(shape)
    want = keras.applications.imagenet_utils.preprocess_input(
        x.copy(), data_format=data_format, mode=mode
    )
    got = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)
    tensor = torch.tensor(x)
    got_t = imagenet_utils.preprocess_input(tensor, data_format=data_format, mode=mode)
    assert isinstance(got_t, torch.Tensor)
    np.testing.assert_allclose(got_t.numpy(), want, rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(tensor.numpy(), x)  # a tensor is never modified


def test_numpy_float_input_is_overwritten_and_ints_are_converted():
    x = _images((1, 2, 2, 3))
    out = imagenet_utils.preprocess_input(x, mode="tf")
    assert out is x
    ints = np.full((1, 2, 2, 3), 255, dtype="uint8")
    out = imagenet_utils.preprocess_input(ints, mode="tf")
    assert out.dtype == np.float32 and np.all(out == 1.0)
    assert ints[0, 0, 0, 0] == 255
    out = imagenet_utils.preprocess_input(
        torch.full((1, 2, 2, 3), 255, dtype=torch.uint8), mode="tf"
    )
    assert out.dtype == torch.float32 and torch.all(out == 1.0)


@pytest.mark.parametrize("module", ["resnet50", "xception", "densenet"])
def test_preprocess_input_inside_a_functional_model(module):
    """``x = preprocess_input(inputs)`` is a step of a model, as in Keras."""
    inputs = ketorch.Input((4, 4, 3))
    outputs = getattr(ketorch.applications, module).preprocess_input(inputs)
    model = ketorch.Model(inputs, outputs)
    x = _images((2, 4, 4, 3))
    want = getattr(keras.applications, module).preprocess_input(x.copy())
    np.testing.assert_allclose(np.asarray(model.predict(x, verbose=0)), want, rtol=1e-6, atol=1e-5)


def test_preprocess_input_errors():
    with pytest.raises(ValueError, match="Expected mode to be one of"):
        imagenet_utils.preprocess_input(_images((1, 2, 2, 3)), mode="caffee")
    with pytest.raises(ValueError, match="Expected data_format"):
        imagenet_utils.preprocess_input(_images((1, 2, 2, 3)), data_format="channels_middle")


# ---------------------------------------------------------------- decode_predictions
FAKE_INDEX = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}


@pytest.fixture
def class_index(keras_home, monkeypatch):
    """A fake ``imagenet_class_index.json`` in the cache, with its hash expected."""
    path = keras_home / "models" / "imagenet_class_index.json"
    path.write_text(json.dumps(FAKE_INDEX))
    monkeypatch.setattr(
        imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(path.read_bytes()).hexdigest()
    )
    import keras.src.applications.imagenet_utils as keras_utils

    monkeypatch.setattr(keras_utils, "CLASS_INDEX", FAKE_INDEX)  # Keras's hash is fixed
    return path


@pytest.mark.parametrize("module", MODULES)
def test_decode_predictions_equals_keras(module, class_index):
    preds = np.random.default_rng(1).random((3, 1000)).astype("float32")
    got = getattr(ketorch.applications, module).decode_predictions(preds, top=4)
    want = getattr(keras.applications, module).decode_predictions(preds, top=4)
    assert got == want
    assert [len(r) for r in got] == [4, 4, 4]
    best = int(np.argmax(preds[0]))
    assert got[0][0][:2] == (f"n{best:08d}", f"class_{best}")


def test_decode_predictions_accepts_tensors(class_index):
    preds = torch.softmax(torch.randn(2, 1000), dim=-1)
    got = imagenet_utils.decode_predictions(preds, top=1)
    assert got[0][0][1] == f"class_{int(preds[0].argmax())}"


def test_decode_predictions_shape_error(class_index):
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_without_the_index(keras_home):
    with pytest.raises(DownloadError, match="imagenet_class_index.json") as info:
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    assert str(keras_home / "models" / "imagenet_class_index.json") in str(info.value)
    assert imagenet_utils.CLASS_INDEX_ORIGIN in str(info.value)
