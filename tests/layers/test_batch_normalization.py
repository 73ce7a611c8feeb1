import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy

import ketorch
from ketorch.layers.normalization import BatchNormalization


def test_contract():
    layer = run_layer_contract(
        BatchNormalization,
        {"momentum": 0.9},
        (4, 3),
        expected_output_shape=(4, 3),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=2,
        supports_masking=True,
    )
    assert [w._keras_name for w in layer.weights] == [
        "gamma",
        "beta",
        "moving_mean",
        "moving_variance",
    ]


def test_contract_channels_first_no_center():
    run_layer_contract(
        BatchNormalization,
        {"axis": 1, "center": False},
        (2, 3, 4, 5),
        expected_output_shape=(2, 3, 4, 5),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=2,
    )


def _random_stats(layer, rng):
    c = layer.get_weights()[0].shape[0]
    ws = layer.get_weights()
    new = [rng.standard_normal(w.shape).astype("float32") for w in ws]
    new[-1] = rng.uniform(0.5, 2.0, c).astype("float32")  # positive moving variance
    layer.set_weights(new)


@pytest.mark.parametrize(
    "kwargs,shape",
    [
        ({}, (6, 4)),
        ({"axis": 1}, (3, 4, 5, 2)),
        ({"axis": -1}, (3, 4, 5, 2)),
        ({"axis": 2, "epsilon": 0.1}, (3, 4, 5)),
        ({"center": False, "scale": False}, (5, 3)),
    ],
)
@pytest.mark.parametrize("training", [False, True])
def test_parity_call(kwargs, shape, training, rng):
    ours = BatchNormalization(**kwargs)
    ours.build(shape)
    _random_stats(ours, rng)
    theirs = keras.layers.BatchNormalization(**kwargs)
    theirs.build(shape)
    theirs.set_weights(ours.get_weights())
    x = (rng.standard_normal(shape) * 3 + 1).astype("float32")
    y = ours(torch.as_tensor(x), training=training)
    expected = theirs(x, training=training)
    np.testing.assert_allclose(to_numpy(y), to_numpy(expected), atol=1e-5, rtol=1e-5)
    # The moving statistics after the call agree as well (updated only in training).
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


def test_parity_masked_training(rng):
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    mask = rng.random((3, 5)) > 0.3
    ours, theirs = BatchNormalization(momentum=0.5), keras.layers.BatchNormalization(momentum=0.5)
    y = ours(torch.as_tensor(x), training=True, mask=torch.as_tensor(mask))
    theirs.build(x.shape)
    expected = theirs(x, training=True, mask=mask)
    np.testing.assert_allclose(to_numpy(y), to_numpy(expected), atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_renorm_parity_over_steps(rng):
    kwargs = {"renorm": True, "renorm_clipping": {"rmax": 1.5, "rmin": 0.7, "dmax": 0.5}}
    kwargs["momentum"] = 0.8
    ours, theirs = BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    ours.build((8, 3))
    theirs.build((8, 3))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    np.testing.assert_allclose(
        np.concatenate(ours.get_weights()), np.concatenate(theirs.get_weights())
    )
    for _ in range(3):
        x = (rng.standard_normal((8, 3)) * 2 + 0.5).astype("float32")
        y = ours(torch.as_tensor(x), training=True)
        expected = theirs(x, training=True)
        np.testing.assert_allclose(to_numpy(y), to_numpy(expected), atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_moving_stats_formula_uses_biased_variance():
    layer = BatchNormalization(momentum=0.9)
    x = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    layer(x, training=True)
    mean, var = 3.0, float(np.var([1, 2, 3, 6]))
    np.testing.assert_allclose(layer.moving_mean.detach().numpy(), [0.1 * mean], rtol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.detach().numpy(), [0.9 + 0.1 * var], rtol=1e-6)


def test_batch_of_one_in_training_matches_keras():
    x = np.array([[1.0, -2.0, 3.0]], dtype="float32")
    ours, theirs = BatchNormalization(), keras.layers.BatchNormalization()
    compare_layer(ours, theirs, x, training=True)


def test_gradients_flow_through_batch_stats():
    layer = BatchNormalization()
    x = torch.randn(6, 3, requires_grad=True)
    layer(x, training=True).sum().backward()
    # Training-mode BN output sums to 6*beta per feature: its gradient w.r.t. x is ~0.
    assert torch.allclose(x.grad, torch.zeros_like(x.grad), atol=1e-5)


def _model(lib, frozen=False):
    inputs = lib.Input(shape=(5,))
    x = lib.layers.Dense(4)(inputs)
    bn_cls = BatchNormalization if lib is ketorch else keras.layers.BatchNormalization
    bn = bn_cls(momentum=0.8)
    bn.trainable = not frozen
    x = bn(x)
    outputs = lib.layers.Dense(1)(x)
    return lib.Model(inputs, outputs)


@pytest.mark.parametrize("frozen", [False, True])
def test_fit_parity_moving_stats_and_weights(rng, frozen):
    ours, theirs = _model(ketorch, frozen), _model(keras, frozen)
    init = [w + 0.1 * rng.standard_normal(w.shape).astype("float32") for w in ours.get_weights()]
    init[4] = np.abs(init[4]) + 0.5  # moving variance stays positive
    ours.set_weights(init)
    theirs.set_weights(init)
    x = (rng.standard_normal((32, 5)) * 2 + 1).astype("float32")
    y = rng.standard_normal((32, 1)).astype("float32")
    for m, lib in ((ours, ketorch), (theirs, keras)):
        m.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=2e-5, rtol=1e-4)
    if frozen:
        np.testing.assert_array_equal(ours.get_weights()[2:6], init[2:6])
    else:
        assert not np.allclose(ours.get_weights()[4], init[4])
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=2e-5, rtol=1e-4
    )


def test_frozen_layer_uses_moving_stats_in_training():
    layer = BatchNormalization()
    x = torch.randn(8, 3) * 5 + 2
    layer(x, training=True)
    layer.trainable = False
    before = layer.get_weights()
    y = layer(x, training=True)
    expected = layer(x, training=False)
    assert torch.allclose(y, expected)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_config_matches_keras_keys():
    ours = BatchNormalization().get_config()
    theirs = keras.layers.BatchNormalization().get_config()
    assert set(theirs) <= set(ours)
    assert ours["gamma_initializer"]["class_name"] == "Ones"
    assert ours["momentum"] == 0.99 and ours["epsilon"] == 1e-3


def test_compute_output_shape_symbolic():
    out = BatchNormalization(axis=1)(ketorch.Input(shape=(3, 4, 5)))
    assert out.shape == (None, 3, 4, 5)


@pytest.mark.parametrize("bad", ["x", 1.5])
def test_bad_axis(bad):
    with pytest.raises(TypeError, match=f"Received: axis={bad!r}"):
        BatchNormalization(axis=bad)


def test_bad_momentum_and_epsilon():
    with pytest.raises(ValueError, match="Received: momentum=1.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="Received: epsilon=0"):
        BatchNormalization(epsilon=0)


def test_bad_renorm_clipping():
    with pytest.raises(ValueError, match="renorm_clipping"):
        BatchNormalization(renorm=True, renorm_clipping={"rmaxx": 2})


def test_axis_out_of_range_and_wrong_features():
    with pytest.raises(ValueError, match="Received: axis=3"):
        BatchNormalization(axis=3).build((2, 4))
    layer = BatchNormalization(name="bn")
    layer(torch.ones(2, 4))
    with pytest.raises(ValueError, match="bn"):
        layer(torch.ones(2, 5))


def test_bad_mask_rank():
    with pytest.raises(ValueError, match="mask.shape"):
        BatchNormalization()(torch.ones(2, 3, 4), training=True, mask=torch.ones(2, 3, 4))
