"""Learning-rate schedules: same rate as Keras at every step, config round trips, use in fit."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest
import torch

import ketorch
from ketorch.optimizers import schedules

STEPS = [0, 1, 2, 5, 9, 10, 11, 15, 20, 29, 30, 31, 57, 100, 150, 250, 1000]

CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9)),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.5, staircase=True),
    ),
    ("PiecewiseConstantDecay", dict(boundaries=[10, 30, 100], values=[1.0, 0.5, 0.1, 0.01])),
    ("PiecewiseConstantDecay", dict(boundaries=[5], values=[0.3, 0.2])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=100)),
    (
        "PolynomialDecay",
        dict(initial_learning_rate=0.1, decay_steps=30, end_learning_rate=0.01, power=0.5),
    ),
    (
        "PolynomialDecay",
        dict(initial_learning_rate=0.1, decay_steps=30, power=2.0, cycle=True),
    ),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    (
        "InverseTimeDecay",
        dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=100)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=100, alpha=0.1)),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.0, decay_steps=100, warmup_target=0.2, warmup_steps=20),
    ),
    (
        "CosineDecay",
        dict(
            initial_learning_rate=0.01,
            decay_steps=50,
            alpha=0.05,
            warmup_target=0.1,
            warmup_steps=10,
        ),
    ),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10)),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=1.0, m_mul=0.5, alpha=0.1),
    ),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=7, t_mul=1.5, m_mul=0.9),
    ),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_same_rate_as_keras_at_every_step(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    for step in STEPS:
        got = ours(torch.tensor(step, dtype=torch.int64))
        want = float(keras.ops.convert_to_numpy(theirs(step)))
        assert got.dtype == torch.float32
        np.testing.assert_allclose(float(got), want, rtol=1e-6, atol=1e-9, err_msg=f"step {step}")
        # Python ints work too, with the same value.
        assert float(ours(step)) == float(got)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_config_round_trip_and_keras_format(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    assert schedules.serialize(ours) == keras.optimizers.schedules.serialize(theirs)
    rebuilt = schedules.deserialize(keras.optimizers.schedules.serialize(theirs))
    assert type(rebuilt) is type(ours)
    assert rebuilt.get_config() == ours.get_config()
    # tf.keras 2 dicts have no `module`.
    legacy = {"class_name": name, "config": theirs.get_config()}
    assert schedules.deserialize(legacy).get_config() == ours.get_config()


def test_schedule_stays_on_step_device_without_host_copies():
    schedule = schedules.PiecewiseConstantDecay([2, 4], [0.3, 0.2, 0.1])
    step = torch.tensor(3)
    assert schedule(step).device == step.device
    # The boundary table is built once per device and reused.
    schedule(step)
    assert len(schedule._cache) == 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.9)
    with pytest.raises(ValueError, match="first_decay_steps=-1"):
        schedules.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        schedules.serialize(lambda step: 0.1)
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(1)


def test_optimizer_config_round_trip_with_schedule():
    schedule = schedules.ExponentialDecay(0.1, 10, 0.9)
    opt = ketorch.optimizers.SGD(learning_rate=schedule)
    keras_opt = keras.optimizers.SGD(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    )
    assert opt.get_config()["learning_rate"] == keras_opt.get_config()["learning_rate"]
    rebuilt = ketorch.optimizers.SGD.from_config(keras_opt.get_config())
    assert isinstance(rebuilt._lr_schedule, schedules.ExponentialDecay)


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    return x, y


def _pair(opt_factory_ours, opt_factory_keras):
    ours = ketorch.Sequential(
        [ketorch.Input((5,)), ketorch.layers.Dense(3), ketorch.layers.Dense(1)]
    )
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    ours.set_weights(theirs.get_weights())
    ours.compile(opt_factory_ours(), "mse")
    theirs.compile(opt_factory_keras(), "mse")
    return ours, theirs


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("ExponentialDecay", dict(initial_learning_rate=0.05, decay_steps=3, decay_rate=0.5)),
        ("PiecewiseConstantDecay", dict(boundaries=[4, 9], values=[0.05, 0.02, 0.005])),
        (
            "CosineDecay",
            dict(initial_learning_rate=0.0, decay_steps=10, warmup_target=0.05, warmup_steps=4),
        ),
    ],
)
def test_fit_with_schedule_matches_keras(name, kwargs):
    x, y = _data()
    ours, theirs = _pair(
        lambda: ketorch.optimizers.SGD(getattr(schedules, name)(**kwargs)),
        lambda: keras.optimizers.SGD(getattr(keras.optimizers.schedules, name)(**kwargs)),
    )
    h1 = ours.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    h2 = theirs.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ours.optimizer.learning_rate,
        float(keras.ops.convert_to_numpy(theirs.optimizer.learning_rate)),
        rtol=1e-6,
    )


# The trainer adds logs["learning_rate"] at epoch end when the optimizer's rate is a schedule.
# Keras itself does not do this; ketorch adds it on purpose (issue 7 asks for it).
def test_scheduled_rate_shows_in_logs():
    x, y = _data()
    schedule = schedules.ExponentialDecay(0.05, decay_steps=4, decay_rate=0.5)
    model = ketorch.Sequential([ketorch.Input((5,)), ketorch.layers.Dense(1)])
    model.compile(ketorch.optimizers.SGD(schedule), "mse")
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    # 4 steps per epoch: after epoch e the optimizer has done 4 * (e + 1) steps.
    want = [float(schedule(4 * (e + 1))) for e in range(3)]
    np.testing.assert_allclose(history.history["learning_rate"], want, rtol=1e-6)
