"""The training job of the crash test; run in a child process as `train(out_dir, mode)`.

``mode`` is ``full`` (no backup, no interruption), ``kill_batch`` (SIGKILL in the
middle of epoch 3), ``kill_save`` (SIGKILL while this run's second backup is being
written, before it is renamed into place) or ``resume`` (run to the end). All but
``full`` use BackupAndRestore in ``out_dir/backup``.
"""

import os
import signal
import sys

import numpy as np


def train(out_dir, mode):
    import ketorch
    from ketorch.callbacks.backup_and_restore import BackupAndRestore
    from ketorch.callbacks.callback import Callback
    from ketorch.saving import h5_io

    ketorch.utils.set_random_seed(42)
    x = np.random.rand(64, 6).astype("float32")
    y = (x.sum(1) > 3).astype("float32")[:, None]
    model = ketorch.Sequential(
        [
            ketorch.Input((6,)),
            ketorch.layers.Dense(16, activation="relu"),
            ketorch.layers.Dropout(0.3),
            ketorch.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(ketorch.optimizers.Adam(0.01), "binary_crossentropy")

    class Killer(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if mode == "kill_batch" and self.epoch == 2 and batch == 3:
                os.kill(os.getpid(), signal.SIGKILL)

    if mode == "kill_save":
        original = h5_io.write_weights
        calls = []

        def write_then_die(root, m, include_optimizer=True):
            original(root, m, include_optimizer)
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)

        h5_io.write_weights = write_then_die

    callbacks = [Killer()]
    if mode != "full":
        callbacks.insert(0, BackupAndRestore(os.path.join(out_dir, "backup")))
    model.fit(x, y, batch_size=8, epochs=6, callbacks=callbacks, verbose=0)
    np.savez(os.path.join(out_dir, f"final_{mode}.npz"), *model.get_weights())


if __name__ == "__main__":
    train(sys.argv[1], sys.argv[2])
