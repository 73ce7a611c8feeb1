"""API behaviour of ketorch optimizers: arguments, identifiers, config, torch protocol."""

import copy
import warnings

import numpy as np
import pytest
import torch

import ketorch.optimizers as ko

ALL_CLASSES = [ko.SGD, ko.RMSprop, ko.Adam, ko.AdamW, ko.Adagrad, ko.Adadelta, ko.Adamax, ko.Nadam]


def _params(seed=0):
    torch.manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(2))]


def _set_grads(params, seed):
    gen = torch.Generator().manual_seed(seed)
    for p in params:
        p.grad = torch.randn(p.shape, generator=gen)


def test_is_a_torch_optimizer_and_trains_a_linear_model():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.3
    opt = ko.Adam(learning_rate=0.05)
    assert isinstance(opt, torch.optim.Optimizer)
    opt.build(model.parameters())
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first * 0.01
    assert int(opt.iterations) == 200


def test_step_with_closure_and_torch_lr_scheduler():
    model = torch.nn.Linear(2, 1)
    opt = ko.SGD(learning_rate=0.1)
    opt.build(model.parameters())
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    def closure():
        opt.zero_grad()
        loss = model(torch.ones(1, 2)).sum()
        loss.backward()
        return loss

    assert isinstance(opt.step(closure), torch.Tensor)
    scheduler.step()
    assert opt.learning_rate == pytest.approx(0.05)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_every_optimizer_builds_and_steps(cls):
    params = _params()
    before = [p.detach().clone() for p in params]
    opt = cls()
    opt.build(params)
    _set_grads(params, 1)
    opt.step()
    assert all(not torch.equal(a, p) for a, p in zip(before, params))
    assert int(opt.iterations) == 1
    for p in params:
        for slot in opt.slot_names():
            assert opt.state[p][slot].shape == p.shape


def test_default_names_follow_keras():
    names = [cls().name for cls in ALL_CLASSES]
    assert names == [
        "sgd",
        "rm_sprop",
        "adam",
        "adam_w",
        "adagrad",
        "adadelta",
        "adamax",
        "nadam",
    ]
    assert ko.Adam(name="mine").name == "mine"


def test_lr_keyword_is_deprecated_but_works():
    with pytest.warns(DeprecationWarning, match="learning_rate="):
        opt = ko.Adam(lr=0.5)
    assert opt.learning_rate == 0.5


def test_decay_keyword_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="decay"):
        opt = ko.SGD(decay=0.1)
    assert "decay" not in opt.get_config()


def test_unknown_keyword_raises():
    with pytest.raises(ValueError, match="not recognized.*foo"):
        ko.Adam(foo=1)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="Only one of `clipnorm`"):
        ko.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="Received: learning_rate='fast'"):
        ko.SGD(learning_rate="fast")
    with pytest.raises(ValueError, match="Received: momentum=2"):
        ko.SGD(momentum=2)
    with pytest.raises(ValueError, match="Received: weight_decay=None"):
        ko.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="Received: gradient_accumulation_steps=1"):
        ko.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="Received: ema_momentum=2"):
        ko.Adam(use_ema=True, ema_momentum=2)


def test_step_before_build_raises():
    opt = ko.Adam()
    with pytest.raises(RuntimeError, match=r"build\(params\)"):
        opt.step()
    opt.zero_grad()  # harmless before build


def test_works_before_build():
    opt = ko.Adam(learning_rate=0.01)
    assert "learning_rate=0.01" in repr(opt)
    assert opt.get_config()["learning_rate"] == 0.01
    assert opt.learning_rate == 0.01
    assert int(opt.iterations) == 0


def test_get_identifiers():
    assert isinstance(ko.get("ADAM"), ko.Adam)
    assert isinstance(ko.get("rmsprop"), ko.RMSprop)
    assert isinstance(ko.get("AdamW"), ko.AdamW)
    opt = ko.SGD()
    assert ko.get(opt) is opt
    assert ko.get(None) is None
    torch_opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    assert ko.get(torch_opt) is torch_opt
    from_dict = ko.get({"class_name": "SGD", "config": {"learning_rate": 0.3}})
    assert isinstance(from_dict, ko.SGD) and from_dict.learning_rate == 0.3


def test_get_unknown_name_error_lists_valid_names():
    with pytest.raises(ValueError, match=r"'adam'.*'sgd'.*Received: optimizer='nope'$"):
        ko.get("nope")


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_config_round_trip(cls):
    opt = cls(learning_rate=0.02, clipnorm=1.5, name="custom")
    config = opt.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config
    assert type(clone) is cls


def test_serialize_deserialize():
    opt = ko.RMSprop(learning_rate=0.05, centered=True)
    data = ko.serialize(opt)
    assert data["module"] == "keras.optimizers"
    assert data["class_name"] == "RMSprop"
    assert data["registered_name"] is None
    clone = ko.deserialize(data)
    assert isinstance(clone, ko.RMSprop)
    assert clone.get_config() == opt.get_config()
    lower = ko.deserialize({"class_name": "rmsprop", "config": {}})
    assert isinstance(lower, ko.RMSprop)


def test_from_config_accepts_tf_keras_2_keys():
    config = {
        "name": "Adam",
        "learning_rate": 0.001,
        "decay": 0.0,
        "jit_compile": True,
        "is_legacy_optimizer": False,
        "beta_1": 0.9,
    }
    assert ko.Adam.from_config(config).learning_rate == 0.001


def test_learning_rate_setter_before_and_after_build():
    opt = ko.Adam(learning_rate=0.01)
    opt.learning_rate = 0.02
    params = _params()
    opt.build([{"params": params[:1]}, {"params": params[1:]}])
    assert [g["lr"] for g in opt.param_groups] == [0.02, 0.02]
    opt.learning_rate = 0.005
    assert [g["lr"] for g in opt.param_groups] == [0.005, 0.005]
    assert opt.learning_rate == 0.005
    assert float(opt.variables[1]) == pytest.approx(0.005)
    opt.lr = 0.25
    assert opt.learning_rate == 0.25


def test_schedule_callable_is_evaluated_each_step():
    params = [torch.nn.Parameter(torch.zeros(2))]
    opt = ko.SGD(learning_rate=lambda step: 0.1 / (1 + step))
    opt.build(params)
    expected = torch.zeros(2)
    for step in range(3):
        params[0].grad = torch.ones(2)
        opt.step()
        expected -= 0.1 / (1 + step)
        torch.testing.assert_close(params[0].detach(), expected)
    assert opt.learning_rate == pytest.approx(0.1 / 4)
    assert len(opt.variables) == 1  # a schedule has no learning_rate variable
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.1


def test_zero_argument_callable_learning_rate():
    params = [torch.nn.Parameter(torch.zeros(2))]
    opt = ko.SGD(learning_rate=lambda: 0.5)
    opt.build(params)
    params[0].grad = torch.ones(2)
    opt.step()
    torch.testing.assert_close(params[0].detach(), torch.full((2,), -0.5))


def _run(opt, params, seeds):
    for seed in seeds:
        _set_grads(params, seed)
        opt.step()


@pytest.mark.parametrize("cls", [ko.Adam, ko.Nadam, ko.RMSprop])
def test_set_variables_restores_training_state(cls):
    kwargs = {"momentum": 0.5, "centered": True} if cls is ko.RMSprop else {}
    params_a = _params()
    opt_a = cls(learning_rate=0.01, **kwargs)
    opt_a.build(params_a)
    _run(opt_a, params_a, [1, 2, 3])
    saved = [v.detach().cpu().numpy().copy() for v in opt_a.variables]

    params_b = [torch.nn.Parameter(p.detach().clone()) for p in params_a]
    opt_b = cls(learning_rate=0.01, **kwargs)
    opt_b.build(params_b)
    opt_b.set_variables(saved)
    assert int(opt_b.iterations) == 3
    _run(opt_a, params_a, [4, 5])
    _run(opt_b, params_b, [4, 5])
    for a, b in zip(params_a, params_b):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(ValueError, match="Received: 1 values"):
        opt_b.set_variables(saved[:1])


def test_save_and_load_own_variables_use_keras_keys():
    params = _params()
    opt = ko.Adam()
    opt.build(params)
    _run(opt, params, [1])
    store = {}
    opt.save_own_variables(store)
    assert list(store) == [str(i) for i in range(6)]
    assert store["0"] == 1 and store["2"].shape == (3, 2)
    other = ko.Adam()
    other.build(_params())
    other.load_own_variables(store)
    np.testing.assert_array_equal(other.variables[3].numpy(), store["3"])
    unbuilt = ko.Adam()
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        unbuilt.load_own_variables(store)


def test_state_dict_round_trip_keeps_iterations():
    params = _params()
    opt = ko.Nadam(learning_rate=0.01)
    opt.build(params)
    _run(opt, params, [1, 2])
    state = copy.deepcopy(opt.state_dict())  # as torch.save/torch.load would
    clone_params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    clone = ko.Nadam(learning_rate=0.01)
    clone.build(clone_params)
    clone.load_state_dict(state)
    assert int(clone.iterations) == 2
    _run(opt, params, [3])
    _run(clone, clone_params, [3])
    for a, b in zip(params, clone_params):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_deepcopy_before_and_after_build():
    opt = ko.Adam(learning_rate=0.03)
    assert copy.deepcopy(opt).learning_rate == 0.03
    opt.build(_params())
    clone = copy.deepcopy(opt)
    assert clone.built and clone.learning_rate == 0.03 and clone.beta_1 == 0.9


def test_apply_gradients_keras_style():
    params = _params()
    opt = ko.SGD(learning_rate=0.5)
    grads = [torch.ones_like(p) for p in params]
    before = [p.detach().clone() for p in params]
    opt.apply_gradients(zip(grads, params))
    assert opt.built
    for b, p in zip(before, params):
        torch.testing.assert_close(p.detach(), b - 0.5)
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(torch.ones(1), torch.nn.Parameter(torch.zeros(1)))])


def test_param_groups_use_their_own_learning_rate():
    params = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))]
    opt = ko.SGD(learning_rate=0.1)
    opt.build([{"params": [params[0]]}, {"params": [params[1]], "lr": 1.0}])
    for p in params:
        p.grad = torch.ones(2)
    opt.step()
    torch.testing.assert_close(params[0].detach(), torch.full((2,), -0.1))
    torch.testing.assert_close(params[1].detach(), torch.full((2,), -1.0))


def test_exclude_from_weight_decay():
    params = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))]
    opt = ko.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[params[1]])
    opt.build(params)
    for p in params:
        p.grad = torch.zeros(2)
    opt.step()
    torch.testing.assert_close(params[0].detach(), torch.full((2,), 0.95))
    torch.testing.assert_close(params[1].detach(), torch.ones(2))


def test_grad_none_params_are_skipped_and_grads_untouched():
    params = _params()
    opt = ko.Adam(clipvalue=0.01)
    opt.build(params)
    params[0].grad = torch.full((3, 2), 5.0)
    before = params[1].detach().clone()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    torch.testing.assert_close(params[1].detach(), before)
    torch.testing.assert_close(params[0].grad, torch.full((3, 2), 5.0))


def test_step_hooks_run_inside_fit():
    # fit skips torch.optim's profiling wrapper only while no step hook is registered.
    import numpy as np
    from torch.optim.optimizer import register_optimizer_step_post_hook

    import ketorch

    model = ketorch.Sequential([ketorch.Input((3,)), ketorch.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((64, 3), np.float32), np.ones((64, 1), np.float32)
    model.fit(x, y, batch_size=32, verbose=0)
    calls = []
    handle = model.optimizer.register_step_pre_hook(lambda opt, args, kwargs: calls.append("pre"))
    global_handle = register_optimizer_step_post_hook(lambda opt, a, k: calls.append("post"))
    try:
        model.fit(x, y, batch_size=32, verbose=0)
    finally:
        handle.remove()
        global_handle.remove()
    assert calls == ["pre", "post", "pre", "post"]
    before = int(model.optimizer.iterations)
    model.fit(x, y, batch_size=32, verbose=0)
    assert int(model.optimizer.iterations) == before + 2 and len(calls) == 4


def test_apply_runs_the_step_hooks():
    import torch

    import ketorch

    opt = ketorch.optimizers.SGD(0.1)
    w = torch.nn.Parameter(torch.ones(3))
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.apply([torch.ones(3)], [w])
    assert calls == ["pre", "post"]
    torch.testing.assert_close(w.detach(), torch.full((3,), 0.9))
