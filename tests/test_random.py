"""keras.random: the same numbers as Keras on torch for the same seeds, distributions' moments,
dtypes and shapes, reproducibility, SeedGenerator state, and use inside a trained layer."""

from __future__ import annotations

import copy
import os
import pickle

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ketorch  # noqa: E402
from ketorch import random as krandom  # noqa: E402
from ketorch.layers.node import KerasTensor  # noqa: E402


def _keras(fn):
    """Run ``fn(keras.random)`` on the CPU (ketorch's tests run on the CPU)."""
    with keras.device("cpu"):
        return fn(keras.random)


SAME_AS_KERAS = {
    "normal": lambda r: r.normal((3, 4), seed=42),
    "normal-args": lambda r: r.normal((5,), mean=2.0, stddev=3.0, dtype="float64", seed=7),
    "normal-float16": lambda r: r.normal((5,), dtype="float16", seed=1),
    "normal-negative-seed": lambda r: r.normal((3,), seed=-7),
    "normal-big-seed": lambda r: r.normal((3,), seed=2**33 + 5),
    "uniform": lambda r: r.uniform((5, 2), minval=-1.0, maxval=3.0, seed=3),
    "uniform-scalar": lambda r: r.uniform((), seed=3),
    "randint": lambda r: r.randint((6,), 0, 10, seed=3),
    "randint-int64": lambda r: r.randint((2, 3), -5, 10, dtype="int64", seed=4),
    "truncated_normal": lambda r: r.truncated_normal((64,), mean=1.0, stddev=0.5, seed=3),
    "categorical": lambda r: r.categorical(torch.tensor([[0.0, 1.0, 2.0], [3.0, 0, 0]]), 8, seed=9),
    "dropout": lambda r: r.dropout(torch.ones(4, 5), 0.5, seed=3),
    "dropout-noise-shape": lambda r: r.dropout(torch.ones(4, 5), 0.3, (None, 1), seed=3),
    "shuffle": lambda r: r.shuffle(torch.arange(12).reshape(4, 3), seed=5),
    "shuffle-axis1": lambda r: r.shuffle(torch.arange(12).reshape(3, 4), axis=1, seed=3),
    "gamma": lambda r: r.gamma((6,), alpha=2.0, seed=3),
    "gamma-tensor-alpha": lambda r: r.gamma((2, 3), alpha=torch.tensor([0.5, 1.0, 3.0]), seed=3),
    "binomial": lambda r: r.binomial((6,), counts=10, probabilities=0.3, seed=3),
    "binomial-int": lambda r: r.binomial((2, 3), torch.tensor([5.0, 10, 20]), 0.5, "int32", 4),
    "beta": lambda r: r.beta((6,), alpha=2.0, beta=3.0, seed=3),
}


@pytest.mark.parametrize("name", sorted(SAME_AS_KERAS))
def test_int_seeds_give_kerass_numbers(name):
    fn = SAME_AS_KERAS[name]
    ours, want = fn(krandom), _keras(fn)
    assert ours.dtype == want.dtype and ours.shape == want.shape
    assert torch.equal(ours, want)
    assert torch.equal(fn(krandom), ours)  # an int seed repeats


def test_seed_generator_sequence_matches_keras():
    ours, want = krandom.SeedGenerator(1337), keras.random.SeedGenerator(1337)
    for _ in range(3):
        a = krandom.normal((4,), seed=ours)
        b = _keras(lambda r: r.normal((4,), seed=want))
        assert torch.equal(a, b)
        a = krandom.uniform((2, 2), seed=ours)
        b = _keras(lambda r: r.uniform((2, 2), seed=want))
        assert torch.equal(a, b)
    assert ours.state.tolist() == want.state.numpy().tolist() == [1337, 6]
    assert torch.equal(ours.next(ordered=False), want.next(ordered=False))
    assert ours.state.tolist() == want.state.numpy().tolist()


def test_global_generator_after_set_random_seed_matches_keras():
    keras.utils.set_random_seed(5)
    want = [_keras(lambda r: r.normal((3,))) for _ in range(3)]
    ketorch.utils.set_random_seed(5)
    ours = [krandom.normal((3,)) for _ in range(3)]
    for a, b in zip(ours, want):
        assert torch.equal(a, b)
    assert not torch.equal(ours[0], ours[1])  # unseeded draws differ from call to call


def test_unseeded_dropout_uses_torchs_global_generator_like_keras():
    x = torch.ones(6, 7)
    torch.manual_seed(3)
    ours = krandom.dropout(x, 0.4)
    torch.manual_seed(3)
    want = _keras(lambda r: r.dropout(x, 0.4))
    assert torch.equal(ours, want)
    torch.manual_seed(3)
    assert torch.equal(krandom.dropout(x, 0.4, seed=krandom.SeedGenerator()), ours)


# ----------------------------------------------------------------- reproducibility
def test_set_random_seed_repeats_unseeded_runs():
    ketorch.utils.set_random_seed(123)
    first = [
        krandom.uniform((3,)),
        krandom.randint((3,), 0, 100),
        krandom.dropout(torch.ones(9), 0.5),
    ]
    ketorch.utils.set_random_seed(123)
    second = [
        krandom.uniform((3,)),
        krandom.randint((3,), 0, 100),
        krandom.dropout(torch.ones(9), 0.5),
    ]
    for a, b in zip(first, second):
        assert torch.equal(a, b)


def test_seed_generators_advance_and_repeat():
    g1, g2 = krandom.SeedGenerator(7), krandom.SeedGenerator(7)
    a = [krandom.normal((5,), seed=g1) for _ in range(3)]
    b = [krandom.normal((5,), seed=g2) for _ in range(3)]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], a[1]) and not torch.equal(a[1], a[2])
    assert not torch.equal(a[0], krandom.normal((5,), seed=8))


# ----------------------------------------------------------------- SeedGenerator
def test_seed_generator_state_layout_and_config():
    gen = krandom.SeedGenerator(1337, name="noise_seed")
    state = gen.state
    assert isinstance(state, ketorch.backend._variable.Variable)
    assert state.dtype == torch.int32 and tuple(state.shape) == (2,)
    assert state.tolist() == [1337, 0] and not state.trainable and not state.requires_grad
    assert state.name == "seed_generator_state"
    assert state.path == "noise_seed/seed_generator_state"
    first = gen.next()
    assert first.tolist() == [1337, 0] and gen.state.tolist() == [1337, 1]
    assert gen.get_config() == {"seed": 1337, "name": "noise_seed"}
    clone = krandom.SeedGenerator.from_config(gen.get_config())
    assert clone.state.tolist() == [1337, 0]
    unseeded = krandom.SeedGenerator()
    assert unseeded.get_config()["seed"] is None and 1 <= unseeded.state.tolist()[0] <= 10**9
    big = krandom.SeedGenerator(2**32 + 3)  # bit-cast to int32, as Keras casts int seeds
    assert torch.equal(krandom.normal((2,), seed=big), krandom.normal((2,), seed=3))


def test_seed_generator_default_names():
    ketorch.clear_session()
    names = [krandom.SeedGenerator(1).name, krandom.SeedGenerator(1).name]
    assert names == ["seed_generator", "seed_generator_1"]


def test_seed_generator_copies_are_independent():
    gen = krandom.SeedGenerator(11, name="g")
    gen.next()
    twin = copy.deepcopy(gen)
    assert twin.state.tolist() == [11, 1] and twin.state.path == "g/seed_generator_state"
    twin.next()
    assert gen.state.tolist() == [11, 1] and twin.state.tolist() == [11, 2]
    loaded = pickle.loads(pickle.dumps(gen))
    assert loaded.state.tolist() == [11, 1] and loaded.name == "g"
    assert torch.equal(krandom.normal((3,), seed=loaded), krandom.normal((3,), seed=gen))


def test_seed_generator_state_can_be_assigned():
    gen = krandom.SeedGenerator(1)
    gen.state.assign(torch.tensor([5, 2], dtype=torch.int32))
    assert torch.equal(krandom.normal((3,), seed=gen), krandom.normal((3,), seed=7))


def test_seed_generator_made_in_inference_mode_keeps_advancing():
    with torch.inference_mode():
        gen = krandom.SeedGenerator(3)
        krandom.normal((2,), seed=gen)
    krandom.normal((2,), seed=gen)
    assert gen.state.tolist() == [3, 2]


def test_seed_generator_bad_arguments():
    with pytest.raises(ValueError, match="seed"):
        krandom.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        krandom.SeedGenerator(1, foo=2)
    with pytest.raises(ValueError, match="seed"):
        krandom.normal((2,), seed="abc")


# ----------------------------------------------------------------- dtypes, shapes, errors
def test_default_dtypes_and_shapes():
    assert krandom.normal((2, 3)).dtype == torch.float32
    assert krandom.uniform([4]).shape == (4,)
    assert krandom.randint((2,), 0, 5).dtype == torch.int32
    assert krandom.truncated_normal((2, 3)).shape == (2, 3)
    assert krandom.categorical(torch.zeros(2, 3), 4).dtype == torch.int32
    assert krandom.gamma((3,), 1.0).dtype == torch.float32
    assert krandom.binomial((3,), 5, 0.5).dtype == torch.float32
    assert krandom.beta((3,), 1.0, 1.0).dtype == torch.float32
    assert krandom.normal(torch.Size([2])).shape == (2,)
    assert krandom.uniform((2,), dtype="bfloat16").dtype == torch.bfloat16
    assert krandom.normal((2,), dtype=torch.float64).dtype == torch.float64
    ketorch.config.set_floatx("float64")
    try:
        assert krandom.normal((2,)).dtype == torch.float64
        assert krandom.gamma((2,), 2.0).dtype == torch.float64
    finally:
        ketorch.config.set_floatx("float32")


def test_argument_errors():
    with pytest.raises(ValueError, match="uniform.*floating"):
        krandom.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="normal.*floating"):
        krandom.normal((2,), dtype="int32")
    with pytest.raises(ValueError, match="randint.*integer"):
        krandom.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="2-D"):
        krandom.categorical(torch.zeros(3), 2)
    with pytest.raises(ValueError, match="rate"):
        krandom.dropout(torch.ones(3), 1.5)
    with pytest.raises(ValueError, match="KerasTensor"):
        krandom.dropout(KerasTensor((None, 3)), 0.5)
    with pytest.raises(ValueError, match="shape"):
        krandom.normal((None, 3))
    with pytest.raises(ValueError, match="shuffle"):
        krandom.shuffle(torch.ones(3), axis=2)


def test_dropout_edge_rates_and_negative_axis_shuffle():
    x = torch.randn(4, 3)
    assert torch.equal(krandom.dropout(x, 0.0), x)
    assert torch.equal(krandom.dropout(x, 1.0), torch.zeros_like(x))
    y = krandom.shuffle(torch.arange(12).reshape(3, 4), axis=-1, seed=1)
    assert torch.equal(y.sort(-1).values, torch.arange(12).reshape(3, 4))


# ----------------------------------------------------------------- distributions
N = 200_000


def test_moments():
    x = krandom.normal((N,), mean=3.0, stddev=2.0, seed=1)
    assert abs(x.mean() - 3.0) < 0.03 and abs(x.std() - 2.0) < 0.03
    u = krandom.uniform((N,), minval=-2.0, maxval=4.0, seed=2)
    assert u.min() >= -2.0 and u.max() < 4.0 and abs(u.mean() - 1.0) < 0.03
    r = krandom.randint((N,), -3, 7, seed=3)
    assert r.min() == -3 and r.max() == 6 and abs(r.float().mean() - 1.5) < 0.05
    g = krandom.gamma((N,), alpha=3.0, seed=4)
    assert abs(g.mean() - 3.0) < 0.03 and abs(g.var() - 3.0) < 0.1
    b = krandom.binomial((N,), counts=20, probabilities=0.25, seed=5)
    assert abs(b.mean() - 5.0) < 0.05 and abs(b.var() - 3.75) < 0.1
    be = krandom.beta((N,), alpha=2.0, beta=6.0, seed=6)
    assert abs(be.mean() - 0.25) < 0.005 and be.min() > 0 and be.max() < 1


def test_truncated_normal_stays_within_two_stddevs():
    # 2M values: a handful need the fallback (all four candidates outside two stddevs)
    t = krandom.truncated_normal((2_000_000,), mean=1.0, stddev=0.5, seed=7)
    assert t.min() >= 0.0 and t.max() <= 2.0
    z = (t - 1.0) / 0.5
    assert abs(z.mean()) < 0.01 and abs(z.std() - 0.8796) < 0.01  # std of N(0,1) cut at +-2


def test_categorical_frequencies_follow_softmax():
    logits = torch.tensor([[0.0, 1.0, 2.0], [5.0, 0.0, -5.0]])
    samples = krandom.categorical(logits, 50_000, seed=8)
    for row, probs in zip(samples, torch.softmax(logits, -1)):
        freq = torch.bincount(row.long(), minlength=3).float() / row.numel()
        assert torch.allclose(freq, probs, atol=0.01)


def test_dropout_rate_and_scaling():
    x = torch.ones(N)
    for seed in (None, 3, krandom.SeedGenerator(3)):
        y = krandom.dropout(x, 0.3, seed=seed)
        zeros = (y == 0).float().mean()
        assert abs(zeros - 0.3) < 0.01 and abs(y.mean() - 1.0) < 0.02
        assert torch.allclose(y[y != 0], torch.tensor(1 / 0.7))
    y = krandom.dropout(torch.ones(100, 50), 0.5, noise_shape=(None, 1), seed=4)
    assert torch.all(y == y[:, :1])  # whole rows are kept or dropped


def test_shuffle_is_a_permutation_along_the_axis():
    x = torch.arange(20).reshape(4, 5)
    rows = krandom.shuffle(x, seed=2)
    assert sorted(rows[:, 0].tolist()) == [0, 5, 10, 15]
    assert torch.equal(rows - rows[:, :1], x - x[:, :1])  # whole rows move together


# ----------------------------------------------------------------- in a trained layer
class _Noise(ketorch.layers.Layer):
    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_generator = krandom.SeedGenerator(1337)

    def call(self, x, training=False):
        if training:
            return x + krandom.normal(
                ketorch.ops.shape(x), stddev=self.stddev, seed=self.seed_generator
            )
        return x


def _train_once():
    ketorch.utils.set_random_seed(0)
    model = ketorch.Sequential([ketorch.Input((4,)), _Noise(0.1), ketorch.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(16, 4)
    y = x.sum(axis=1, keepdims=True)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model, history.history["loss"]


def test_seed_generator_in_a_layer_trained_with_fit():
    model, losses = _train_once()
    noise = model.layers[0]
    assert noise.seed_generator.state.tolist() == [1337, 8]  # 2 epochs x 4 steps
    _, again = _train_once()
    assert losses == again  # the noise sequence repeats run after run
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(
        ketorch.ops.convert_to_numpy(model(x)), ketorch.ops.convert_to_numpy(model(x))
    )
    assert noise.seed_generator.state.tolist() == [1337, 8]  # inference draws nothing
