"""Targets that fit the output only by broadcasting get one warning naming both shapes."""

import warnings

import numpy as np
import pytest

import ketorch as keras


def _model(units, loss):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])
    model.compile("sgd", loss)
    return model


def test_mse_with_wider_targets_warns_once_with_both_shapes():
    model = _model(1, "mse")
    with pytest.warns(UserWarning, match=r"\(4, 3\).*\(4, 1\).*broadcasting") as record:
        model.fit(np.ones((8, 4)), np.ones((8, 3)), batch_size=4, epochs=2, verbose=0)
    assert len([w for w in record if "broadcasting" in str(w.message)]) == 1


@pytest.mark.parametrize(
    "units, loss, y_shape",
    [
        (1, "mse", (8,)),  # Keras adds the trailing axis
        (1, "mse", (8, 1)),
        (3, "mse", (8, 3)),
        (3, "sparse_categorical_crossentropy", (8, 1)),  # class ids
        (3, "sparse_categorical_crossentropy", (8,)),
    ],
)
def test_matching_targets_do_not_warn(units, loss, y_shape):
    model = _model(units, loss)
    y = np.zeros(y_shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(np.ones((8, 4)), y, batch_size=4, verbose=0)
