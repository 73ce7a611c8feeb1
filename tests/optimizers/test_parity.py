"""Numerical parity of ketorch optimizers with real Keras 3 (torch backend)."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ketorch.optimizers as ko  # noqa: E402

SHAPES = ((4, 3), (3,), (2, 2, 2))
ATOL = 1e-6  # observed max difference: float32 rounding (<=2e-7)

CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "rho": 0.8}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5}),
    ("Adam", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True, "beta_1": 0.5}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.01, "clipvalue": 0.1}),
    ("Adam", {"learning_rate": 0.01, "global_clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("Adam", {"learning_rate": 0.01, "loss_scale_factor": 4.0}),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 2}),
    ("Adam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "clipnorm": 1.0}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.5}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Adamax", {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01, "gradient_accumulation_steps": 3, "use_ema": True}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "use_ema": True}),
]


def _data(steps, seed=0):
    rng = np.random.default_rng(seed)
    inits = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]
    return inits, grads


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _run_parity(ours, theirs, steps=6, missing=None):
    """Applies the same gradients with both optimizers; compares after every step."""
    inits, grads = _data(steps)
    kvars = [keras.Variable(x, name=f"v{i}") for i, x in enumerate(inits)]
    params = [torch.nn.Parameter(torch.tensor(x)) for x in inits]
    ours.build(params)
    for step, step_grads in enumerate(grads):
        if missing is not None and step in missing:
            step_grads = [None if i == missing[step] else g for i, g in enumerate(step_grads)]
        k_grads = [None if g is None else keras.ops.convert_to_tensor(g) for g in step_grads]
        theirs.apply_gradients(zip(k_grads, kvars))
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else torch.tensor(g)
        ours.step()
        for kv, p in zip(kvars, params):
            np.testing.assert_allclose(p.detach().numpy(), _numpy(kv), atol=ATOL, rtol=0)
    ours.finalize_variable_values()
    theirs.finalize_variable_values(kvars)
    for kv, p in zip(kvars, params):
        np.testing.assert_allclose(p.detach().numpy(), _numpy(kv), atol=ATOL, rtol=0)

    k_values = [_numpy(v) for v in theirs.variables]
    o_values = [v.detach().cpu().numpy() for v in ours.variables]
    assert len(o_values) == len(k_values)
    for k, o in zip(k_values, o_values):
        assert o.shape == k.shape
        np.testing.assert_allclose(o, k, atol=ATOL, rtol=1e-6)
    # Slot naming follows Keras (`<var path>_<slot>`); Nadam's product is unnamed in Keras.
    k_names = [v.name for v in theirs.variables]
    o_names = ours.variable_names([f"v{i}" for i in range(len(SHAPES))])
    if isinstance(ours, ko.Nadam):
        k_names, o_names = k_names[:-1], o_names[:-1]
    assert o_names == k_names
    return ours, theirs


@pytest.mark.parametrize(
    "class_name, kwargs", CASES, ids=[f"{c}-{'-'.join(k) or 'default'}" for c, k in CASES]
)
def test_matches_keras(class_name, kwargs):
    ours = getattr(ko, class_name)(**kwargs)
    theirs = getattr(keras.optimizers, class_name)(**kwargs)
    _run_parity(ours, theirs)
    assert int(ours.iterations) == int(_numpy(theirs.iterations))


@pytest.mark.parametrize("class_name", ["SGD", "Adam", "RMSprop"])
def test_missing_gradients_are_skipped_like_keras(class_name):
    kwargs = {"learning_rate": 0.05}
    if class_name != "Adam":
        kwargs["momentum"] = 0.5
    ours = getattr(ko, class_name)(**kwargs)
    theirs = getattr(keras.optimizers, class_name)(**kwargs)
    with pytest.warns(UserWarning):  # Keras warns about the missing gradients
        _run_parity(ours, theirs, missing={1: 0, 3: 2})


@pytest.mark.parametrize(
    "class_name, kwargs",
    [
        ("SGD", {"momentum": 0.5}),
        ("RMSprop", {"centered": True}),
        ("Adam", {}),
        ("AdamW", {"weight_decay": 0.1}),
        ("Adagrad", {}),
        ("Adadelta", {}),
        ("Adamax", {}),
        ("Nadam", {}),
    ],
)
def test_keras_schedule_matches(class_name, kwargs):
    def schedule():
        return keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)

    ours = getattr(ko, class_name)(learning_rate=schedule(), **kwargs)
    theirs = getattr(keras.optimizers, class_name)(learning_rate=schedule(), **kwargs)
    _run_parity(ours, theirs)
    assert len(ours.variables) == len(theirs.variables)  # no learning_rate variable
    assert ours.learning_rate == pytest.approx(float(_numpy(theirs.learning_rate)))


def test_config_keys_and_values_match_keras():
    for class_name in set(ko.ALL_OBJECTS_DICT) - set(ko._NEEDS_ARGUMENTS):
        cls_name = type(ko.get(class_name)).__name__
        ours = getattr(ko, cls_name)().get_config()
        theirs = getattr(keras.optimizers, cls_name)().get_config()
        assert list(ours) == list(theirs)
        for key in ours:
            if key == "learning_rate":
                assert ours[key] == pytest.approx(theirs[key], rel=1e-6)
            elif key != "name":  # Keras uniquifies names (adam_1, ...)
                assert ours[key] == theirs[key], key
        assert theirs["name"].startswith(ours["name"])
