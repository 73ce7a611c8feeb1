"""The Keras 3 guide "Making new layers and models via subclassing", run on ketorch.

Each test follows one section of the guide with the same API calls (``keras.ops``,
``keras.random``, ``add_weight``, ``add_loss``, ``get_config``, the VAE end-to-end example);
MNIST is replaced by random data of the same shape. Where a result can be checked against
real Keras, the same code runs on both (the ``K`` argument is the keras module) with the same
weights.
"""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch


def linear_class(K):
    class Linear(K.layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(
                shape=(input_dim, units), initializer="random_normal", trainable=True
            )
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return K.ops.matmul(inputs, self.w) + self.b

    return Linear


def test_layer_with_weights_in_init_tracks_them_and_computes_like_keras():
    ours = linear_class(ketorch)(4, 2)
    theirs = linear_class(keras)(4, 2)
    assert ours.weights == [ours.w, ours.b]  # list equality checks identity first
    theirs.set_weights(ours.get_weights())
    x = np.ones((2, 2), "float32")
    np.testing.assert_allclose(
        ours(ketorch.ops.ones((2, 2))).detach().numpy(),
        keras.ops.convert_to_numpy(theirs(x)),
        rtol=1e-6,
    )


def test_non_trainable_weight_updated_with_assign_add():
    class ComputeSum(ketorch.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

        def call(self, inputs):
            self.total.assign_add(ketorch.ops.sum(inputs, axis=0))
            return self.total

    my_sum = ComputeSum(2)
    x = ketorch.ops.ones((2, 2))
    np.testing.assert_array_equal(my_sum(x).numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(my_sum(x).numpy(), [4.0, 4.0])
    assert len(my_sum.weights) == 1
    assert len(my_sum.non_trainable_weights) == 1
    assert my_sum.trainable_weights == []


def test_lazy_build_and_recursive_composition():
    class Linear(ketorch.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
            )
            self.b = self.add_weight(
                shape=(self.units,), initializer="random_normal", trainable=True
            )

        def call(self, inputs):
            return ketorch.ops.matmul(inputs, self.w) + self.b

    class MLPBlock(ketorch.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.linear_2 = Linear(32)
            self.linear_3 = Linear(1)

        def call(self, inputs):
            x = ketorch.activations.relu(self.linear_1(inputs))
            x = ketorch.activations.relu(self.linear_2(x))
            return self.linear_3(x)

    mlp = MLPBlock()
    y = mlp(ketorch.ops.ones(shape=(3, 64)))
    assert tuple(y.shape) == (3, 1)
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6
    # Keras's variable paths: the block's name scope, then each sublayer's.
    assert [w.path for w in mlp.weights[:2]] == [
        "mlp_block/linear/variable",
        "mlp_block/linear/variable_1",
    ]


class ActivityRegularizationLayer(ketorch.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ketorch.ops.mean(inputs))
        return inputs


def test_add_loss_is_reset_at_each_top_level_call_and_trains_in_fit():
    class OuterLayer(ketorch.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    assert len(layer.losses) == 0
    _ = layer(ketorch.ops.zeros((1, 1)))
    assert len(layer.losses) == 1
    _ = layer(ketorch.ops.zeros((1, 1)))
    assert len(layer.losses) == 1

    class OuterLayerWithKernelRegularizer(ketorch.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = ketorch.layers.Dense(32, kernel_regularizer=ketorch.regularizers.l2(1e-3))

        def call(self, inputs):
            return self.dense(inputs)

    layer = OuterLayerWithKernelRegularizer()
    _ = layer(ketorch.ops.zeros((1, 1)))
    expected = 1e-3 * float(ketorch.ops.sum(layer.dense.kernel**2))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-6)

    inputs = ketorch.Input(shape=(3,))
    outputs = ActivityRegularizationLayer()(inputs)
    model = ketorch.Model(inputs, outputs)
    x, y = np.random.random((2, 3)), np.random.random((2, 3))
    model.compile(optimizer="adam", loss="mse")
    with_loss = model.fit(x, y, verbose=0).history["loss"][0]
    mse = float(np.mean((x - y) ** 2))
    np.testing.assert_allclose(with_loss, mse + 1e-2 * x.mean(), rtol=1e-5)
    model.compile(optimizer="adam")  # the add_loss term alone is the loss
    only_reg = model.fit(x, y, verbose=0).history["loss"][0]
    np.testing.assert_allclose(only_reg, 1e-2 * x.mean(), rtol=1e-5)


def test_get_config_and_from_config():
    class Linear(ketorch.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="random_normal"
            )
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

        def call(self, inputs):
            return ketorch.ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units})
            return config

    layer = Linear(64)
    config = layer.get_config()
    assert config["units"] == 64 and config["name"] == layer.name
    new_layer = Linear.from_config(config)
    assert new_layer.units == 64


def test_custom_dropout_with_seed_generator_is_active_only_in_training():
    class CustomDropout(ketorch.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = ketorch.random.SeedGenerator(1337)

        def call(self, inputs, training=None):
            if training:
                return ketorch.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
            return inputs

    layer = CustomDropout(0.5)
    x = ketorch.ops.ones((200, 10))
    assert torch.equal(layer(x), x)
    dropped = layer(x, training=True)
    kept = (dropped != 0).float().mean().item()
    assert 0.4 < kept < 0.6
    np.testing.assert_allclose(np.unique(dropped.numpy()), [0.0, 2.0])
    again = layer(x, training=True)
    assert not torch.equal(dropped, again)  # the seed generator advances


def vae_classes(K):
    ops, layers = K.ops, K.layers

    class Sampling(layers.Layer):
        """Draws z from N(z_mean, exp(z_log_var))."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = K.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch = ops.shape(z_mean)[0]
            dim = ops.shape(z_mean)[1]
            epsilon = K.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    class Encoder(layers.Layer):
        def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_mean = layers.Dense(latent_dim)
            self.dense_log_var = layers.Dense(latent_dim)
            self.sampling = Sampling()

        def call(self, inputs):
            x = self.dense_proj(inputs)
            z_mean = self.dense_mean(x)
            z_log_var = self.dense_log_var(x)
            z = self.sampling((z_mean, z_log_var))
            return z_mean, z_log_var, z

    class Decoder(layers.Layer):
        def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_output = layers.Dense(original_dim, activation="sigmoid")

        def call(self, inputs):
            return self.dense_output(self.dense_proj(inputs))

    class VariationalAutoEncoder(K.Model):
        def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder",
                     **kwargs):  # fmt: skip
            super().__init__(name=name, **kwargs)
            self.original_dim = original_dim
            self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
            self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

        def call(self, inputs):
            z_mean, z_log_var, z = self.encoder(inputs)
            reconstructed = self.decoder(z)
            kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
            self.add_loss(kl_loss)
            return reconstructed

    return Sampling, VariationalAutoEncoder


def test_vae_end_to_end_trains_with_fit():
    _, VariationalAutoEncoder = vae_classes(ketorch)
    x_train = np.random.default_rng(0).random((512, 784)).astype("float32")
    vae = VariationalAutoEncoder(784, 64, 32)
    vae.compile(optimizer=ketorch.optimizers.Adam(learning_rate=1e-3),
                loss=ketorch.losses.MeanSquaredError())  # fmt: skip
    history = vae.fit(x_train, x_train, epochs=3, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    # The reported loss is the reconstruction MSE plus the KL term added with add_loss.
    assert len(vae.losses) == 0 or all(torch.is_tensor(v) for v in vae.losses)


def test_vae_sampling_layer_inside_a_functional_model_saves_and_reloads(tmp_path):
    Sampling, _ = vae_classes(ketorch)
    ketorch.saving.register_keras_serializable(package="guide")(Sampling)
    inputs = ketorch.Input(shape=(784,))
    x = ketorch.layers.Dense(64, activation="relu")(inputs)
    z_mean = ketorch.layers.Dense(32)(x)
    z_log_var = ketorch.layers.Dense(32)(x)
    z = Sampling()((z_mean, z_log_var))
    encoder = ketorch.Model(inputs, [z_mean, z_log_var, z])
    data = np.random.default_rng(1).random((8, 784)).astype("float32")
    mean_before = encoder.predict(data, verbose=0)[0]
    encoder.save(tmp_path / "encoder.keras")
    loaded = ketorch.models.load_model(tmp_path / "encoder.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0)[0], mean_before, rtol=1e-6)


@pytest.mark.parametrize("shape", [(4, 3), (7, 5)])
def test_sampling_layer_matches_keras_with_the_same_seed(shape):
    """Same SeedGenerator seed, same draws: the layer gives Keras's numbers."""
    ours = vae_classes(ketorch)[0]()
    theirs = vae_classes(keras)[0]()
    rng = np.random.default_rng(2)
    z_mean, z_log_var = (
        rng.normal(size=shape).astype("float32"),
        rng.normal(size=shape).astype("float32"),
    )
    got = ours((torch.from_numpy(z_mean), torch.from_numpy(z_log_var))).numpy()
    want = np.asarray(theirs((z_mean, z_log_var)).cpu())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
