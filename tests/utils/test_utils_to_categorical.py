import os

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

from ketorch.utils import normalize, to_categorical  # noqa: E402


@pytest.mark.parametrize(
    "labels",
    [[0, 2, 1], [[1], [0]], [[1, 2], [0, 1]], np.array([3, 0, 1], dtype="int32"), [[[2]], [[0]]]],
)
def test_numpy_parity_with_keras(labels):
    ours = to_categorical(labels)
    ref = keras.utils.to_categorical(labels)
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype == np.float64
    np.testing.assert_array_equal(ours, ref)


def test_num_classes_parity_with_keras():
    ours = to_categorical([0, 1, 1], num_classes=5)
    np.testing.assert_array_equal(ours, keras.utils.to_categorical([0, 1, 1], num_classes=5))
    assert ours.shape == (3, 5)


def test_whole_number_floats_accepted():
    out = to_categorical(np.array([0.0, 2.0]))
    np.testing.assert_array_equal(out, keras.utils.to_categorical(np.array([0.0, 2.0])))


def test_torch_tensor_input_returns_tensor():
    x = torch.tensor([[1], [0], [2]])
    out = to_categorical(x)
    assert isinstance(out, torch.Tensor)
    assert out.dtype == torch.float32
    assert out.shape == (3, 3)
    ref = keras.utils.to_categorical(x, num_classes=3)  # keras-torch cannot infer it
    np.testing.assert_array_equal(out.numpy(), keras.ops.convert_to_numpy(ref))
    assert to_categorical(torch.tensor([0, 1]), num_classes=4).shape == (2, 4)


def test_dtype_compat_argument():
    assert to_categorical([0, 1], dtype="float32").dtype == np.float32
    assert to_categorical(torch.tensor([0, 1]), dtype="float16").dtype == torch.float16


def test_out_of_range_labels_raise():
    msg = r"labels must be in \[0, num_classes=3\); Received: max label 5"
    with pytest.raises(ValueError, match=msg):
        to_categorical([0, 5], num_classes=3)
    with pytest.raises(ValueError, match=msg):
        to_categorical(torch.tensor([0, 5]), num_classes=3)
    with pytest.raises(ValueError, match="Received: min label -1"):
        to_categorical([-1, 1])


def test_fractional_labels_raise():
    with pytest.raises(ValueError, match="whole numbers"):
        to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="whole numbers"):
        to_categorical(torch.tensor([0.5, 1.0]))


def test_bad_num_classes_raises():
    with pytest.raises(ValueError, match="Received: num_classes=-2"):
        to_categorical([0], num_classes=-2)


def test_normalize_parity_with_keras():
    x = np.random.default_rng(0).normal(size=(4, 5))
    x[1] = 0.0
    for axis in (-1, 1):
        np.testing.assert_allclose(normalize(x, axis=axis), keras.utils.normalize(x, axis=axis))
    np.testing.assert_allclose(normalize(x, order=1), keras.utils.normalize(x, order=1), rtol=1e-12)
    t = torch.tensor(x, dtype=torch.float32)
    ref = keras.ops.convert_to_numpy(keras.utils.normalize(t))
    np.testing.assert_allclose(normalize(t).numpy(), ref, atol=1e-6)
