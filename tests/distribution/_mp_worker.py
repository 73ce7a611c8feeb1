"""One process of the 2-process ModelParallel test (started by torchrun).

Usage: ``_mp_worker.py OUT_DIR``: for a 1-D mesh (``OUT_DIR/1d``) and a 2-D one
(``OUT_DIR/2d``), trains the model of :func:`build` with kernels split
over a 2-device mesh, records the local weight shapes during training, and writes the
history, final weights and predictions to OUT_DIR/rank{R}.npz|json; rank 0 also saves
``model.keras`` and ``model.weights.h5`` after fit, and its ModelCheckpoints write
``epoch{1,2}.weights.h5`` and ``ckpt.keras`` during fit. The distribution is set before
the model is built, so the split weights hold only their pieces from creation on (recorded
with the predictions before fit).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # the repository root

import ketorch as keras  # noqa: E402

N, BATCH, EPOCHS = 51, 8, 2  # 7 global batches; the last one (3 samples) splits 2 / 1
UNITS = 9  # odd: the kernels split unevenly (5 / 4 columns)


def data():
    rng = np.random.RandomState(0)
    return rng.rand(N, 6).astype("float32"), rng.randint(0, 3, N)


def build(seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(UNITS, activation="relu", name="dense_a"),
            keras.layers.Dense(UNITS, activation="tanh", name="dense_b"),
            keras.layers.Dense(3, activation="softmax", name="head"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def layout_map(mesh):
    layouts = keras.distribution.LayoutMap(mesh)
    layouts[".*dense.*kernel"] = (None, "model")  # columns split
    layouts[".*dense.*bias"] = ("model",)
    layouts[".*head.*kernel"] = ("model", None)  # rows split
    return layouts


class LocalShapes(keras.callbacks.Callback):
    """The weight shapes this process holds in the middle of training."""

    def __init__(self):
        super().__init__()
        self.shapes = None
        self.regathers = 0  # whole weights gathered again in backward (not kept from forward)

    def on_train_batch_end(self, batch, logs=None):
        if self.shapes is None:
            self.shapes = [list(w.shape) for w in self.model.weights]
        self.regathers = self.model._runtime.regathers


def created_pieces(model):
    """Per weight, right after building: its shape, element count, storage element count,
    and whether it is a view of a larger tensor."""
    out = []
    for w in model.weights:
        storage = w.untyped_storage().nbytes() // w.element_size()
        out.append([list(w.shape), w.numel(), storage, w._base is not None])
    return out


def main(root):
    for mesh_kind in ("1d", "2d"):
        out = os.path.join(root, mesh_kind)
        os.makedirs(out, exist_ok=True)
        run(out, mesh_kind)


def run(out, mesh_kind):
    rank = int(os.environ["RANK"])
    if mesh_kind == "1d":  # batch and weights split over the same axis (FSDP-like)
        mesh = keras.distribution.DeviceMesh((2,), ["model"])
        dist = keras.distribution.ModelParallel(layout_map=layout_map(mesh))
    else:  # one data shard, weights split over "model" (tensor-parallel-like)
        mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"])
        dist = keras.distribution.ModelParallel(layout_map=layout_map(mesh), batch_dim_name="batch")
    keras.distribution.set_distribution(dist)
    x, y = data()
    stdout = open(os.path.join(out, f"stdout{rank}.txt"), "w")  # noqa: SIM115
    with contextlib.redirect_stdout(stdout):
        model = build()
        created = created_pieces(model)
        pred_before = model.predict(x, batch_size=BATCH, verbose=0)
        shapes = LocalShapes()
        # Checkpoints written during fit, from whole weights gathered from the shards.
        ckpts = [
            keras.callbacks.ModelCheckpoint(os.path.join(out, "epoch{epoch}.weights.h5"),
                                            save_weights_only=True),
            keras.callbacks.ModelCheckpoint(os.path.join(out, "ckpt.keras")),
        ]  # fmt: skip
        hist = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
                         validation_data=(x[:21], y[:21]), callbacks=[shapes, *ckpts])  # fmt: skip
        ev = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
        pred = model.predict(x, batch_size=BATCH, verbose=0)
        # Every process joins the gather of the whole weights; rank 0 writes.
        model.save(os.path.join(out, "model.keras"))
        model.save_weights(os.path.join(out, "model.weights.h5"))
        # Loading whole weights into a model split from creation keeps the pieces.
        again = build(seed=7)
        again.load_weights(os.path.join(out, "model.weights.h5"))
        pred_loaded = again.predict(x, batch_size=BATCH, verbose=0)
        loaded_shapes = [list(w.shape) for w in again.weights]
    stdout.close()
    layout = keras.distribution.TensorLayout((None, "model"), mesh)
    piece = keras.distribution.distribute_tensor(np.arange(12.0).reshape(3, 4), layout)
    np.savez(os.path.join(out, f"rank{rank}.npz"), *model.get_weights(), pred=pred,
             piece=piece.to_local().numpy(), whole=piece.full_tensor().numpy(),
             pred_before=pred_before, pred_loaded=pred_loaded)  # fmt: skip
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(
            {
                "history": hist.history,
                "evaluate": ev,
                "shapes": shapes.shapes,
                "regathers": shapes.regathers,
                "created": created,
                "loaded_shapes": loaded_shapes,
            },
            f,
        )


if __name__ == "__main__":
    main(sys.argv[1])
