"""Lion, Lamb, Ftrl, Adafactor, Muon, ScheduleFreeAdamW: step-by-step parity with Keras 3."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import copy  # noqa: E402
import warnings  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ketorch  # noqa: E402
import ketorch.optimizers as ko  # noqa: E402

# 2-D shapes both wide and tall (Muon transposes tall ones), a vector, a 3-D tensor.
SHAPES = ((4, 3), (3,), (2, 2, 2), (5, 3), (3, 5))
NAMES = tuple(f"v{i}" for i in range(len(SHAPES)))
RTOL, ATOL = 1e-5, 1e-6

CASES = [
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
    ("Lion", {"learning_rate": 0.01, "use_ema": True, "gradient_accumulation_steps": 2}),
    ("Lamb", {"learning_rate": 0.01}),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.1, "clipnorm": 0.5}),
    ("Lamb", {"learning_rate": 0.01, "beta_1": 0.5, "epsilon": 1e-3, "global_clipnorm": 1.0}),
    ("Ftrl", {"learning_rate": 0.1}),
    (
        "Ftrl",
        {
            "learning_rate": 0.1,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.05,
            "beta": 0.5,
            "initial_accumulator_value": 0.5,
        },
    ),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": 0.0, "clipvalue": 0.5}),
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.1, "relative_step": False, "clip_threshold": 0.5}),
    ("Adafactor", {"learning_rate": 0.01, "weight_decay": 0.1, "beta_2_decay": -0.5}),
    ("Muon", {"learning_rate": 0.01}),
    ("Muon", {"learning_rate": 0.01, "nesterov": False, "rms_rate": None, "ns_steps": 3}),
    ("Muon", {"learning_rate": 0.01, "exclude_layers": ["v3"], "adam_lr_ratio": 0.5}),
    ("Muon", {"learning_rate": 0.01, "weight_decay": None, "adam_weight_decay": 0.1}),
    ("Muon", {"learning_rate": 0.01, "weight_decay": 0.2, "adam_weight_decay": None}),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 3, "weight_decay": 0.1}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.01, "beta_1": 0.5, "clipnorm": 0.5}),
]
NEW_CLASSES = ["Lion", "Lamb", "Ftrl", "Adafactor", "Muon", "ScheduleFreeAdamW"]


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _make(class_name, kwargs, names=NAMES, seed=0):
    """Equal variables for Keras and ketorch (with Keras paths), and both optimizers."""
    rng = np.random.default_rng(seed)
    inits = [rng.normal(size=s).astype("float32") for s in SHAPES]
    kvars = [keras.Variable(x, name=n) for x, n in zip(inits, names)]
    params = [torch.nn.Parameter(torch.tensor(x)) for x in inits]
    for p, n in zip(params, names):
        p.path = n  # what Muon and exclude_from_weight_decay match on
    ours = getattr(ko, class_name)(**copy.deepcopy(kwargs))
    theirs = getattr(keras.optimizers, class_name)(**copy.deepcopy(kwargs))
    ours.build(params)
    return kvars, params, ours, theirs, rng


def _step_both(kvars, params, ours, theirs, grads):
    theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], kvars))
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    ours.step()


def _assert_weights(kvars, params):
    for kv, p in zip(kvars, params):
        np.testing.assert_allclose(p.detach().numpy(), _numpy(kv), rtol=RTOL, atol=ATOL)


def _assert_variables(ours, theirs, names=NAMES):
    k_values = [_numpy(v) for v in theirs.variables]
    o_values = [v.detach().cpu().numpy() for v in ours.variables]
    assert len(o_values) == len(k_values)
    for k, o in zip(k_values, o_values):
        assert o.shape == k.shape
        np.testing.assert_allclose(o.astype("float64"), k.astype("float64"), rtol=RTOL, atol=ATOL)
    assert ours.variable_names(list(names)) == [v.name for v in theirs.variables]


@pytest.mark.parametrize(
    "class_name, kwargs", CASES, ids=[f"{c}-{'-'.join(k) or 'default'}" for c, k in CASES]
)
def test_matches_keras_step_by_step(class_name, kwargs):
    kvars, params, ours, theirs, rng = _make(class_name, kwargs)
    for _ in range(6):
        grads = [rng.normal(size=s).astype("float32") for s in SHAPES]
        _step_both(kvars, params, ours, theirs, grads)
        _assert_weights(kvars, params)
    ours.finalize_variable_values()
    theirs.finalize_variable_values(kvars)
    _assert_weights(kvars, params)
    _assert_variables(ours, theirs)
    assert int(ours.iterations) == int(_numpy(theirs.iterations))


def test_muon_sends_embeddings_and_excluded_paths_to_adamw():
    names = ("dense_kernel", "dense_bias", "conv_kernel", "token_Embedding", "out_kernel")
    kwargs = {"learning_rate": 0.01, "exclude_layers": ["^out_"]}
    kvars, params, ours, theirs, rng = _make("Muon", kwargs, names=names)
    assert [ours._should_use_adamw(p) for p in params] == [False, True, True, True, True]
    ours_plain = ko.Muon(learning_rate=0.01, exclude_embeddings=False)
    assert not ours_plain._should_use_adamw(params[3])
    for _ in range(3):
        grads = [rng.normal(size=s).astype("float32") for s in SHAPES]
        _step_both(kvars, params, ours, theirs, grads)
        _assert_weights(kvars, params)
    _assert_variables(ours, theirs, names)


@pytest.mark.parametrize("class_name", NEW_CLASSES)
def test_keras_schedule_matches(class_name):
    def schedule():
        return keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5)

    kvars, params, ours, theirs, rng = _make(class_name, {"learning_rate": schedule()})
    for _ in range(4):
        grads = [rng.normal(size=s).astype("float32") for s in SHAPES]
        _step_both(kvars, params, ours, theirs, grads)
        _assert_weights(kvars, params)
    _assert_variables(ours, theirs)  # no learning_rate variable with a schedule
    assert ours.learning_rate == pytest.approx(float(_numpy(theirs.learning_rate)))


def test_missing_gradient_is_skipped_like_keras():
    kvars, params, ours, theirs, rng = _make("Lamb", {"learning_rate": 0.01})
    for step in range(3):
        grads = [rng.normal(size=s).astype("float32") for s in SHAPES]
        if step == 1:
            grads[2] = None
        theirs_grads = [None if g is None else keras.ops.convert_to_tensor(g) for g in grads]
        with pytest.warns(UserWarning) if step == 1 else _no_warning():
            theirs.apply_gradients(zip(theirs_grads, kvars))
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(g)
        ours.step()
        _assert_weights(kvars, params)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---------------------------------------------------------------- whole models
def _dense_models(optimizer_factory, lib_names=("keras", "ketorch")):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")
    models = []
    for lib in (keras, ketorch):
        model = lib.Sequential(
            [
                lib.Input((4,)),
                lib.layers.Dense(8, activation="tanh", name="hidden"),
                lib.layers.Dense(3, name="out"),
            ]
        )
        model.compile(optimizer=optimizer_factory(lib), loss="mse")
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models, x, y


MODEL_CASES = {
    "Lion": lambda lib: lib.optimizers.Lion(0.01, weight_decay=0.05),
    "Lamb": lambda lib: lib.optimizers.Lamb(0.01),
    "Ftrl": lambda lib: lib.optimizers.Ftrl(0.1, l1_regularization_strength=0.001),
    "Adafactor": lambda lib: lib.optimizers.Adafactor(0.05),
    "Muon": lambda lib: lib.optimizers.Muon(0.01, exclude_layers=["out"]),
    "ScheduleFreeAdamW": lambda lib: lib.optimizers.ScheduleFreeAdamW(0.01, warmup_steps=2),
    "LossScaleOptimizer": lambda lib: lib.optimizers.LossScaleOptimizer(
        lib.optimizers.Adam(0.01), initial_scale=4.0, dynamic_growth_steps=2
    ),
    "LossScaleOptimizer-Adafactor": lambda lib: lib.optimizers.LossScaleOptimizer(
        lib.optimizers.Adafactor(0.05), initial_scale=4.0
    ),
    "MultiOptimizer": lambda lib: lib.optimizers.MultiOptimizer(
        lib.optimizers.OptimizerMap(
            lib.optimizers.SGD(0.1), {".*/out/.*": lib.optimizers.Lion(0.01)}
        )
    ),
}


@pytest.mark.parametrize("name", sorted(MODEL_CASES))
def test_dense_model_trains_like_keras(name):
    (theirs, ours), x, y = _dense_models(MODEL_CASES[name])
    for step in range(4):
        batch = slice(4 * step, 4 * step + 4)
        k_loss = theirs.train_on_batch(x[batch], y[batch])
        o_loss = ours.train_on_batch(x[batch], y[batch])
        assert o_loss == pytest.approx(k_loss, rel=1e-5, abs=1e-6)
        for k, o in zip(theirs.get_weights(), ours.get_weights()):
            np.testing.assert_allclose(o, k, rtol=RTOL, atol=ATOL)
    assert int(ours.optimizer.iterations) == int(_numpy(theirs.optimizer.iterations)) == 4
    k_values = [_numpy(v) for v in theirs.optimizer.variables]
    o_values = [v.detach().cpu().numpy() for v in ours.optimizer.variables]
    assert len(o_values) == len(k_values)
    for k, o in zip(k_values, o_values):
        np.testing.assert_allclose(o.astype("float64"), k.astype("float64"), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["Lion", "Lamb", "Ftrl", "ScheduleFreeAdamW"])
def test_fit_matches_keras(name):
    (theirs, ours), x, y = _dense_models(MODEL_CASES[name])
    theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for k, o in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(o, k, rtol=RTOL, atol=ATOL)


def test_compiled_fit_matches_eager():
    # Muon decides AdamW-or-Muon per weight; the compiled step must trace that too.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")
    results = []
    for jit in (False, True):
        ketorch.utils.set_random_seed(0)
        model = ketorch.Sequential(
            [ketorch.Input((4,)), ketorch.layers.Dense(5), ketorch.layers.Dense(3, name="out")]
        )
        model.compile(ko.Muon(0.01, exclude_layers=["out"]), "mse", jit_compile=jit)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        assert not any("runs eagerly" in str(w.message) for w in caught)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- config and names
@pytest.mark.parametrize("class_name", NEW_CLASSES)
def test_config_matches_keras_and_round_trips(class_name):
    ours = getattr(ko, class_name)().get_config()
    theirs = getattr(keras.optimizers, class_name)().get_config()
    assert list(ours) == list(theirs)
    for key in ours:
        if key == "learning_rate":
            assert ours[key] == pytest.approx(theirs[key], rel=1e-6)
        elif key != "name":  # Keras uniquifies names (lion_1, ...)
            assert ours[key] == theirs[key], key
    assert theirs["name"].startswith(ours["name"])
    cls = getattr(ko, class_name)
    custom = cls(learning_rate=0.02, clipnorm=1.5, name="custom").get_config()
    assert cls.from_config(custom).get_config() == custom
    # Keras's own config (float32-rounded learning rate and all) builds ours.
    assert type(ko.deserialize({"class_name": class_name, "config": theirs})) is cls


@pytest.mark.parametrize(
    "name, cls",
    [
        ("lion", ko.Lion),
        ("Lamb", ko.Lamb),
        ("ftrl", ko.Ftrl),
        ("adafactor", ko.Adafactor),
        ("muon", ko.Muon),
        ("schedulefreeadamw", ko.ScheduleFreeAdamW),
    ],
)
def test_string_identifiers(name, cls):
    assert type(ko.get(name)) is cls
    if cls is ko.Lamb:  # Keras leaves Lamb out of its name table; ketorch accepts it too
        with pytest.raises(ValueError):
            keras.optimizers.get(name)
    else:
        assert type(keras.optimizers.get(name)).__name__ == cls.__name__


def test_wrappers_cannot_come_from_a_bare_name():
    with pytest.raises(
        ValueError, match="LossScaleOptimizer.*Received: optimizer='lossscaleoptimizer'"
    ):
        ko.get("lossscaleoptimizer")
    with pytest.raises(ValueError, match="Could not interpret"):
        ko.get(
            {"class_name": "OptimizerMap", "config": {"default_optimizer": ko.serialize(ko.SGD())}}
        )


def test_argument_checks():
    with pytest.raises(ValueError, match="Received: beta_1=0"):
        ko.Lion(beta_1=0)
    with pytest.raises(ValueError, match="Received: learning_rate_power=0.5"):
        ko.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="Received: initial_accumulator_value=-1"):
        ko.Ftrl(initial_accumulator_value=-1)
    with pytest.raises(ValueError, match="`dynamic=False`"):
        ko.LossScaleOptimizer(ko.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="`clipnorm`"):
        ko.LossScaleOptimizer(ko.SGD(), clipnorm=1.0)
    ko.LossScaleOptimizer(ko.SGD(), clipnorm=None)  # old configs carry the defaults


def test_default_names_follow_keras():
    for class_name in NEW_CLASSES:
        theirs = getattr(keras.optimizers, class_name)().name
        assert theirs.startswith(getattr(ko, class_name)().name)


def test_legacy_names_are_the_optimizers():
    assert set(dir(keras.optimizers.legacy)) >= {"Adam", "SGD", "RMSprop", "Adagrad", "Ftrl"}
    assert ko.legacy.Adam is ko.Adam and ko.legacy.Ftrl is ko.Ftrl
    assert ko.legacy.SGD(lr=0.5).learning_rate == 0.5


def test_state_round_trips_through_variables_and_state_dict():
    for class_name in NEW_CLASSES:
        _, params, ours, _, rng = _make(class_name, {"learning_rate": 0.01})
        for _ in range(2):
            for p in params:
                p.grad = torch.tensor(rng.normal(size=p.shape).astype("float32"))
            ours.step()
        saved = [v.detach().clone() for v in ours.variables]
        state = copy.deepcopy(ours.state_dict())
        clones = []
        for load in ("set_variables", "load_state_dict"):
            clone_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
            for p, q in zip(params, clone_params):
                q.path = p.path
            clone = getattr(ko, class_name)(learning_rate=0.01)
            clone.build(clone_params)
            getattr(clone, load)(saved if load == "set_variables" else state)
            clones.append((clone, clone_params))
        grads = [torch.tensor(rng.normal(size=p.shape).astype("float32")) for p in params]
        for opt, ps in [(ours, params)] + clones:
            for p, g in zip(ps, grads):
                p.grad = g.clone()
            opt.step()
        for _, ps in clones:
            for a, b in zip(params, ps):
                torch.testing.assert_close(a, b, rtol=0, atol=0)


# ---------------------------------------------------------------- saved files
# Muon's slots are not uniform blocks (only its AdamW weights have a `velocity`): the saving
# code orders them with `Optimizer._keras_variable_order`.
FILE_CASES = [
    name
    for name in sorted(MODEL_CASES)
    if name != "MultiOptimizer"  # Keras 3.15 cannot reload its own MultiOptimizer state
]


@pytest.mark.parametrize("name", FILE_CASES)
@pytest.mark.parametrize("direction", ["keras->ketorch", "ketorch->keras"])
def test_keras_file_carries_the_optimizer_state(name, direction, tmp_path):
    (k_model, o_model), x, y = _dense_models(MODEL_CASES[name])
    src, dst = (k_model, o_model) if direction == "keras->ketorch" else (o_model, k_model)
    load = ketorch.saving.load_model if direction == "keras->ketorch" else keras.saving.load_model
    src.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "model.keras")
    src.save(path)
    loaded = load(path)
    assert type(loaded.optimizer).__name__ == name.split("-")[0]
    assert int(_numpy(loaded.optimizer.iterations)) == 4
    for a, b in zip(src.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_allclose(_numpy(b).astype("float64"), _numpy(a).astype("float64"))
    src.train_on_batch(x[:4], y[:4])
    loaded.train_on_batch(x[:4], y[:4])
    for a, b in zip(src.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)
