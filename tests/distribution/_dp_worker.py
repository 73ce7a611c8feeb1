"""One process of the 2-process DataParallel test (started by torchrun or by spawn).

Usage: ``_dp_worker.py OUT_DIR`` (train + evaluate + predict, results in OUT_DIR/rank{R}.npz)
or ``_dp_worker.py OUT_DIR die`` (rank 1 exits during the second epoch).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # the repository root

import ketorch as keras  # noqa: E402

N, BATCH = 51, 8  # 7 global batches; the last one (3 samples) splits 2 / 1


def data():
    rng = np.random.RandomState(0)
    x = rng.rand(N, 4).astype("float32")
    y = rng.randint(0, 3, N)
    return x, y


def build(seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


class CustomStep(keras.Model):
    """Keras 3's custom ``train_step(self, data)`` with ``optimizer.apply`` (the guide's form)."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        loss = self.compute_loss(y=y, y_pred=self(x, training=True))
        loss.backward()
        self.optimizer.apply([v.value.grad for v in self.trainable_weights])
        return {"loss": loss.detach()}


def build_custom():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    model = CustomStep(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.set_weights(build().get_weights())
    return model


class Batches(keras.utils.PyDataset):
    """Local batches of 4: global step k = batches 2k (rank 0) and 2k+1 (rank 1)."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return int(np.ceil(len(self.x) / 4))

    def __getitem__(self, i):
        return self.x[i * 4 : (i + 1) * 4], self.y[i * 4 : (i + 1) * 4]


class BatchLosses(keras.callbacks.Callback):
    """Records the running loss after every training batch (global under DataParallel)."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


class DieAt(keras.callbacks.Callback):
    """Rank 1 exits (``die``) or stops answering for 20 s (``stall``) in epoch 2."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1 and keras.distribution.get_rank() == 1:
            if self.mode == "stall":
                time.sleep(20)
            os._exit(3)


def main(out, mode="train"):
    rank = int(os.environ["RANK"])
    x, y = data()
    stdout = open(os.path.join(out, f"stdout{rank}.txt"), "w")  # noqa: SIM115
    with contextlib.redirect_stdout(stdout):
        if mode in ("die", "stall"):
            keras.distribution.set_distribution(keras.distribution.DataParallel(timeout=3))
            model = build()
            start = time.time()
            try:
                model.fit(x, y, batch_size=BATCH, epochs=3, verbose=0, callbacks=[DieAt(mode)])
            except keras.distribution.DistributedError as e:
                with open(os.path.join(out, f"error{rank}.json"), "w") as f:
                    json.dump({"message": str(e), "elapsed": time.time() - start}, f)
                return
            return
        if os.environ.get("DP_DEVICE"):  # e.g. cuda:0 for every process, with DP_BACKEND
            keras.distribution.set_distribution(
                keras.distribution.DataParallel(
                    devices=[os.environ["DP_DEVICE"]], backend=os.environ.get("DP_BACKEND")
                )
            )
        model = build()
        ckpt = keras.callbacks.ModelCheckpoint(os.path.join(out, f"ckpt{rank}.weights.h5"),
                                               save_weights_only=True)  # fmt: skip
        csv = keras.callbacks.CSVLogger(os.path.join(out, f"log{rank}.csv"))
        batch_losses = BatchLosses()
        hist = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=1,
                         callbacks=[ckpt, csv, batch_losses], validation_data=(x[:21], y[:21]))  # fmt: skip
        ev = model.evaluate(x, y, batch_size=BATCH, verbose=1, return_dict=True)
        pred = model.predict(x, batch_size=BATCH, verbose=0)
        weights = model.get_weights()

        stream_model = build()
        stream_hist = stream_model.fit(Batches(x[:48], y[:48]), epochs=2, shuffle=False, verbose=0)
        stream_pred = stream_model.predict(Batches(x, y), verbose=0)

        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=True, verbose=0)
        shuffled = model.get_weights()

        custom = build_custom()
        custom.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    stdout.close()
    np.savez(
        os.path.join(out, f"rank{rank}.npz"),
        *weights,
        pred=pred,
        stream_pred=stream_pred,
        shuffled=np.concatenate([w.ravel() for w in shuffled]),
        stream_weights=np.concatenate([w.ravel() for w in stream_model.get_weights()]),
        custom_weights=np.concatenate([w.ravel() for w in custom.get_weights()]),
    )
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump({"history": hist.history, "evaluate": ev,
                   "stream_history": stream_hist.history,
                   "batch_losses": batch_losses.losses}, f)  # fmt: skip


def spawn_entry(rank, world, port, out, mode):
    """Entry point for torch.multiprocessing.spawn (sets torchrun's variables by hand)."""
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), KETORCH_DEVICE="cpu",
    )  # fmt: skip
    main(out, mode)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "train")
