"""fit/evaluate/predict accept arrays, tensors, pandas, lists, dicts, generators."""

import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from parity import keras

import ketorch
from ketorch.layers import Dense


def _model(n_in=4, units=1, act="sigmoid"):
    m = ketorch.Sequential(
        [ketorch.Input((n_in,)), Dense(8, activation="relu"), Dense(units, activation=act)]
    )
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return m


def test_pandas_dataframe_and_get_dummies(rng):
    from sklearn.model_selection import train_test_split

    df = pd.DataFrame(
        {"a": rng.random(80), "b": rng.random(80), "color": rng.choice(["red", "blue"], 80)}
    )
    x = pd.get_dummies(df, columns=["color"])
    y = pd.Series(rng.integers(0, 2, 80))
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    model = _model()
    h = model.fit(x_train, y_train, epochs=2, verbose=0, validation_data=(x_test, y_test))
    assert set(h.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert model.predict(x_test, verbose=0).shape == (20, 1)


def test_torch_tensors_and_lists(rng):
    model = _model()
    x = torch.rand(32, 4)
    y = torch.randint(0, 2, (32, 1)).float()
    model.fit(x, y, verbose=0)
    model.fit(x.tolist(), y.tolist(), verbose=0)
    assert model.predict(x, verbose=0).shape == (32, 1)


def test_dict_inputs_by_name(rng):
    a, b = ketorch.Input((2,), name="a"), ketorch.Input((3,), name="b")
    out = Dense(1)(ketorch.layers.Dense(4)(a) + ketorch.layers.Dense(4)(b))
    model = ketorch.Model([a, b], out)
    model.compile("sgd", "mse")
    data = {"b": rng.random((16, 3)), "a": rng.random((16, 2))}
    model.fit(data, rng.random((16, 1)), verbose=0)
    np.testing.assert_allclose(
        model.predict(data, verbose=0), model.predict([data["a"], data["b"]], verbose=0)
    )


def _gen(batch=8, n_batches=None, with_sw=False):
    rng = np.random.default_rng(1)
    i = 0
    while n_batches is None or i < n_batches:
        x = rng.random((batch, 4)).astype("float32")
        y = (x.sum(1, keepdims=True) > 2).astype("float32")
        yield (x, y, np.ones(batch)) if with_sw else (x, y)
        i += 1


def test_fit_from_endless_generator_with_steps():
    model = _model()
    h = model.fit(
        _gen(), steps_per_epoch=5, epochs=3, verbose=0, validation_data=_gen(), validation_steps=2
    )
    assert h.params["steps"] == 5 and len(h.history["loss"]) == 3 and "val_loss" in h.history


def test_fit_from_finite_generator_and_sample_weight():
    model = _model()
    h = model.fit(_gen(n_batches=4, with_sw=True), verbose=0)
    assert len(h.history["loss"]) == 1


def test_generator_running_dry_warns_and_stops():
    model = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        h = model.fit(_gen(n_batches=7), steps_per_epoch=5, epochs=3, verbose=0)
    assert h.epoch == [0, 1]  # the partial second epoch is recorded, then training stops


def test_fit_generator_aliases_warn():
    model = _model()
    with pytest.warns(DeprecationWarning, match="fit_generator"):
        h = model.fit_generator(
            _gen(), steps_per_epoch=3, epochs=2, verbose=0, workers=2, max_queue_size=4
        )
    assert len(h.history["loss"]) == 2
    with pytest.warns(DeprecationWarning, match="evaluate_generator"):
        result = model.evaluate_generator(_gen(), steps=2)
    assert len(result) == 2
    with pytest.warns(DeprecationWarning, match="predict_generator"):
        preds = model.predict_generator((x for x, _ in _gen(n_batches=3)), steps=3)
    assert preds.shape == (24, 1)


def test_generator_error_surfaces_with_batch_index():
    def bad():
        yield np.zeros((2, 4), "float32"), np.zeros((2, 1), "float32")
        raise KeyError("broken record")

    model = _model()
    with pytest.raises(KeyError, match="broken record") as info:
        model.fit(bad(), steps_per_epoch=3, verbose=0)
    assert any("batch 1" in note for note in getattr(info.value, "__notes__", []))


def test_generator_runs_ahead_in_background():
    produced = []

    def slow():
        for _ in range(6):
            time.sleep(0.02)
            produced.append(threading.current_thread().name)
            yield np.zeros((2, 4), "float32"), np.zeros((2, 1), "float32")

    model = _model()
    model.fit(slow(), verbose=0)
    assert produced and all(name.startswith("ketorch-prefetch") for name in produced)


def test_pydataset_like_sequence():
    class Seq:
        def __init__(self):
            self.epochs_ended = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            x = np.full((3, 4), i, "float32")
            return x, np.zeros((3, 1), "float32")

        def on_epoch_end(self):
            self.epochs_ended += 1

    seq = Seq()
    model = _model()
    h = model.fit(seq, epochs=2, verbose=0)
    assert h.params["steps"] == 4 and seq.epochs_ended == 2


def test_torch_dataloader():
    ds = torch.utils.data.TensorDataset(torch.rand(40, 4), torch.randint(0, 2, (40, 1)).float())
    loader = torch.utils.data.DataLoader(ds, batch_size=8)
    model = _model()
    h = model.fit(loader, epochs=2, verbose=0)
    assert h.params["steps"] == 5 and len(h.history["loss"]) == 2


def test_sample_weight_and_class_weight_match_keras(rng):
    x = rng.random((64, 4)).astype("float32")
    y = rng.integers(0, 2, (64, 1)).astype("float32")
    sw = rng.random(64).astype("float32")
    for kwargs in ({"sample_weight": sw}, {"class_weight": {0: 0.3, 1: 2.0}}):
        models = []
        for lib in (ketorch, keras):
            m = lib.Sequential([lib.Input((4,)), lib.layers.Dense(1, activation="sigmoid")])
            models.append(m)
        models[1].set_weights(models[0].get_weights())
        hist = []
        for m in models:
            m.compile(
                "sgd", "binary_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"]
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hist.append(m.fit(x, y, shuffle=False, verbose=0, **kwargs).history)
        assert sorted(hist[0]) == sorted(hist[1])
        for key in hist[1]:
            np.testing.assert_allclose(hist[0][key], hist[1][key], rtol=1e-4, atol=1e-6)


def test_on_batch_methods(rng):
    model = _model()
    x, y = rng.random((8, 4)), rng.integers(0, 2, (8, 1))
    loss, acc = model.train_on_batch(x, y)
    assert isinstance(loss, float) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (8, 1)


def test_initial_epoch_and_validation_freq(rng, capsys):
    model = _model()
    x, y = rng.random((40, 4)), rng.integers(0, 2, (40, 1))
    h = model.fit(x, y, epochs=5, initial_epoch=3, validation_data=(x, y), verbose=2)
    assert h.epoch == [3, 4]
    out = capsys.readouterr().out
    assert "Epoch 4/5" in out and "Epoch 5/5" in out and "Epoch 1/5" not in out
    h = model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0)
    assert len(h.history["loss"]) == 4 and len(h.history["val_loss"]) == 2


def test_torch_map_style_dataset_is_batched():
    class Samples(torch.utils.data.Dataset):
        def __len__(self):
            return 40

        def __getitem__(self, i):
            return torch.full((4,), float(i) / 40), torch.tensor([float(i % 2)])

    model = _model()
    h = model.fit(Samples(), batch_size=8, epochs=2, verbose=0, validation_data=Samples())
    assert h.params["steps"] == 5 and "val_loss" in h.history
    assert model.predict(Samples(), batch_size=16, verbose=0).shape == (40, 1)
    assert len(model.evaluate(Samples(), verbose=0)) == 2


def test_dataframe_columns_feed_named_inputs(rng):
    a, b = ketorch.Input((1,), name="age"), ketorch.Input((1,), name="income")
    out = Dense(1)(ketorch.layers.Concatenate()([a, b]))
    model = ketorch.Model([a, b], out)
    model.compile("sgd", "mse")
    df = pd.DataFrame({"income": rng.random(16), "age": rng.random(16)})
    model.fit(df, rng.random((16, 1)), verbose=0)
    by_name = model.predict(df, verbose=0)
    by_order = model.predict([df[["age"]].to_numpy(), df[["income"]].to_numpy()], verbose=0)
    np.testing.assert_allclose(by_name, by_order, rtol=1e-6)
