"""Every public name of Keras 3's modules exists in ketorch, unless excluded with a reason.

The exclusions live in docs/api_exclusions.txt (``keras.<module>.<name>: <reason>``).
"""

import importlib
import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

MODULES = ["", "ops", "ops.nn", "ops.numpy", "ops.image", "ops.linalg", "random", "tree", "backend",
           "config", "layers", "losses", "metrics", "optimizers", "optimizers.schedules",
           "activations", "initializers", "regularizers", "constraints", "callbacks", "models",
           "saving", "utils", "datasets", "applications", "preprocessing", "mixed_precision",
           "distribution", "export", "quantizers", "visualization", "wrappers", "dtype_policies",
           "legacy"]  # fmt: skip
EXCLUSIONS_FILE = Path(__file__).resolve().parents[1] / "docs" / "api_exclusions.txt"


def _exclusions():
    out = {}
    for line in EXCLUSIONS_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(":")
        assert reason.strip(), f"exclusion without a reason: {line!r}"
        out[name.strip()] = reason.strip()
    return out


def _public(module):
    return sorted(n for n in dir(module) if not n.startswith("_"))


def _resolve(root, path):
    obj = root
    for part in filter(None, path.split(".")):
        obj = getattr(obj, part)
    return obj


def _ours(module):
    """ketorch's counterpart of ``keras.<module>`` (an empty namespace when it is missing)."""
    import types

    import ketorch

    try:
        return _resolve(ketorch, module)
    except AttributeError:
        try:
            return importlib.import_module(f"ketorch.{module}")
        except ModuleNotFoundError:
            return types.SimpleNamespace()


def coverage():
    """(present, total, missing names) over MODULES."""

    excluded = _exclusions()
    present = total = 0
    missing = []
    for mod in MODULES:
        theirs = _resolve(keras, mod)
        ours = _ours(mod)
        for name in _public(theirs):
            total += 1
            full = f"keras.{mod}.{name}" if mod else f"keras.{name}"
            if hasattr(ours, name):
                present += 1
            elif full not in excluded:
                missing.append(full)
    return present, total, missing


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_exists(module):

    excluded = _exclusions()
    ours = _ours(module)
    theirs = _resolve(keras, module)
    prefix = f"keras.{module}." if module else "keras."
    missing = [
        prefix + n for n in _public(theirs) if not hasattr(ours, n) and prefix + n not in excluded
    ]
    assert not missing, f"{len(missing)} public Keras names missing in ketorch: {missing}"


def test_exclusions_are_not_stale():

    for full in _exclusions():
        mod, _, name = full[len("keras.") :].rpartition(".")
        assert hasattr(_resolve(keras, mod), name), f"{full} is not a Keras name (stale line)"
        assert not hasattr(_ours(mod), name), f"{full} exists now: drop the line"


def test_op_signatures_match_keras():
    """Every op takes Keras's parameters, in Keras's order, with Keras's defaults."""
    import inspect

    import ketorch

    mismatched = []
    for mod in ("ops", "ops.nn", "ops.image", "ops.linalg", "random"):
        theirs, ours = _resolve(keras, mod), _resolve(ketorch, mod)
        for name in _public(theirs):
            a, b = getattr(theirs, name), getattr(ours, name, None)
            if b is None or not inspect.isfunction(a) or not callable(b) or inspect.isclass(b):
                continue
            try:
                sa = [(p.name, p.default) for p in inspect.signature(a).parameters.values()]
                sb = [(p.name, p.default) for p in inspect.signature(b).parameters.values()]
            except (TypeError, ValueError):
                continue
            names_a, names_b = [p for p, _ in sa], [p for p, _ in sb]
            if names_a != names_b:
                mismatched.append(f"{mod}.{name}: {names_a} != {names_b}")
                continue
            for (p, da), (_, db) in zip(sa, sb):
                if da is inspect.Parameter.empty or db is inspect.Parameter.empty:
                    if (da is inspect.Parameter.empty) != (db is inspect.Parameter.empty):
                        mismatched.append(f"{mod}.{name}: default of {p}")
                elif not _same_default(da, db):
                    mismatched.append(f"{mod}.{name}: default of {p} {db!r} != Keras {da!r}")
    assert not mismatched, "\n".join(mismatched)


def _same_default(a, b):
    try:
        return bool(a == b) or (isinstance(a, (list, tuple)) and list(a) == list(b))
    except Exception:  # noqa: BLE001 - e.g. arrays
        return type(a) is type(b)


if __name__ == "__main__":
    p, t, m = coverage()
    print(f"{p}/{t} public names of keras.{{{', '.join(MODULES)}}}; missing: {m}")
