import numpy as np
import pytest
import torch

import ketorch
from ketorch import layers


class Linear(layers.Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", name="w"
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return inputs @ self.w + self.b

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


class MLP(ketorch.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Linear(8)
        self.dropout = layers.Dropout(0.5)
        self.out = layers.Dense(1)

    def call(self, inputs, training=False):
        x = torch.relu(self.hidden(inputs))
        x = self.dropout(x, training=training)
        return self.out(x)


def test_custom_layer_weights_and_config():
    layer = Linear(3)
    y = layer(torch.ones(2, 5))
    assert y.shape == (2, 3)
    assert [tuple(w.shape) for w in layer.weights] == [(5, 3), (3,)]
    assert [n for n, _ in layer.named_parameters()] == ["w", "b"]
    clone = Linear.from_config(layer.get_config())
    assert clone.units == 3


def test_custom_layer_in_functional_model():
    x = ketorch.Input((5,))
    y = Linear(2)(x)
    model = ketorch.Model(x, y)
    assert model.output_shape == (None, 2)


def test_subclassed_model_trains(rng):
    model = MLP()
    model.compile("adam", "mse")
    x = rng.random((64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    h = model.fit(x, y, epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert [layer.name for layer in model.layers] == ["linear", "dropout", "dense"]
    assert len(model.trainable_weights) == 4
    assert model.predict(x, verbose=0).shape == (64, 1)


def test_training_flag_reaches_nested_layers():
    class Net(ketorch.Model):
        def __init__(self):
            super().__init__()
            self.drop = layers.Dropout(0.99)

        def call(self, x):  # no training argument: it flows through the call context
            return self.drop(x)

    net = Net()
    x = torch.ones(10, 100)
    assert torch.equal(net(x), x)
    assert (net(x, training=True) == 0).float().mean() > 0.9


def test_auto_config_for_custom_layer_without_get_config():
    class Scale(layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    layer = Scale(3.0, name="scale")
    assert layer.get_config()["factor"] == 3.0
    assert Scale.from_config(layer.get_config()).factor == 3.0


def test_model_build_and_summary(capsys):
    model = MLP()
    model.build((None, 3))
    model.summary()
    assert "linear (Linear)" in capsys.readouterr().out
    assert model.count_params() == 3 * 8 + 8 + 8 + 1


def test_keras2_style_add_weight():
    class Old(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(
                name="kernel", shape=(input_shape[1], 2), initializer="uniform", trainable=True
            )

        def call(self, x):
            return x @ self.kernel

    layer = Old()
    assert layer(torch.ones(1, 3)).shape == (1, 2)
    assert np.abs(layer.get_weights()[0]).max() <= 0.05


def test_model_requires_inputs_and_outputs_together():
    with pytest.raises(TypeError):
        ketorch.Model(ketorch.Input((2,)))


def test_deepcopy_keeps_the_keras_attributes_of_weights():
    # nn.Parameter.__deepcopy__ drops a tensor's attributes; a copied model must keep its
    # regularizers, constraints and names (and `v.value`).
    import copy

    import numpy as np

    import ketorch

    model = ketorch.Sequential(
        [
            ketorch.Input((4,)),
            ketorch.layers.Dense(3, kernel_regularizer="l2", kernel_constraint="non_neg"),
        ]
    )
    clone = copy.deepcopy(model)
    kernel, original = clone.trainable_weights[0], model.trainable_weights[0]
    assert kernel is not original and kernel.value is kernel
    assert kernel._keras_name == "kernel"
    assert len(clone.losses) == len(model.losses) == 1
    clone.compile("sgd", "mse")
    x = np.ones((4, 4), "float32")
    clone.fit(x, -np.ones((4, 3), "float32"), epochs=3, verbose=0)
    assert (clone.get_weights()[0] >= 0).all()  # the constraint still applies
    np.testing.assert_array_equal(model.get_weights()[0], original.detach().numpy())
