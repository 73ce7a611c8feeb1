"""The seed workflow, start to result, as a user runs it: one fresh process per impl.

What the README's first example does, on synthetic MNIST-shaped data: import the framework,
make 30,000 samples of 784 features and 10 one-hot classes (numpy, seed 0), split them with
scikit-learn's ``train_test_split`` (20 % test), build the Functional MLP 784-64-64-10 (relu,
relu, softmax), compile it with rmsprop / categorical crossentropy / accuracy, ``fit`` 5 epochs at
batch 32 with ``validation_split=0.2``, ``evaluate`` on the test split and ``predict`` it.

``bench/run.py`` starts this script and measures the whole process from the outside (start to
exit, wall time; peak RSS from ``wait4``), so interpreter start-up and every import count, as for
a user. The script also prints one ``SEED_RESULT {json}`` line with its own phase times, for
diagnosis. Keras's default ``verbose`` is kept (its progress output goes to run.py's pipe); the
``torch`` impl prints one line per epoch, as a hand-written loop would.

Usage:
    python bench/seed_workflow.py --impl ketorch [--samples 30000] [--epochs 5] [--threads N]
"""

from __future__ import annotations

import time

_T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

SEED_IMPLS = ("ketorch", "keras-jax", "keras-tensorflow", "keras-torch", "torch")
MARKER = "SEED_RESULT "
FEATURES, CLASSES = 784, 10


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", required=True, choices=SEED_IMPLS + ("ketorch-jit",))
    p.add_argument("--samples", type=int, default=30000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    return p.parse_args(argv)


def _set_env(impl: str, threads: int | None) -> None:
    """Thread and backend variables, set before any framework is imported (as worker.py does)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from worker import _set_env as set_env

    set_env(impl, "cpu", threads)


def make_data(n: int):
    """``n`` MNIST-shaped samples: float32 pixels in [0, 1) and one-hot labels (numpy, seed 0)."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((n, FEATURES), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, n)]
    return x, y


def split(x, y, notes):
    """scikit-learn's ``train_test_split`` (20 % test, seed 0); numpy's equivalent without it."""
    try:
        from sklearn.model_selection import train_test_split
    except ImportError:
        import numpy as np

        notes.append("scikit-learn not installed: split with a numpy permutation")
        perm = np.random.default_rng(0).permutation(len(x))
        n_test = int(np.ceil(0.2 * len(x)))
        test, train = perm[:n_test], perm[n_test:]
        return x[train], x[test], y[train], y[test]
    return train_test_split(x, y, test_size=0.2, random_state=0)


def run_keras(args, phases, out):
    t = time.perf_counter()
    if args.impl.startswith("ketorch"):
        import ketorch as keras
        from ketorch.layers import Dense
    else:
        import keras
        from keras.layers import Dense
    phases["import_framework_s"] = time.perf_counter() - t

    t = time.perf_counter()
    x, y = make_data(args.samples)
    x_train, x_test, y_train, y_test = split(x, y, out["notes"])
    phases["data_s"] = time.perf_counter() - t

    t = time.perf_counter()
    inputs = keras.Input(shape=(FEATURES,))
    h = Dense(64, activation="relu")(inputs)
    h = Dense(64, activation="relu")(h)
    outputs = Dense(CLASSES, activation="softmax")(h)
    model = keras.Model(inputs=inputs, outputs=outputs)
    extra = {"jit_compile": True} if args.impl == "ketorch-jit" else {}
    model.compile(
        optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"], **extra
    )
    phases["build_s"] = time.perf_counter() - t

    t = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.2)
    phases["fit_s"] = time.perf_counter() - t

    t = time.perf_counter()
    loss, acc = model.evaluate(x_test, y_test)
    phases["evaluate_s"] = time.perf_counter() - t

    t = time.perf_counter()
    pred = model.predict(x_test)
    phases["predict_s"] = time.perf_counter() - t
    out["test_loss"], out["test_accuracy"] = float(loss), float(acc)
    out["val_accuracy"] = float(history.history["val_accuracy"][-1])
    out["predict_shape"] = list(pred.shape)


def run_torch(args, phases, out):
    """The same workflow as a PyTorch user writes it by hand."""
    t = time.perf_counter()
    import torch
    from torch import nn

    phases["import_framework_s"] = time.perf_counter() - t

    t = time.perf_counter()
    x, y = make_data(args.samples)
    x_train, x_test, y_train, y_test = split(x, y, out["notes"])
    phases["data_s"] = time.perf_counter() - t

    t = time.perf_counter()
    model = nn.Sequential(
        nn.Linear(FEATURES, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, CLASSES),  # logits: the softmax is in the loss
    )
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    phases["build_s"] = time.perf_counter() - t

    def tensors(a, b):
        return torch.from_numpy(a), torch.from_numpy(b).argmax(dim=1)

    @torch.no_grad()
    def evaluate(xs, ys, batch_size=32):
        model.eval()
        total, correct = 0.0, 0
        for i in range(0, len(xs), batch_size):
            logits = model(xs[i : i + batch_size])
            total += loss_fn(logits, ys[i : i + batch_size]).item() * len(logits)
            correct += (logits.argmax(dim=1) == ys[i : i + batch_size]).sum().item()
        return total / len(xs), correct / len(xs)

    t = time.perf_counter()
    # validation_split=0.2: the last 20 % of the training data, before shuffling (as Keras).
    n_val = int(0.2 * len(x_train))
    xt, yt = tensors(x_train[:-n_val], y_train[:-n_val])
    xv, yv = tensors(x_train[-n_val:], y_train[-n_val:])
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xt))
        total, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
        for i in range(0, len(xt), 32):
            idx = perm[i : i + 32]
            xb, yb = xt[idx], yt[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            with torch.no_grad():
                total += loss.detach() * len(xb)
                correct += (logits.argmax(dim=1) == yb).sum()
        val_loss, val_acc = evaluate(xv, yv)
        print(
            f"epoch {epoch + 1}/{args.epochs}: loss {total.item() / len(xt):.4f} "
            f"acc {correct.item() / len(xt):.4f} val_loss {val_loss:.4f} val_acc {val_acc:.4f}"
        )
    phases["fit_s"] = time.perf_counter() - t

    t = time.perf_counter()
    xs, ys = tensors(x_test, y_test)
    loss, acc = evaluate(xs, ys)
    print(f"test loss {loss:.4f} accuracy {acc:.4f}")
    phases["evaluate_s"] = time.perf_counter() - t

    t = time.perf_counter()
    model.eval()
    with torch.inference_mode():
        pred = torch.cat([model(xs[i : i + 32]).softmax(dim=1) for i in range(0, len(xs), 32)])
        pred = pred.numpy()
    phases["predict_s"] = time.perf_counter() - t
    out["test_loss"], out["test_accuracy"] = float(loss), float(acc)
    out["val_accuracy"] = float(val_acc)
    out["predict_shape"] = list(pred.shape)


def main(argv=None) -> int:
    args = _parse(argv)
    _set_env(args.impl, args.threads)
    phases = {"python_start_to_main_s": time.perf_counter() - _T_START}
    out = {"impl": args.impl, "samples": args.samples, "epochs": args.epochs, "notes": []}
    if args.impl == "torch":
        run_torch(args, phases, out)
    else:
        run_keras(args, phases, out)
    out["phases"] = phases
    out["in_process_s"] = time.perf_counter() - _T_START
    out["peak_rss_mb_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n" + MARKER + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
