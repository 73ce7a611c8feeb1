import numpy as np
import pytest
import torch
from model_parity import assert_close

import ketorch
from ketorch.layers import TorchModuleWrapper


def _module():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU())


def test_wraps_module_weights_and_trains(rng):
    layer = TorchModuleWrapper(_module())
    assert layer.built
    assert [w.shape for w in layer.get_weights()] == [(4, 3), (4,), (4,), (4,)]
    assert len(layer.trainable_weights) == 4
    inputs = ketorch.Input((3,))
    model = ketorch.Model(inputs, ketorch.layers.Dense(1)(layer(inputs)))
    x = rng.standard_normal((32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model.compile(ketorch.optimizers.SGD(0.1), "mse")
    before = [w.copy() for w in layer.get_weights()]
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    assert all(not np.array_equal(a, b) for a, b in zip(before, layer.get_weights()))
    # predict runs the module in eval mode (BatchNorm's running statistics).
    module = layer.module
    running = module[1].running_mean.clone()
    model.predict(x, verbose=0)
    assert torch.equal(module[1].running_mean, running)


def test_frozen_parameters_are_non_trainable():
    module = torch.nn.Linear(2, 2)
    module.bias.requires_grad_(False)
    layer = TorchModuleWrapper(module)
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 1


def test_output_shape_and_symbolic_use():
    layer = TorchModuleWrapper(torch.nn.Linear(3, 5), output_shape=(None, 5))
    assert layer.compute_output_shape((None, 3)) == (None, 5)
    out = TorchModuleWrapper(torch.nn.Conv1d(2, 4, 3))(ketorch.Input((2, 9)))
    assert tuple(out.shape) == (None, 4, 7)


def test_config_needs_unsafe_loading(rng):
    layer = TorchModuleWrapper(torch.nn.Linear(3, 2), name="linear")
    config = layer.get_config()
    with pytest.raises(ValueError, match="torch.load"):
        TorchModuleWrapper.from_config(config)
    clone = TorchModuleWrapper.from_config(config, safe_mode=False)
    x = torch.as_tensor(rng.standard_normal((2, 3)).astype("float32"))
    assert_close(clone(x, training=False), layer(x, training=False))
    assert clone.name == "linear"


def test_rejects_non_modules_and_lazy_modules():
    with pytest.raises(ValueError, match="torch.nn.Module"):
        TorchModuleWrapper(lambda x: x)
    with pytest.raises(ValueError, match="LazyModules are not supported"):
        TorchModuleWrapper(torch.nn.LazyLinear(3))


def _model(lib):
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    inputs = lib.Input((3,))
    h = lib.layers.TorchModuleWrapper(module, output_shape=(None, 4))(inputs)
    return lib.Model(inputs, lib.layers.Dense(1)(h))


@pytest.mark.parametrize("direction", ["ketorch->keras", "keras->ketorch", "ketorch->ketorch"])
def test_keras_file_round_trip(direction, tmp_path, rng):
    from parity import keras

    libs = {"keras": keras, "ketorch": ketorch}
    src, dst = (libs[n] for n in direction.split("->"))
    x = rng.standard_normal((16, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = _model(src)
    model.compile(src.optimizers.Adam(0.01), "mse")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    with pytest.raises(ValueError, match="torch.load"):
        dst.saving.load_model(path)  # the module is a pickle: refused in safe mode
    loaded = dst.saving.load_model(path, safe_mode=False)
    # The weights file holds the module's state_dict (BatchNorm statistics included).
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.train_on_batch(x[:4], y[:4])
    loaded.train_on_batch(x[:4], y[:4])
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
