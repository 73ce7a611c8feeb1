"""CSVLogger: the same file as Keras writes (header, epochs, NA columns, append, separator)."""

import csv

import numpy as np
import pytest
from cb_parity import keras, regression_data, twin_models

import ketorch


def _rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def _assert_same_csv(ours_path, keras_path, sep=","):
    ours, theirs = _rows(ours_path, sep), _rows(keras_path, sep)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            try:
                np.testing.assert_allclose(float(x), float(y), rtol=1e-5, atol=1e-7)
            except ValueError:  # header names, NA
                assert x == y
    # Keras writes with the csv module's excel dialect (\r\n line ends); ours too.
    with open(ours_path, "rb") as f1, open(keras_path, "rb") as f2:
        assert f1.read().count(b"\r\n") == f2.read().count(b"\r\n")


def _run(tmp_path, validation, lr_cb=False, sep=",", append=False, runs=1):
    (x, y), (vx, vy) = regression_data()
    ours, theirs = twin_models()
    ours.compile(ketorch.optimizers.SGD(0.05), "mse", metrics=["mae"])
    theirs.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    paths = tmp_path / "ours.csv", tmp_path / "keras.csv"
    for _ in range(runs):
        for lib, model, path in ((ketorch, ours, paths[0]), (keras, theirs, paths[1])):
            cbs = [lib.callbacks.CSVLogger(path, separator=sep, append=append)]
            if lr_cb:
                cbs.insert(0, lib.callbacks.ReduceLROnPlateau(monitor="loss", patience=1))
            model.fit(
                x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=cbs,
                validation_data=(vx, vy) if validation else None,
            )  # fmt: skip
    return paths


@pytest.mark.parametrize("validation", [True, False])
def test_same_file_as_keras(tmp_path, validation):
    ours, theirs = _run(tmp_path, validation)
    _assert_same_csv(ours, theirs)
    header = _rows(ours)[0]
    assert header[0] == "epoch"
    if not validation:
        assert header == ["epoch", "loss", "mae", "val_loss", "val_mae"]
        assert all(row[3:] == ["NA", "NA"] for row in _rows(ours)[1:])
    assert [row[0] for row in _rows(ours)[1:]] == ["0", "1", "2"]


def test_learning_rate_column_separator_and_append(tmp_path):
    ours, theirs = _run(tmp_path, validation=False, lr_cb=True, sep=";", append=True, runs=2)
    _assert_same_csv(ours, theirs, sep=";")
    rows = _rows(ours, ";")
    assert rows[0] == [
        "epoch", "learning_rate", "loss", "mae",
        "val_learning_rate", "val_loss", "val_mae",
    ]  # fmt: skip
    assert len(rows) == 1 + 2 * 3  # one header, then both runs appended


def test_overwrites_without_append(tmp_path):
    ours, theirs = _run(tmp_path, validation=True, runs=2)
    assert len(_rows(ours)) == 4
    _assert_same_csv(ours, theirs)
