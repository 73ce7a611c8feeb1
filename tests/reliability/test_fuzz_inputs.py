"""Bad input, found by machine: hypothesis throws random arguments at the public API.

Every call must either work or raise ``ValueError``/``TypeError`` whose message
names one of the arguments that were varied. Anything else (a raw torch
``RuntimeError``/``IndexError``, a hang past the alarm) is a failure. Each test
runs its own sweep into its own ``Sweep`` recorder and asserts its own findings
at the end (all failures listed, not just the first), so every test checks
something when run alone, with ``-k`` or on any worker. Bugs that are known and
not yet fixed are listed in ``KNOWN`` and filtered out by their signature; the
reproducers of the bugs found and fixed so far are the ``test_fixed_*`` tests.

Run with ``-s`` to print the number of distinct cases per target.
"""

from __future__ import annotations

import collections
import contextlib
import inspect
import re
import signal
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ketorch as keras
from ketorch import layers as L

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
    derandomize=True,
)
CALL_TIMEOUT_S = 20

# (target, exception type, message regex) of known, unfixed bugs. Empty: every bug this
# sweep found was fixed (their reproducers are the test_fixed_* tests at the bottom).
KNOWN: list[tuple[str, str, str]] = []


@contextlib.contextmanager
def _alarm(seconds):
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(f"call did not finish in {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _names_one_of(message, names):
    low = message.lower()
    # `beta_regularizer=-3` may be reported as `regularizer=-3` by the shared resolver.
    names = list(names) + [
        n.rsplit("_", 1)[1]
        for n in names
        if n.endswith(("_regularizer", "_initializer", "_constraint", "_activation"))
    ]
    for name in names:
        n = name.lower()
        if re.search(rf"(?<![a-z0-9_]){re.escape(n)}(?![a-z0-9_])", low):
            return True
    return False


def _known(target, exc):
    return any(
        t == target and type(exc).__name__ == e and re.search(pattern, str(exc))
        for t, e, pattern in KNOWN
    )


class Sweep:
    """One test's record: distinct cases, outcomes and contract failures per target."""

    def __init__(self):
        self.cases: dict[str, set] = collections.defaultdict(set)
        self.outcomes: collections.Counter = collections.Counter()
        self.failures: dict[str, list] = collections.defaultdict(list)

    def attempt(self, target, fn, names, case):
        """Run ``fn()``; classify the outcome; collect anything that breaks the contract."""
        self.cases[target].add(case)
        try:
            with _alarm(CALL_TIMEOUT_S), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fn()
            self.outcomes[(target, "ok")] += 1
            return result
        except (ValueError, TypeError, NotImplementedError) as exc:
            # (Keras raises NotImplementedError for an unsupported mode such as
            # `interpolation=`; it must still name the argument.)
            self.outcomes[(target, "rejected")] += 1
            if not _names_one_of(str(exc), names) and not _known(target, exc):
                self.failures[target].append(("unnamed", case, exc))
        except Exception as exc:  # noqa: BLE001 - this is what the sweep looks for
            self.outcomes[(target, "raw")] += 1
            if not _known(target, exc):
                self.failures[target].append(("raw", case, exc))
        return None

    def check(self, **min_cases):
        """Print the counts, then fail on any contract failure or a sweep that saw too little.

        ``min_cases`` maps each target this test sweeps to the fewest distinct cases it
        must have seen (a strategy that collapses would otherwise pass unnoticed).
        """
        lines = [f"{'target':32s} {'distinct':>8s} {'ok':>6s} {'rejected':>8s} {'raw':>5s}"]
        for target in sorted(self.cases):
            lines.append(
                f"{target:32s} {len(self.cases[target]):8d} {self.outcomes[(target, 'ok')]:6d} "
                f"{self.outcomes[(target, 'rejected')]:8d} {self.outcomes[(target, 'raw')]:5d}"
            )
        print("\n" + "\n".join(lines))
        problems = []
        for target, found in sorted(self.failures.items()):
            seen, shown = set(), []
            for kind, case, exc in found:
                sig = (kind, type(exc).__name__, re.sub(r"\d+", "N", str(exc))[:120])
                if sig not in seen:
                    seen.add(sig)
                    shown.append(f"[{kind}] {case}\n    {type(exc).__name__}: {str(exc)[:300]}")
            problems.append(f"{len(found)} contract failures in {target}:\n" + "\n".join(shown))
        for target, least in min_cases.items():
            if len(self.cases[target]) < least:
                problems.append(
                    f"{target}: only {len(self.cases[target])} distinct cases (want >= {least})"
                )
        if problems:
            pytest.fail("\n".join(problems))


# ------------------------------------------------------------------ strategies
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 12),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(
        [
            "",
            "relu",
            "same",
            "valid",
            "causal",
            "foo",
            "float32",
            "int32",
            "float16",
            "bool",
            "channels_first",
            "channels_last",
            "glorot_uniform",
            "zeros",
            "l2",
            "max_norm",
            "sum",
            "concat",
            "mean",
            "mul",
            "ave",
            "pre",
            "post",
            "int",
            "one_hot",
            "tf_idf",
        ]
    ),  # fmt: skip
)
VALUES = st.one_of(
    SCALARS,
    st.tuples(st.integers(-2, 4)),
    st.tuples(st.integers(-2, 4), st.integers(-2, 4)),
    st.tuples(st.integers(-1, 3), st.integers(-1, 3), st.integers(-1, 3)),
    st.lists(st.one_of(st.integers(-1, 4), st.none()), max_size=3),
    st.just(object()),
    st.just({"a": 1}),
    st.just(np.float32(1.5)),
)

DTYPES = ["float32", "float64", "float16", "int32", "int64", "uint8", "bool", "object", "str"]


@st.composite
def arrays(draw, n=None, max_rank=3, dtypes=DTYPES):
    dtype = draw(st.sampled_from(dtypes))
    rank = draw(st.integers(0, max_rank))
    shape = [draw(st.integers(0, 5)) for _ in range(rank)]
    if n is not None and rank:
        shape[0] = n
    size = int(np.prod(shape)) if shape else 1
    if dtype == "object":
        items = draw(
            st.lists(st.one_of(st.integers(0, 3), st.text(max_size=2), st.none()),
                     min_size=size, max_size=size)
        )  # fmt: skip
        a = np.empty(size, dtype=object)
        a[:] = items
        return a.reshape(shape)
    if dtype == "str":
        return np.array(draw(st.lists(st.text(max_size=3), min_size=size, max_size=size)),
                        dtype=str).reshape(shape)  # fmt: skip
    if dtype.startswith("float"):
        vals = draw(
            st.lists(st.floats(allow_nan=True, allow_infinity=True, width=16),
                     min_size=size, max_size=size)
        )  # fmt: skip
    elif dtype == "bool":
        vals = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    else:
        low = 0 if dtype.startswith("u") else -2
        vals = draw(st.lists(st.integers(low, 6), min_size=size, max_size=size))
    return np.array(vals, dtype=dtype).reshape(shape)


@st.composite
def near_valid(draw, n=6, width=4, kind="x"):
    """Mostly right-shaped data, then one corruption: dtype, NaN/inf, length, rank or range."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if kind == "x":
        a = rng.random((n, width)).astype("float32")
    elif kind == "labels":
        a = rng.integers(0, 3, size=(n,))
    else:
        a = rng.random((n, 3)).astype("float32")
    how = draw(st.sampled_from(
        ["none", "none", "float16", "int", "bool", "object", "str", "nan", "inf", "short",
         "rank+", "rank-", "wide", "neg", "big", "list", "empty"]
    ))  # fmt: skip
    if how == "float16":
        a = a.astype("float16")
    elif how == "int":
        a = a.astype("int64")
    elif how == "bool":
        a = a > 0.5
    elif how == "object":
        a = a.astype(object)
    elif how == "str":
        a = a.astype(str)
    elif how in ("nan", "inf") and a.dtype.kind == "f":
        a.flat[draw(st.integers(0, a.size - 1))] = np.nan if how == "nan" else np.inf
    elif how == "short":
        a = a[: n - 1]
    elif how == "rank+":
        a = a[..., None]
    elif how == "rank-":
        a = a.reshape(-1)[:n] if a.ndim > 1 else a[0]
    elif how == "wide" and a.ndim > 1:
        a = np.concatenate([a, a], axis=1)
    elif how == "neg":
        a = a - 5
    elif how == "big":
        a = a + 7
    elif how == "list":
        a = a.tolist()
    elif how == "empty":
        a = a[:0]
    return a


RAGGED = st.lists(st.lists(st.integers(0, 5), max_size=4), min_size=1, max_size=4)
DATA = st.one_of(
    arrays(), RAGGED, SCALARS, st.just([]), st.just(np.zeros((0, 4), "float32"))
)  # fmt: skip


def _short(v):
    if isinstance(v, np.ndarray):
        return f"ndarray{v.shape}:{v.dtype}"
    r = repr(v)
    return r if len(r) < 60 else r[:57] + "..."


def _case(**kwargs):
    return ", ".join(f"{k}={_short(v)}" for k, v in kwargs.items())


# ------------------------------------------------------------------ Input / Sequential
SHAPES = st.one_of(
    VALUES,
    st.tuples(st.one_of(st.none(), st.integers(-2, 5))),
    st.tuples(st.one_of(st.none(), st.integers(-2, 5)), st.one_of(st.none(), st.integers(1, 5))),
)


def test_fuzz_input():
    sweep = Sweep()

    @SETTINGS
    @given(
        shape=SHAPES,
        dtype=st.one_of(st.sampled_from(DTYPES + ["int8", "float8", "bfloat16"]), VALUES),
        batch_size=st.one_of(st.none(), st.integers(-2, 4), VALUES),
        name=st.one_of(st.none(), st.text(max_size=4), VALUES),
    )
    def run(shape, dtype, batch_size, name):
        kwargs = {"shape": shape, "dtype": dtype, "batch_size": batch_size, "name": name}
        sweep.attempt("Input", lambda: keras.Input(**kwargs), list(kwargs), _case(**kwargs))

    run()
    sweep.check(Input=60)


LAYER_ITEMS = st.one_of(
    st.just(L.Dense(2)), st.just(L.Flatten()), SCALARS, st.just(object()), st.just(L.Dense)
)


def test_fuzz_sequential():
    sweep = Sweep()

    @SETTINGS
    @given(
        items=st.one_of(st.lists(LAYER_ITEMS, max_size=3), VALUES),
        name=st.one_of(st.none(), st.text(max_size=3), VALUES),
        trainable=st.one_of(st.booleans(), VALUES),
    )
    def run(items, name, trainable):
        kwargs = {"layers": items, "name": name, "trainable": trainable}
        sweep.attempt(
            "Sequential",
            lambda: keras.Sequential(**kwargs),
            ["layers", "layer", "name", "trainable"],
            _case(**kwargs),
        )

    run()
    sweep.check(Sequential=60)


# ------------------------------------------------------------------ layer constructors
# Layers whose constructors do not yet name every bad argument (none left).
_UNCHECKED_CONSTRUCTORS: tuple[str, ...] = ()


def _layer_classes():
    out = []
    for name in L.__all__:
        cls = getattr(L, name, None)
        if (
            inspect.isclass(cls)
            and issubclass(cls, L.Layer)
            and name not in ("InputLayer", *_UNCHECKED_CONSTRUCTORS)
        ):
            out.append(cls)
    return out


LAYER_CLASSES = _layer_classes()


def _params(cls):
    sig = inspect.signature(cls.__init__)
    return [
        p.name
        for p in list(sig.parameters.values())[1:]
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]


@st.composite
def layer_kwargs(draw):
    cls = draw(st.sampled_from(LAYER_CLASSES))
    params = _params(cls) + ["name", "dtype", "trainable"]
    keys = draw(st.lists(st.sampled_from(params), max_size=4, unique=True))
    kwargs = {k: draw(VALUES) for k in keys}
    if draw(st.integers(0, 9)) == 0:
        kwargs["not_an_argument"] = 1
    return cls, kwargs


def test_fuzz_layer_constructors():
    sweep = Sweep()

    @settings(SETTINGS, max_examples=600)
    @given(layer_kwargs())
    def run(cls_kwargs):
        cls, kwargs = cls_kwargs
        # An error may also name an argument the sweep left out when the layer needs it:
        # one without a default, or one whose ``None`` default must be replaced.
        sig_required = [
            p.name
            for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
            if p.default in (p.empty, None) and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]
        names = list(kwargs) + sig_required
        case = f"{cls.__name__}({_case(**kwargs)})"
        layer = sweep.attempt("layer constructors", lambda: cls(**kwargs), names, case)
        if layer is not None:
            # What the constructor accepted must survive a config round trip.
            sweep.attempt(
                "layer get_config/from_config",
                lambda: type(layer).from_config(layer.get_config()),
                [],
                case,
            )

    run()
    sweep.check(**{"layer constructors": 300, "layer get_config/from_config": 10})


# Each layer built with sensible arguments, then called on inputs of random rank and size.
def _default_layer(cls):
    required = {
        "units": 3, "filters": 2, "kernel_size": 2, "rate": 0.5, "stddev": 0.1,
        "input_dim": 10, "output_dim": 4, "target_shape": (-1,), "dims": (1,),
        "n": 2, "function": lambda t: t, "cell": L.SimpleRNNCell(3), "layer": L.Dense(3),
        "num_heads": 2, "key_dim": 2, "scale": 2.0, "axes": -1, "cropping": 1,
        "l1": 0.0, "num_tokens": 5, "size": 2, "padding": 1, "groups": 1,
        "pool_size": 2, "activation": "relu", "max_tokens": 5,
    }  # fmt: skip
    kwargs = {}
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            if p.name not in required:
                return None
            kwargs[p.name] = required[p.name]
    try:
        return cls(**kwargs)
    except (TypeError, ValueError):
        return None


CALLABLE_LAYERS = [
    c
    for c in LAYER_CLASSES
    if c.__name__
    not in ("Layer", "StringLookup", "IntegerLookup", "TextVectorization", "InputSpec")
]


@st.composite
def layer_inputs(draw):
    cls = draw(st.sampled_from(CALLABLE_LAYERS))
    rank = draw(st.integers(1, 5))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    dtype = draw(st.sampled_from(["float32", "float32", "int64", "float16", "bool"]))
    two = draw(st.booleans())
    return cls, shape, dtype, two


def _tensor(shape, dtype):
    t = torch.rand(shape) * 4
    return t.to(getattr(torch, dtype)) if dtype != "bool" else t > 2


LAYER_CALL_NAMES = [
    "input", "inputs", "shape", "rank", "ndim", "dim", "dimension", "axis", "dtype", "query",
    "value", "mask", "sequence", "units", "channels", "input_shape", "states", "tensors", "list",
]  # fmt: skip


def test_fuzz_layer_calls():
    sweep = Sweep()

    @settings(SETTINGS, max_examples=500)
    @given(layer_inputs())
    def run(spec):
        cls, shape, dtype, two = spec
        layer = _default_layer(cls)
        if layer is None:
            return
        x = _tensor(shape, dtype)
        arg = [x, _tensor(shape, dtype)] if two else x
        case = f"{cls.__name__}()(shape={shape}, dtype={dtype}, two_inputs={two})"
        sweep.attempt("layer calls", lambda: layer(arg), LAYER_CALL_NAMES, case)

    run()
    sweep.check(**{"layer calls": 250})


# ------------------------------------------------------------------ compile / fit / evaluate / predict
def _small_model(kind):
    model = keras.Sequential(
        [keras.Input((4,)), L.Dense(3, activation="softmax" if kind == "cls" else None)]
    )
    return model


def test_fuzz_compile():
    sweep = Sweep()

    @SETTINGS
    @given(
        optimizer=st.one_of(st.sampled_from(["adam", "sgd", "rmsprop", "nope"]), VALUES),
        loss=st.one_of(st.sampled_from(["mse", "sparse_categorical_crossentropy", "nope"]), VALUES),
        metrics=st.one_of(
            st.none(),
            st.lists(st.sampled_from(["accuracy", "mae", "nope", 3]), max_size=2),
            VALUES,
        ),
        loss_weights=st.one_of(st.none(), VALUES),
    )
    def run(optimizer, loss, metrics, loss_weights):
        kwargs = dict(optimizer=optimizer, loss=loss, metrics=metrics, loss_weights=loss_weights)

        def compile_and_fit():
            model = _small_model("reg")
            model.compile(**kwargs)
            # A compile that was accepted must also train or fail with a clear error.
            model.fit(np.zeros((4, 4), "float32"), np.zeros((4, 3), "float32"), verbose=0)

        sweep.attempt(
            "compile",
            compile_and_fit,
            ["optimizer", "loss", "metrics", "metric", "loss_weights", "learning_rate"],
            _case(**kwargs),
        )

    run()
    sweep.check(compile=60)


FIT_NAMES = ["x", "y", "input", "inputs", "data", "target", "targets", "label", "labels",
             "sample", "samples", "batch_size", "epochs", "verbose", "validation_split",
             "cardinality", "shape", "dtype", "numeric", "sparse_categorical_crossentropy"]  # fmt: skip


def test_fuzz_fit():
    sweep = Sweep()

    @SETTINGS
    @given(
        kind=st.sampled_from(["cls", "reg"]),
        x=st.one_of(near_valid(), near_valid(), arrays(n=6, dtypes=DTYPES), DATA),
        y=st.one_of(near_valid(kind="labels"), near_valid(kind="y"), arrays(n=6), DATA),
        batch_size=st.one_of(st.none(), st.none(), st.integers(-1, 8), VALUES),
        epochs=st.one_of(st.just(1), st.just(1), st.integers(-1, 2), VALUES),
        validation_split=st.one_of(st.just(0.0), st.just(0.0), st.floats(-0.5, 1.5), VALUES),
        verbose=st.one_of(st.just(0), st.just(0), VALUES),
    )
    def run(kind, x, y, batch_size, epochs, validation_split, verbose):
        kwargs = dict(
            x=x, y=y, batch_size=batch_size, epochs=epochs, validation_split=validation_split,
            verbose=verbose,
        )  # fmt: skip
        model = _small_model(kind)
        model.compile("sgd", "sparse_categorical_crossentropy" if kind == "cls" else "mse")
        case = f"{kind}: {_case(**kwargs)}"
        with contextlib.redirect_stdout(None):
            sweep.attempt("fit", lambda: model.fit(**kwargs), FIT_NAMES, case)

    run()
    sweep.check(fit=60)


def test_fuzz_evaluate():
    sweep = Sweep()

    @SETTINGS
    @given(
        kind=st.sampled_from(["cls", "reg"]),
        x=st.one_of(near_valid(), near_valid(), arrays(n=6), DATA),
        y=st.one_of(near_valid(kind="labels"), near_valid(kind="y"), arrays(n=6), DATA),
        batch_size=st.one_of(st.none(), st.integers(-1, 8), VALUES),
    )
    def run(kind, x, y, batch_size):
        kwargs = dict(x=x, y=y, batch_size=batch_size, verbose=0)
        model = _small_model(kind)
        model.compile("sgd", "sparse_categorical_crossentropy" if kind == "cls" else "mse")
        case = f"{kind}: {_case(**kwargs)}"
        sweep.attempt("evaluate", lambda: model.evaluate(**kwargs), FIT_NAMES, case)

    run()
    sweep.check(evaluate=60)


def test_fuzz_predict():
    sweep = Sweep()

    @SETTINGS
    @given(
        x=st.one_of(near_valid(), near_valid(), arrays(n=6), DATA),
        batch_size=st.one_of(st.none(), st.integers(-1, 8), VALUES),
    )
    def run(x, batch_size):
        kwargs = dict(x=x, batch_size=batch_size, verbose=0)
        model = _small_model("reg")
        sweep.attempt("predict", lambda: model.predict(**kwargs), FIT_NAMES, _case(**kwargs))
        sweep.attempt("predict_on_batch", lambda: model.predict_on_batch(x), FIT_NAMES, _case(x=x))

    run()
    sweep.check(predict=50, predict_on_batch=20)


# ------------------------------------------------------------------ utilities
def test_fuzz_pad_sequences():
    sweep = Sweep()

    @SETTINGS
    @given(
        sequences=st.one_of(RAGGED, DATA, st.lists(st.lists(st.floats(-3, 3), max_size=3))),
        maxlen=st.one_of(st.none(), st.integers(-2, 6), VALUES),
        dtype=st.one_of(st.sampled_from(["int32", "float32", "object", "str", "nope"]), VALUES),
        padding=st.one_of(st.sampled_from(["pre", "post"]), VALUES),
        truncating=st.one_of(st.sampled_from(["pre", "post"]), VALUES),
        value=st.one_of(st.just(0.0), VALUES),
    )
    def run(sequences, maxlen, dtype, padding, truncating, value):
        kwargs = dict(
            sequences=sequences, maxlen=maxlen, dtype=dtype, padding=padding,
            truncating=truncating, value=value,
        )  # fmt: skip
        sweep.attempt(
            "pad_sequences",
            lambda: keras.utils.pad_sequences(**kwargs),
            list(kwargs) + ["sequence"],
            _case(**kwargs),
        )

    run()
    sweep.check(pad_sequences=60)


def test_fuzz_to_categorical():
    sweep = Sweep()

    @SETTINGS
    @given(
        x=st.one_of(arrays(dtypes=["int64", "int32", "float32", "bool", "object", "str"]), DATA),
        num_classes=st.one_of(st.none(), st.integers(-1, 6), VALUES),
        dtype=st.one_of(st.none(), st.sampled_from(["float32", "int64", "nope"]), VALUES),
    )
    def run(x, num_classes, dtype):
        kwargs = dict(x=x, num_classes=num_classes, dtype=dtype)
        sweep.attempt(
            "to_categorical",
            lambda: keras.utils.to_categorical(**kwargs),
            list(kwargs) + ["label", "labels", "class", "classes"],
            _case(**kwargs),
        )

    run()
    sweep.check(to_categorical=60)


def test_sweep_reports_what_it_finds():
    """The recorder itself: a raw error and an unnamed rejection fail the check."""

    def raw():
        raise IndexError("index 3 is out of bounds")

    def unnamed():
        raise ValueError("something went wrong")

    def named():
        raise ValueError("bad `x`")

    sweep = Sweep()
    sweep.attempt("t", raw, ["x"], "raw case")
    sweep.attempt("t", unnamed, ["x"], "unnamed case")
    sweep.attempt("t", named, ["x"], "named case")
    with pytest.raises(pytest.fail.Exception, match=r"2 contract failures in t"):
        sweep.check(t=3)
    with pytest.raises(pytest.fail.Exception, match=r"only 0 distinct cases"):
        Sweep().check(t=1)


# ------------------------------------------------------------------ fixed bugs, pinned
# Reproducers of the bugs the sweeps found; each failed before its fix.
def _clean(fn, *names):
    """True when ``fn()`` works or raises ValueError/TypeError naming one of ``names``."""
    try:
        fn()
    except (ValueError, TypeError) as exc:
        return _names_one_of(str(exc), names)
    except Exception:  # noqa: BLE001
        return False
    return True


def test_fixed_list_into_single_input_layer():
    x = torch.rand(2, 3)
    assert _clean(lambda: L.Dense(2)([x, x]), "input", "inputs", "tensors")


def test_fixed_float16_input_not_autocast():
    out = L.Conv1D(2, 2)(torch.rand(3, 3, 1, dtype=torch.float16))
    assert out.dtype == torch.float32


def test_fixed_pooling_window_longer_than_input():
    assert _clean(lambda: L.MaxPooling1D(2)(torch.rand(3, 1, 4)), "input_shape", "pool_size")


def test_fixed_base_layer_from_config():
    L.Layer.from_config(L.Layer().get_config())


def test_fixed_mse_rank_mismatch():
    model = _small_model("reg")
    model.compile("sgd", "mse")
    assert _clean(lambda: model.fit(np.zeros((6, 4)), np.zeros(6), verbose=0), "y", "shape")


def test_fixed_trainer_argument_types():
    model = _small_model("reg")
    model.compile("sgd", "mse")
    x, y = np.zeros((6, 4)), np.zeros((6, 3))
    assert _clean(lambda: model.fit(x, y, validation_split=None, verbose=0), "validation_split")
    assert _clean(lambda: model.evaluate(x, y, batch_size=(2,), verbose=0), "batch_size")
    assert _clean(lambda: model.predict(x, batch_size=(2,), verbose=0), "batch_size")


def test_fixed_predict_none():
    model = _small_model("reg")
    assert _clean(lambda: model.predict(None, verbose=0), "x")
    assert _clean(lambda: model.predict_on_batch(None), "x")


def test_fixed_compile_argument_messages():
    model = _small_model("reg")
    assert _clean(lambda: model.compile("sgd", "mse", loss_weights=(2,)), "loss_weights")
    assert _clean(lambda: model.compile({"a": 1}, "mse"), "optimizer")


def test_fixed_integer_lookup_output_mode():
    assert _clean(lambda: L.IntegerLookup(output_mode=[]), "output_mode")
