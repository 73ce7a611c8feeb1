"""The benchmark's workloads: sizes, data, and the models.

The Keras-API models (``build_keras_model``) are written once and run unchanged on ketorch and on
Keras 3 with the jax, tensorflow and torch backends: only the module passed in as ``keras``
differs. ``build_torch_model`` holds the hand-written PyTorch equivalents (the ``torch`` impl).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WORKLOADS = ("mlp", "lstm", "cnn", "transformer")
SIZES = ("tiny", "small", "full")
BATCH_SIZE = 32
# Batch sizes at which predict throughput is measured by default (``run.py --predict-batch``).
PREDICT_BATCHES = (32, 256)

# Shapes shared by the Keras and torch versions of each model.
MLP_FEATURES, MLP_CLASSES = 784, 10
LSTM_VOCAB, CNN_CLASSES = 20000, 10
TF_VOCAB, TF_EMBED, TF_HEADS, TF_KEY_DIM, TF_FF = 20000, 128, 4, 32, 128


@dataclass(frozen=True)
class Dims:
    """Input sizes that depend on the run size.

    Attributes:
        seq_len: tokens per sequence (LSTM and transformer).
        image: height and width of the CNN's RGB images.
    """

    seq_len: int = 200
    image: int = 250


def dims_for(size: str) -> Dims:
    """The input sizes at ``size``: the tutorial's, except ``tiny`` which shrinks them so the
    smoke test takes seconds (it checks that everything runs; its numbers mean nothing)."""
    return Dims(seq_len=16, image=64) if size == "tiny" else Dims()


@dataclass(frozen=True)
class Plan:
    """How many samples one run uses.

    Training and warm-up counts are multiples of the training batch (32); prediction counts are
    multiples of the largest prediction batch (256) at ``small`` and ``full``, so that no impl
    meets a partial last batch (jax and tensorflow would recompile for it inside the timing).

    Attributes:
        train: samples in the timed ``fit`` (one epoch).
        predict: samples in the timed ``predict``.
        warmup: samples in the untimed warm-up ``fit`` and ``predict`` (compiles, caches).
    """

    train: int
    predict: int
    warmup: int


# The default ("full") plan is sized so that the whole CPU run (4 workloads x 5 impls, each in its
# own process, imports and warm-up included) takes about 10 minutes on a 2-core machine.
PLANS: dict[str, dict[str, Plan]] = {
    # One or two batches each: checks that everything runs (the smoke test), measures nothing.
    "tiny": {
        "mlp": Plan(train=256, predict=256, warmup=32),
        "lstm": Plan(train=32, predict=32, warmup=32),
        "cnn": Plan(train=32, predict=32, warmup=32),
        "transformer": Plan(train=32, predict=32, warmup=32),
    },
    # About a third of the default's time.
    "small": {
        "mlp": Plan(train=9984, predict=9984, warmup=320),
        "lstm": Plan(train=320, predict=768, warmup=64),
        "cnn": Plan(train=64, predict=256, warmup=32),
        "transformer": Plan(train=192, predict=512, warmup=32),
    },
    # The default: the tutorial's 60,000 MNIST-sized samples for the MLP; the slower models get
    # fewer so that each process measures for roughly 5-60 s on 2 cores.
    "full": {
        "mlp": Plan(train=60000, predict=59904, warmup=640),
        "lstm": Plan(train=1280, predict=2560, warmup=128),
        "cnn": Plan(train=192, predict=256, warmup=64),
        "transformer": Plan(train=640, predict=1024, warmup=64),
    },
}


def plan_for(workload: str, size: str) -> Plan:
    """The sample counts of ``workload`` at ``size``."""
    return PLANS[size][workload]


def make_data(
    workload: str, n: int, seed: int = 0, dims: Dims = Dims()
) -> tuple[list[np.ndarray], np.ndarray]:
    """Random inputs and targets for ``workload``, the same for every impl.

    Args:
        workload: one of ``WORKLOADS``.
        n: number of samples.
        seed: numpy seed.
        dims: input sizes.

    Returns:
        ``(inputs, targets)``: ``inputs`` is a list of arrays (one per model input; the
        transformer takes tokens and their positions), ``targets`` one-hot float32 for the
        classifiers with several classes, ``(n, 1)`` float32 of 0/1 for the binary ones.
    """
    rng = np.random.default_rng(seed)
    if workload == "mlp":
        x = rng.random((n, MLP_FEATURES), dtype=np.float32)
        return [x], _one_hot(rng.integers(0, MLP_CLASSES, n), MLP_CLASSES)
    if workload == "lstm":
        x = rng.integers(1, LSTM_VOCAB, (n, dims.seq_len)).astype(np.int32)
        return [x], rng.integers(0, 2, (n, 1)).astype(np.float32)
    if workload == "cnn":
        x = rng.random((n, dims.image, dims.image, 3), dtype=np.float32)
        return [x], _one_hot(rng.integers(0, CNN_CLASSES, n), CNN_CLASSES)
    if workload == "transformer":
        tokens = rng.integers(1, TF_VOCAB, (n, dims.seq_len)).astype(np.int32)
        positions = np.broadcast_to(np.arange(dims.seq_len, dtype=np.int32), tokens.shape).copy()
        return [tokens, positions], rng.integers(0, 2, (n, 1)).astype(np.float32)
    raise ValueError(f"workload must be one of {WORKLOADS}. Received: workload={workload!r}")


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros((labels.shape[0], classes), dtype=np.float32)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


# ------------------------------------------------------------------------- Keras-API models ---


def build_keras_model(keras, layers, workload: str, dims: Dims = Dims(), **compile_kwargs):
    """Build and compile ``workload`` with the Keras API of ``keras``.

    Args:
        keras: ``ketorch`` or ``keras`` (with its backend already chosen).
        layers: the layers namespace to use (normally ``keras.layers``).
        workload: one of ``WORKLOADS``.
        dims: input sizes.
        **compile_kwargs: extra ``model.compile`` arguments (``jit_compile=True`` for the
            ``ketorch-jit`` row).

    Returns:
        A compiled model.
    """
    if workload == "mlp":
        inputs = keras.Input(shape=(MLP_FEATURES,))
        x = layers.Dense(64, activation="relu")(inputs)
        x = layers.Dense(64, activation="relu")(x)
        outputs = layers.Dense(MLP_CLASSES, activation="softmax")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(
            optimizer="rmsprop",
            loss="categorical_crossentropy",
            metrics=["accuracy"],
            **compile_kwargs,
        )
        return model
    if workload == "lstm":
        model = keras.Sequential(
            [
                keras.Input(shape=(dims.seq_len,), dtype="int32"),
                layers.Embedding(LSTM_VOCAB, 128),
                layers.LSTM(64),
                layers.Dropout(0.5),
                layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(
            optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"], **compile_kwargs
        )
        return model
    if workload == "cnn":
        model = keras.Sequential(
            [
                keras.Input(shape=(dims.image, dims.image, 3)),
                layers.Conv2D(32, 5, strides=2, activation="relu"),
                layers.Conv2D(32, 3, activation="relu"),
                layers.MaxPooling2D(3),
                layers.Flatten(),
                layers.Dense(CNN_CLASSES, activation="softmax"),
            ]
        )
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", **compile_kwargs)
        return model
    if workload == "transformer":
        # Positions come in as a second input, so the model needs layers only (no backend ops).
        tokens = keras.Input(shape=(dims.seq_len,), dtype="int32", name="tokens")
        positions = keras.Input(shape=(dims.seq_len,), dtype="int32", name="positions")
        x = layers.Add()(
            [
                layers.Embedding(TF_VOCAB, TF_EMBED)(tokens),
                layers.Embedding(dims.seq_len, TF_EMBED)(positions),
            ]
        )
        attn = layers.MultiHeadAttention(num_heads=TF_HEADS, key_dim=TF_KEY_DIM)(x, x)
        attn = layers.Dropout(0.1)(attn)
        x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attn]))
        ffn = layers.Dense(TF_FF, activation="relu")(x)
        ffn = layers.Dense(TF_EMBED)(ffn)
        ffn = layers.Dropout(0.1)(ffn)
        x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, ffn]))
        x = layers.GlobalAveragePooling1D()(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)
        model = keras.Model(inputs=[tokens, positions], outputs=outputs)
        model.compile(
            optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"], **compile_kwargs
        )
        return model
    raise ValueError(f"workload must be one of {WORKLOADS}. Received: workload={workload!r}")


# Layers each Keras-API workload needs; a missing one means the workload is skipped.
LAYERS_NEEDED = {
    "mlp": ("Dense",),
    "lstm": ("Embedding", "LSTM", "Dropout", "Dense"),
    "cnn": ("Conv2D", "MaxPooling2D", "Flatten", "Dense"),
    "transformer": (
        "Add",
        "Embedding",
        "MultiHeadAttention",
        "Dropout",
        "LayerNormalization",
        "Dense",
        "GlobalAveragePooling1D",
    ),
}


# ------------------------------------------------------------------------ hand-written torch ---


def build_torch_model(workload: str, dims: Dims = Dims()):
    """The idiomatic PyTorch module for ``workload`` with input sizes ``dims``.

    The modules return logits (softmax/sigmoid are folded into the loss, as PyTorch code
    usually does); images are NCHW in channels_last memory (a view of the NHWC data, no copy).

    Returns:
        ``(module, kind)`` where ``kind`` is ``"multiclass"`` or ``"binary"``.
    """
    import torch
    from torch import nn

    if workload == "mlp":
        net = nn.Sequential(
            nn.Linear(MLP_FEATURES, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, MLP_CLASSES),
        )
        return net, "multiclass"
    if workload == "lstm":

        class LSTMClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(LSTM_VOCAB, 128)
                self.lstm = nn.LSTM(128, 64, batch_first=True)
                self.drop = nn.Dropout(0.5)
                self.out = nn.Linear(64, 1)

            def forward(self, x):
                _, (h, _) = self.lstm(self.embed(x))
                return self.out(self.drop(h[-1]))

        return LSTMClassifier(), "binary"
    if workload == "cnn":
        side = ((dims.image - 5) // 2 + 1 - 2) // 3
        net = nn.Sequential(
            nn.Conv2d(3, 32, 5, stride=2),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(3),
            nn.Flatten(),
            nn.Linear(32 * side * side, CNN_CLASSES),
        )
        return net.to(memory_format=torch.channels_last), "multiclass"
    if workload == "transformer":

        class TransformerClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.tok = nn.Embedding(TF_VOCAB, TF_EMBED)
                self.pos = nn.Embedding(dims.seq_len, TF_EMBED)
                self.attn = nn.MultiheadAttention(TF_EMBED, TF_HEADS, batch_first=True)
                self.drop1 = nn.Dropout(0.1)
                self.norm1 = nn.LayerNorm(TF_EMBED, eps=1e-6)
                self.ffn = nn.Sequential(
                    nn.Linear(TF_EMBED, TF_FF), nn.ReLU(), nn.Linear(TF_FF, TF_EMBED)
                )
                self.drop2 = nn.Dropout(0.1)
                self.norm2 = nn.LayerNorm(TF_EMBED, eps=1e-6)
                self.out = nn.Linear(TF_EMBED, 1)

            def forward(self, tokens):
                pos = torch.arange(tokens.shape[1], device=tokens.device)
                x = self.tok(tokens) + self.pos(pos)
                a, _ = self.attn(x, x, x, need_weights=False)
                x = self.norm1(x + self.drop1(a))
                x = self.norm2(x + self.drop2(self.ffn(x)))
                return self.out(x.mean(dim=1))

        return TransformerClassifier(), "binary"
    raise ValueError(f"workload must be one of {WORKLOADS}. Received: workload={workload!r}")
