"""LossScaleOptimizer, MultiOptimizer and OptimizerMap against Keras 3 (torch backend)."""

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

SHAPES = ((4, 3), (3,), (2, 2))
NAMES = ("dense_kernel", "dense_bias", "head_kernel")
RTOL, ATOL = 1e-5, 1e-6


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _variables(names=NAMES, seed=0):
    rng = np.random.default_rng(seed)
    inits = [rng.normal(size=s).astype("float32") for s in SHAPES]
    kvars = [keras.Variable(x, name=n) for x, n in zip(inits, names)]
    params = [torch.nn.Parameter(torch.tensor(x)) for x in inits]
    for p, n in zip(params, names):
        p.path = n
    return kvars, params, rng


def _step_both(kvars, params, ours, theirs, grads):
    theirs.apply([keras.ops.convert_to_tensor(g) for g in grads], kvars)
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    ours.step()


def _assert_same(kvars, params, ours, theirs):
    for kv, p in zip(kvars, params):
        np.testing.assert_allclose(p.detach().numpy(), _numpy(kv), rtol=RTOL, atol=ATOL)
    k_values = [_numpy(v) for v in theirs.variables]
    o_values = [v.detach().cpu().numpy() for v in ours.variables]
    assert len(o_values) == len(k_values)
    for k, o in zip(k_values, o_values):
        assert o.shape == k.shape
        np.testing.assert_allclose(o.astype("float64"), k.astype("float64"), rtol=RTOL, atol=ATOL)
    assert ours.variable_names(list(NAMES)) == [v.name for v in theirs.variables]
    assert int(ours.iterations) == int(_numpy(theirs.iterations))


# ---------------------------------------------------------------- LossScaleOptimizer
@pytest.mark.parametrize("inner", ["SGD", "Adam", "Lion"])
def test_dynamic_scale_grows_and_backs_off_like_keras(inner):
    kvars, params, rng = _variables()
    kwargs = {"initial_scale": 8.0, "dynamic_growth_steps": 2}
    ours = ko.LossScaleOptimizer(getattr(ko, inner)(learning_rate=0.01), **kwargs)
    theirs = keras.optimizers.LossScaleOptimizer(
        getattr(keras.optimizers, inner)(learning_rate=0.01), **kwargs
    )
    ours.build(params)
    # finite, inf, finite x3 (growth after the 2nd in a row), nan, finite x2, -inf in one tensor
    pattern = [None, np.inf, None, None, None, np.nan, None, None, -np.inf, None]
    scales = []
    for bad in pattern:
        grads = [rng.normal(size=s).astype("float32") * 8 for s in SHAPES]
        if bad is not None:
            grads[1][0] = bad
        _step_both(kvars, params, ours, theirs, grads)
        _assert_same(kvars, params, ours, theirs)
        scales.append(float(ours.dynamic_scale))
    assert scales == [8.0, 4.0, 4.0, 8.0, 8.0, 4.0, 4.0, 8.0, 4.0, 4.0]
    assert int(ours.iterations) == 7  # skipped steps do not count
    assert float(ours.scale_loss(torch.tensor(2.0))) == 8.0
    assert float(_numpy(theirs.scale_loss(2.0))) == 8.0


def test_loss_scale_optimizer_delegates_to_its_inner_optimizer():
    inner = ko.Adam(learning_rate=0.01, loss_scale_factor=3.0)
    opt = ko.LossScaleOptimizer(inner)
    assert inner.loss_scale_factor is None  # the wrapper does the scaling
    assert opt.learning_rate == pytest.approx(0.01)
    opt.learning_rate = 0.5
    assert inner.learning_rate == 0.5
    assert opt.loss_scale_factor == 2.0**15  # so that `fit` calls `scale_loss`
    assert float(opt.scale_loss(torch.tensor(1.0))) == 2.0**15
    params = [torch.nn.Parameter(torch.ones(2))]
    opt.build(params)
    assert inner.built and opt.slot_names() == []
    assert opt.variable_names() == [
        "iteration",
        "learning_rate",
        "step_counter",
        "dynamic_scale",
        "iteration",
        "learning_rate",
        "variable_momentum",
        "variable_velocity",
    ]


def test_loss_scale_optimizer_reports_the_inner_schedule():
    schedule = ko.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = ko.LossScaleOptimizer(ko.SGD(schedule), initial_scale=1.0)
    params = [torch.nn.Parameter(torch.zeros(2))]
    opt.build(params)
    assert opt._lr_schedule is schedule  # what `fit` reads to log the rate
    params[0].grad = torch.ones(2)
    opt.step()
    assert opt.learning_rate == pytest.approx(0.05)
    torch.testing.assert_close(params[0].detach(), torch.full((2,), -0.1))


def test_loss_scale_optimizer_config_moves_between_keras_and_ketorch():
    ours = ko.LossScaleOptimizer(ko.SGD(0.1, momentum=0.5), initial_scale=64.0, name="lso")
    theirs = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.1, momentum=0.5), initial_scale=64.0
    )
    config = ours.get_config()
    assert list(config) == list(theirs.get_config())
    clone = ko.LossScaleOptimizer.from_config(copy.deepcopy(config))
    assert clone.get_config() == config
    from_keras = ko.deserialize(keras.optimizers.serialize(theirs))
    assert type(from_keras) is ko.LossScaleOptimizer
    assert type(from_keras.inner_optimizer) is ko.SGD
    assert from_keras.inner_optimizer.momentum == 0.5 and from_keras.initial_scale == 64.0
    to_keras = keras.optimizers.deserialize(ko.serialize(ours))
    assert type(to_keras).__name__ == "LossScaleOptimizer"
    assert to_keras.initial_scale == 64.0
    assert float(_numpy(to_keras.inner_optimizer.momentum)) == 0.5


def test_loss_scale_state_round_trips():
    _, params, rng = _variables()
    opt = ko.LossScaleOptimizer(ko.Adam(0.01), initial_scale=4.0, dynamic_growth_steps=3)
    opt.build(params)
    for step in range(4):
        for p in params:
            p.grad = torch.tensor(rng.normal(size=p.shape).astype("float32"))
        if step == 1:
            params[0].grad[0, 0] = float("nan")
        opt.step()
    saved = [v.detach().clone() for v in opt.variables]
    state = copy.deepcopy(opt.state_dict())
    for load in ("set_variables", "load_state_dict"):
        clone_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
        clone = ko.LossScaleOptimizer(ko.Adam(0.01), initial_scale=4.0, dynamic_growth_steps=3)
        clone.build(clone_params)
        getattr(clone, load)(saved if load == "set_variables" else state)
        assert int(clone.step_counter) == 2 and float(clone.dynamic_scale) == 2.0
        assert int(clone.iterations) == 3
        grads = [torch.tensor(rng.normal(size=p.shape).astype("float32")) for p in params]
        for ps in (params, clone_params):
            for p, g in zip(ps, grads):
                p.grad = g.clone()
        snapshot = copy.deepcopy(opt.state_dict()), [p.detach().clone() for p in params]
        opt.step()
        clone.step()
        for a, b in zip(params, clone_params):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        assert float(clone.dynamic_scale) == float(opt.dynamic_scale) == 4.0
        opt.load_state_dict(snapshot[0])  # rewind for the next loader
        with torch.no_grad():
            for p, v in zip(params, snapshot[1]):
                p.copy_(v)


def test_loss_scale_optimizer_in_compiled_fit_falls_back_to_eager():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    results = []
    for jit in (False, True):
        ketorch.utils.set_random_seed(0)
        model = ketorch.Sequential([ketorch.Input((4,)), ketorch.layers.Dense(2)])
        opt = ko.LossScaleOptimizer(ko.Adam(0.01), initial_scale=4.0, dynamic_growth_steps=2)
        model.compile(opt, "mse", jit_compile=jit)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        assert any("runs eagerly" in str(w.message) for w in caught) == jit
        assert float(opt.dynamic_scale) == 64.0 and int(opt.iterations) == 8
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- MultiOptimizer
def _multi(lib, callable_map=False):
    sgd, adam = lib.optimizers.SGD(0.1, momentum=0.5), lib.optimizers.Adam(0.01)
    if callable_map:
        return lib.optimizers.MultiOptimizer(lambda v: adam if "kernel" in v.path else sgd)
    mapping = lib.optimizers.OptimizerMap(sgd, {".*_kernel": adam})
    return lib.optimizers.MultiOptimizer(mapping, loss_scale_factor=2.0)


@pytest.mark.parametrize("callable_map", [False, True], ids=["map", "callable"])
def test_multi_optimizer_matches_keras(callable_map):
    kvars, params, rng = _variables()
    ours, theirs = _multi(ketorch, callable_map), _multi(keras, callable_map)
    ours.build(params)
    for _ in range(3):
        grads = [rng.normal(size=s).astype("float32") for s in SHAPES]
        _step_both(kvars, params, ours, theirs, grads)
        _assert_same(kvars, params, ours, theirs)
    assert [o.name for o in ours.optimizers] == [o.name.split("_")[0] for o in theirs.optimizers]
    assert [int(o.iterations) for o in ours.optimizers] == [3, 3]


def test_multi_optimizer_api():
    opt = _multi(ketorch)
    assert [o.loss_scale_factor for o in opt.optimizers] == [2.0, 2.0]
    with pytest.raises(AttributeError, match="no single learning rate"):
        opt.learning_rate  # noqa: B018
    with pytest.raises(AttributeError, match="no single learning rate"):
        opt.learning_rate = 0.1
    opt.loss_scale_factor = None
    assert [o.loss_scale_factor for o in opt.optimizers] == [None, None]
    with pytest.raises(ValueError, match="cannot hold a LossScaleOptimizer"):
        ko.OptimizerMap(ko.SGD())["x"] = ko.LossScaleOptimizer(ko.SGD())
    mapping = ko.OptimizerMap(ko.SGD(), {"a/.*": ko.Adam(), ".*/b": ko.Lion()})
    assert type(mapping["a/c"]) is ko.Adam and type(mapping["c"]) is ko.SGD
    with pytest.raises(ValueError, match="Several optimizers"):
        mapping["a/b"]
    with pytest.raises(ValueError, match="already"):
        mapping["a/.*"] = ko.SGD()
    with pytest.raises(TypeError, match="default_optimizer"):
        ko.OptimizerMap("sgd")


def test_multi_optimizer_config_round_trips_and_matches_keras():
    ours, theirs = _multi(ketorch), _multi(keras)
    config = ours.get_config()
    k_config = theirs.get_config()
    assert list(config) == list(k_config)
    assert list(config["optimizer_map"]["config"]) == list(k_config["optimizer_map"]["config"])
    clone = ko.deserialize(ko.serialize(ours))
    assert clone.get_config() == config
    assert [type(o).__name__ for o in clone.optimizers] == ["Adam", "SGD"]
    from_keras = ko.deserialize(keras.optimizers.serialize(theirs))
    assert [type(o).__name__ for o in from_keras.optimizers] == ["Adam", "SGD"]
    assert from_keras.loss_scale_factor == 2.0
    to_keras = keras.optimizers.deserialize(ko.serialize(ours))
    assert [type(o).__name__ for o in to_keras.optimizers] == ["Adam", "SGD"]


def test_multi_optimizer_with_a_function_needs_custom_objects():
    def pick(variable):
        return ko.SGD()

    config = ko.serialize(ko.MultiOptimizer(pick))
    with pytest.raises(ValueError, match="function 'pick'"):
        ko.deserialize(config)
    clone = ko.deserialize(config, custom_objects={"pick": pick})
    assert isinstance(clone, ko.MultiOptimizer)


def test_multi_optimizer_state_round_trips():
    _, params, rng = _variables()
    opt = _multi(ketorch)
    opt.build(params)
    for _ in range(2):
        for p in params:
            p.grad = torch.tensor(rng.normal(size=p.shape).astype("float32"))
        opt.step()
    state = copy.deepcopy(opt.state_dict())
    saved = [v.detach().clone() for v in opt.variables]
    clones = []
    for load in ("set_variables", "load_state_dict"):
        clone_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
        for p, q in zip(params, clone_params):
            q.path = p.path
        clone = _multi(ketorch)
        clone.build(clone_params)
        getattr(clone, load)(saved if load == "set_variables" else state)
        assert int(clone.iterations) == 2
        clones.append((clone, clone_params))
    grads = [torch.tensor(rng.normal(size=p.shape).astype("float32")) for p in params]
    for o, ps in [(opt, params)] + clones:
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        o.step()
    for _, ps in clones:
        for a, b in zip(params, ps):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_multi_optimizer_file_round_trip_in_ketorch(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    model = ketorch.Sequential([ketorch.Input((4,)), ketorch.layers.Dense(2, name="out")])
    mapping = ko.OptimizerMap(ko.SGD(0.1), {".*/kernel": ko.Adam(0.01)})
    model.compile(ko.MultiOptimizer(mapping), "mse")
    model.fit(x, y, batch_size=4, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = ketorch.saving.load_model(path)
    assert int(loaded.optimizer.iterations) == 2
    assert [int(o.iterations) for o in loaded.optimizer.optimizers] == [2, 2]
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- file order
def test_keras_variable_order_follows_the_given_parameter_order():
    names = ("a_kernel", "b_bias", "c_kernel")
    kvars, params, _ = _variables(names)
    ours = ko.Muon()
    ours.build(params)
    theirs = keras.optimizers.Muon()
    theirs.build(list(reversed(kvars)))  # Keras met the weights in another order
    ours_names = ours.variable_names(list(names))
    order = ours._keras_variable_order(list(reversed(params)))
    assert [ours_names[i] for i in order] == [v.name for v in theirs.variables]
    lso = ko.LossScaleOptimizer(ko.Adafactor())
    lso.build(params)
    lso_names = lso.variable_names(list(names))
    k_lso = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adafactor())
    k_lso.build(list(reversed(kvars)))
    order = lso._keras_variable_order(list(reversed(params)))
    assert [lso_names[i] for i in order] == [v.name for v in k_lso.variables]
