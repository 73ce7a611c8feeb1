"""Bad input gets a clear error naming what was expected and what was received."""

import warnings

import numpy as np
import pytest

import ketorch
from ketorch.layers import Dense


def _model(units=3, act="softmax", n_in=4):
    return ketorch.Sequential([ketorch.Input((n_in,)), Dense(units, activation=act)])


def test_fit_before_compile():
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before calling `fit\(\)`"):
        _model().fit(np.zeros((4, 4)), np.zeros((4, 3)))


def test_x_y_length_mismatch():
    m = _model()
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match="'x' sizes: 100 'y' sizes: 90"):
        m.fit(np.zeros((100, 4)), np.zeros((90, 3)), verbose=0)


def test_wrong_feature_size():
    m = _model()
    m.compile("sgd", "mse")
    with pytest.raises(
        ValueError, match=r"expected shape \(None, 4\), but received data with shape \(10, 7\)"
    ):
        m.fit(np.zeros((10, 7)), np.zeros((10, 3)), verbose=0)


def test_wrong_rank():
    m = _model()
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"expected data of rank 2.*received data of rank 3"):
        m.predict(np.zeros((10, 4, 2)), verbose=0)


@pytest.mark.parametrize(
    "kwargs,pattern",
    [
        ({"optimizer": "adamm", "loss": "mse"}, "Received: optimizer='adamm'"),
        (
            {"optimizer": "adam", "loss": "mean_sqared_error"},
            r"mean_squared_error.*Received: loss='mean_sqared_error'",
        ),
        (
            {"optimizer": "adam", "loss": "mse", "metrics": ["acuracy"]},
            "Received: metric='acuracy'",
        ),
    ],
)
def test_unknown_identifiers_fail_at_compile(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        _model().compile(**kwargs)


def test_sparse_labels_out_of_range():
    m = _model(units=3)
    m.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"\[0, 3\).*3 classes.*\[0, 5\]"):
        m.fit(np.zeros((6, 4)), np.array([0, 1, 2, 3, 4, 5]), verbose=0)


def test_sparse_labels_out_of_range_from_generator():
    m = _model(units=3)
    m.compile("sgd", "sparse_categorical_crossentropy")

    def gen():
        while True:
            yield np.zeros((2, 4), "float32"), np.array([0, 7])

    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        m.fit(gen(), steps_per_epoch=2, verbose=0)


def test_nan_loss_warns_and_terminate_on_nan_stops():
    m = _model(units=1, act=None)
    m.compile(ketorch.optimizers.SGD(learning_rate=1e30), "mse")
    x = np.full((64, 4), 1e10, "float32")
    y = np.ones((64, 1), "float32")
    with pytest.warns(RuntimeWarning, match="training loss is (nan|inf) at epoch 1"):
        m.fit(x, y, epochs=1, verbose=0)
    m2 = _model(units=1, act=None)
    m2.compile(ketorch.optimizers.SGD(learning_rate=1e30), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = m2.fit(x, y, epochs=5, verbose=0, callbacks=[ketorch.callbacks.TerminateOnNaN()])
    assert len(h.epoch) == 1


def test_validation_split_with_generator_rejected():
    m = _model()
    m.compile("sgd", "mse")
    gen = ((np.zeros((2, 4)), np.zeros((2, 3))) for _ in range(3))
    with pytest.raises(ValueError, match="validation_split.*only supported for tensors or NumPy"):
        m.fit(gen, validation_split=0.2)


def test_bad_fit_arguments():
    m = _model()
    m.compile("sgd", "mse")
    x, y = np.zeros((4, 4)), np.zeros((4, 3))
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        m.fit(x, y, batch_size=0)
    with pytest.raises(ValueError, match="Received: validation_split=1.5"):
        m.fit(x, y, validation_split=1.5)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        m.fit(x, y, nb_epochz=3)


def test_object_array_rejected_clearly():
    m = _model()
    m.compile("sgd", "mse")
    with pytest.raises(TypeError, match="Could not convert `x` to a tensor"):
        m.fit(np.array([["a", "b", "c", "d"]], dtype=object), np.zeros((1, 3)), verbose=0)


def test_set_weights_errors():
    m = _model()
    with pytest.raises(ValueError, match="expecting 2 weights"):
        m.layers[0].set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match=r"weight 'kernel' has shape \(4, 3\).*\(3, 4\)"):
        m.layers[0].set_weights([np.zeros((3, 4)), np.zeros(3)])


def test_input_without_shape():
    with pytest.raises(ValueError, match="You must pass a `shape` argument to Input"):
        ketorch.Input()
