"""TensorBoard: real event files, read back with tensorboard's own reader."""

import json
import os

import numpy as np
import pytest
from cb_parity import regression_data, twin_models

import ketorch

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)


def _read(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _fit(tmp_path, epochs=3, **tb_kwargs):
    (x, y), (vx, vy) = regression_data()
    model, _ = twin_models()
    model.compile(ketorch.optimizers.SGD(0.01), "mse", metrics=["mae"])
    cb = ketorch.callbacks.TensorBoard(log_dir=tmp_path / "logs", **tb_kwargs)
    history = model.fit(x, y, batch_size=16, epochs=epochs, verbose=0,
                        validation_data=(vx, vy), callbacks=[cb])  # fmt: skip
    return model, cb, history


def test_epoch_scalars_train_and_validation(tmp_path):
    _, cb, history = _fit(tmp_path)
    train = _read(tmp_path / "logs" / "train")
    val = _read(tmp_path / "logs" / "validation")
    assert {"epoch_loss", "epoch_mae", "epoch_learning_rate"} <= set(train.Tags()["scalars"])
    # fit's validation runs the test hooks too, so (as in Keras) on_test_end also writes
    # evaluation_<metric>_vs_iterations to the validation log.
    assert set(val.Tags()["scalars"]) == {
        "epoch_loss",
        "epoch_mae",
        "evaluation_loss_vs_iterations",
        "evaluation_mae_vs_iterations",
    }
    for name in ("loss", "mae"):
        steps, values = zip(*_scalars(train, f"epoch_{name}"))
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history.history[name], rtol=1e-6)
        np.testing.assert_allclose(
            [v for _, v in _scalars(val, f"epoch_{name}")], history.history[f"val_{name}"],
            rtol=1e-6,
        )  # fmt: skip
    np.testing.assert_allclose([v for _, v in _scalars(train, "epoch_learning_rate")], [0.01] * 3)
    # No per-batch hooks (so no per-batch host sync) unless batch logging is asked for.
    assert not cb._implements("on_train_batch_end")


@pytest.mark.parametrize("update_freq,expected", [("batch", [1, 2, 3, 4, 5, 6]), (2, [2, 4, 6])])
def test_batch_scalars(tmp_path, update_freq, expected):
    _fit(tmp_path, epochs=2, update_freq=update_freq)  # 3 batches per epoch
    train = _read(tmp_path / "logs" / "train")
    assert [s for s, _ in _scalars(train, "batch_loss")] == expected
    assert [s for s, _ in _scalars(train, "batch_mae")] == expected


def test_histograms_images_and_model(tmp_path):
    model, _, _ = _fit(tmp_path, epochs=3, histogram_freq=2, write_images=True)
    train = _read(tmp_path / "logs" / "train")
    hist_tags = set(train.Tags()["histograms"])
    names = [layer.name for layer in model.layers]
    # Tags are the variables' Keras paths ("sequential/dense/kernel"), as Keras writes them.
    assert hist_tags == {
        f"{model.name}/{n}/{w}/histogram" for n in names for w in ("kernel", "bias")
    }
    kernel = f"{model.name}/{names[0]}/kernel/histogram"
    assert [e.step for e in train.Histograms(kernel)] == [0, 2]
    assert train.Histograms(kernel)[-1].histogram_value.num == model.layers[0].kernel.numel()
    assert f"{model.name}/{names[0]}/kernel/image" in train.Tags()["images"]
    # The Keras model config, as TensorBoard's Keras graph view reads it.
    assert "keras" in train.Tags()["tensors"]
    config = json.loads(train.Tensors("keras")[0].tensor_proto.string_val[0])
    assert config["class_name"] == "Sequential"
    # The traced op graph, when torch can trace the model.
    assert train.Tags()["graph"] is True


def test_evaluate_writes_vs_iterations(tmp_path):
    (x, y), (vx, vy) = regression_data()
    model, _ = twin_models()
    model.compile(ketorch.optimizers.SGD(0.01), "mse")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    cb = ketorch.callbacks.TensorBoard(log_dir=tmp_path / "logs")
    loss = model.evaluate(vx, vy, verbose=0, callbacks=[cb])
    cb._close_writers()
    val = _read(tmp_path / "logs" / "validation")
    assert _scalars(val, "evaluation_loss_vs_iterations") == [(3, pytest.approx(loss, rel=1e-6))]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="update_freq='sometimes'"):
        ketorch.callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch=5"):
        ketorch.callbacks.TensorBoard(profile_batch=5)
    assert not os.path.exists(tmp_path / "logs")
