"""Shapes are inferred without data: hostile sizes in a file cost no memory, or fail clearly.

The memory-bound cases run in a child process under a hard address-space limit
(``RLIMIT_AS``): before shape inference ran on meta tensors, the files below needed from
4 GB to 16 GB while loading.
"""

import json
import os
import resource
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

import ketorch
from ketorch import layers
from ketorch.layers import shape_inference
from ketorch.saving import limits

ADDRESS_SPACE_LIMIT = 1536 << 20  # importing torch and ketorch maps about 0.7 GB
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run_limited(code: str) -> dict:
    """Run ``code`` in a child Python under ``ADDRESS_SPACE_LIMIT``; return what it reported.

    The child reports through ``report(key, value)``; its results come back as a dict.
    """

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    prelude = textwrap.dedent(
        """
        import json, resource
        def report(key, value):
            print("REPORT " + json.dumps([key, value]), flush=True)
        def outcome(fn):
            try:
                return ["ok", fn()]
            except Exception as e:
                return [type(e).__name__, str(e)]
        """
    )
    # VmHWM (peak resident set of this address space) is reset by exec; ru_maxrss is not, so
    # it would report the pytest parent's peak when the suite runs in one process.
    epilogue = (
        "\nreport('maxrss_mb', int([l.split()[1] for l in open('/proc/self/status') "
        "if l.startswith('VmHWM')][0]) // 1024)\n"
    )
    env = {
        **os.environ,
        "KERAS_BACKEND": "torch",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code) + epilogue],
        preexec_fn=cap,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("REPORT "):
            key, value = json.loads(line[len("REPORT ") :])
            results[key] = value
    return results


# ------------------------------------------------------------------ hostile files
def _layer_config(config, name):
    for entry in config["config"]["layers"]:
        if entry["config"].get("name") == name:
            return entry["config"]
    raise KeyError(name)


def _hostile(path, model, edit):
    """Save ``model`` to ``path``, then rewrite its config.json with ``edit(config)``."""
    model.save(path)
    with zipfile.ZipFile(path) as z:
        members = {info.filename: z.read(info.filename) for info in z.infolist()}
    assert set(members) >= {"config.json", "metadata.json", "model.weights.h5"}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _set(name, **values):
    def edit(config):
        _layer_config(config, name).update(values)

    return edit


def _repeat_then_lambda(path, n, features=4):
    inp = ketorch.Input((features,), name="x")
    x = layers.RepeatVector(3, name="repeat")(inp)
    x = layers.Lambda(ketorch.activations.relu, name="named_fn")(x)
    return _hostile(path, ketorch.Model(inp, x), _set("repeat", n=n))


def _concat_then_lambda(path, rows, cols):
    a = ketorch.Input((4, 4), name="a")
    b = ketorch.Input((4, 4), name="b")
    x = layers.Concatenate(name="cat")([a, b])
    x = layers.Lambda(ketorch.activations.relu, name="named_fn")(x)

    def edit(config):
        for name in ("a", "b"):
            _layer_config(config, name)["batch_shape"] = [None, rows, cols]

    return _hostile(path, ketorch.Model([a, b], x), edit)


def _data_dependent_lambda(path, shape):
    inp = ketorch.Input((4, 4), name="x")
    out = layers.Lambda(needs_values, name="needs_values")(inp)
    return _hostile(path, ketorch.Model(inp, out), _set("x", batch_shape=[None, *shape]))


def needs_values(x):
    """A function whose Python code reads tensor values (cannot run on meta tensors)."""
    return x * float(x.sum() >= 0)


def test_hostile_shape_configs_load_small_or_fail_clearly(tmp_path):
    files = {
        # 2**30 values per sample: Keras loads it symbolically, so must we (in little memory).
        "repeat": _repeat_then_lambda(str(tmp_path / "repeat.keras"), n=2**28),
        # Two inputs at the per-sample limit, concatenated, then a named-function Lambda.
        "concat": _concat_then_lambda(str(tmp_path / "concat.keras"), 2**13, 2**14),
        # 2**34 values per sample in one activation: refused before anything is allocated.
        "repeat_wide": _repeat_then_lambda(str(tmp_path / "wide.keras"), n=2**28, features=64),
        "repeat_huge_n": _repeat_then_lambda(str(tmp_path / "huge_n.keras"), n=2**40),
        # A function that needs values: a small real run only under the documented budget.
        "needs_values_big": _data_dependent_lambda(str(tmp_path / "dd.keras"), (2**12, 2**13)),
        "needs_values_small": _data_dependent_lambda(str(tmp_path / "dds.keras"), (8, 16)),
    }
    results = _run_limited(
        f"""
        import ketorch

        def needs_values(x):
            return x * float(x.sum() >= 0)

        custom = {{"needs_values": needs_values}}
        for key, path in {files!r}.items():
            load = lambda: [
                list(t.shape) for t in ketorch.saving.load_model(path, custom_objects=custom).outputs
            ]
            report(key, outcome(load))
        """
    )
    assert results["repeat"] == ["ok", [[None, 2**28, 4]]]
    assert results["concat"] == ["ok", [[None, 2**13, 2**15]]]
    for key in ("repeat_wide", "repeat_huge_n"):
        kind, message = results[key]
        assert kind == "LimitError", results[key]
        assert "Layer 'repeat' (RepeatVector)" in message and "values per sample" in message
    kind, message = results["needs_values_big"]
    assert kind == "InferenceBudgetError", results["needs_values_big"]
    assert "layer 'needs_values' (Lambda)" in message and "MAX_EAGER_ELEMENTS" in message
    assert "Tensor.item() cannot be called on meta tensors" in message
    assert results["needs_values_small"] == ["ok", [[None, 8, 16]]]
    assert results["maxrss_mb"] < 1200


def test_configured_sizes_fail_before_allocating(tmp_path):
    """Weights sized by the config (units, vocabulary, filters, kernels) stay in budget."""
    emb = ketorch.Sequential(
        [ketorch.Input((3,), dtype="int32"), layers.Embedding(10, 4, name="emb")]
    )
    conv = ketorch.Sequential(
        [ketorch.Input((8, 8, 2)), layers.Conv2D(3, 3, name="conv"), layers.Flatten()]
    )
    dense = ketorch.Sequential([ketorch.Input((5,)), layers.Dense(2, name="dense")])

    def wide_kernel(config):  # a (8, 2**20) kernel over a (8, 2**20) image: 200 MB
        entries = config["config"]["layers"]
        entries[0]["config"]["batch_shape"] = [None, 8, 2**20, 2]
        entries[1]["build_config"]["input_shape"] = [None, 8, 2**20, 2]
        entries[1]["config"]["kernel_size"] = [8, 2**20]

    files = {
        "units": _hostile(str(tmp_path / "u.keras"), dense, _set("dense", units=2**30)),
        "input_dim": _hostile(str(tmp_path / "e1.keras"), emb, _set("emb", input_dim=2**31)),
        "output_dim": _hostile(str(tmp_path / "e2.keras"), emb, _set("emb", output_dim=2**28)),
        "filters": _hostile(str(tmp_path / "f.keras"), conv, _set("conv", filters=2**26)),
        "kernel": _hostile(str(tmp_path / "k.keras"), conv, wide_kernel),
    }
    results = _run_limited(
        f"""
        import ketorch
        for key, path in {files!r}.items():
            report(key, outcome(lambda: ketorch.saving.load_model(path).name))
        """
    )
    for key in files:
        kind, message = results[key]
        assert kind == "LimitError", results[key]
        assert "more than the weights file holds" in message, message


def test_graph_building_on_big_inputs_allocates_nothing():
    """Functional, Sequential and subclassed builds on a (2**20, 1024) input: 8 GiB a batch."""
    results = _run_limited(
        """
        import torch
        import ketorch
        from ketorch import layers

        class NoShapeRule(layers.Layer):  # no build(), no compute_output_shape()
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.proj = layers.Dense(8)
            def call(self, x):
                return self.proj(x) * torch.ones(8)

        class Sub(ketorch.Model):
            def __init__(self):
                super().__init__()
                self.dense = layers.Dense(2)
            def call(self, x):
                return self.dense(torch.tanh(x)).mean(dim=1)

        a = ketorch.Input((2**20, 1024))
        b = ketorch.Input((2**20, 1024))
        x = layers.Concatenate()([layers.Dense(16)(a), b])
        x = layers.Lambda(lambda t: torch.relu(t) * 2)(x)
        x = NoShapeRule()(x)
        y = ketorch.ops.mean(x, axis=1)
        model = ketorch.Model([a, b], y)
        report("functional", list(model.output.shape))
        report("weights", sum(w.numel() for w in model.weights))
        seq = ketorch.Sequential(
            [ketorch.Input((2**20, 1024)), layers.Lambda(lambda t: t[:, ::2] + 1), layers.Dense(4)]
        )
        report("sequential", list(seq.output.shape))
        sub = Sub()
        sub.build((None, 2**20, 1024))
        report("subclassed", [list(sub.dense.kernel.shape), str(sub.dense.kernel.device)])
        small = [torch.ones(2, 3, 1024), torch.ones(2, 3, 1024)]
        report("predict", list(model(small).shape))
        """
    )
    assert results["functional"] == [None, 8]
    assert results["weights"] == 1024 * 16 + 16 + (16 + 1024) * 8 + 8
    assert results["sequential"] == [None, 2**19, 4]
    assert results["subclassed"] == [[1024, 2], "cpu"]
    assert results["predict"] == [2, 8]
    assert results["maxrss_mb"] < 1200


# ------------------------------------------------------------------ in-process behaviour
class _Cached(layers.Layer):
    """No build(): its Dense is built during inference; call() caches a tensor."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(3, activity_regularizer="l2")
        self.cache = None

    def call(self, x):
        self.cache = x + 0
        return self.dense(x)


def test_meta_run_builds_real_weights_and_leaves_no_trace():
    layer = _Cached()
    out = layer(ketorch.Input((2**24, 5)))
    assert out.shape == (None, 2**24, 3)
    kernel = layer.dense.kernel
    assert kernel.device.type == "cpu" and kernel.shape == (5, 3)
    assert float(kernel.abs().sum()) > 0  # initialised values, not meta placeholders
    assert layer.cache is None  # the meta tensor it cached during inference was undone
    assert layer.losses == []  # no activity penalty recorded from inference runs
    y = layer(torch.ones(2, 4, 5))
    np.testing.assert_allclose(y.detach().numpy(), (torch.ones(2, 4, 5) @ kernel).detach().numpy())
    assert layer.cache.shape == (2, 4, 5) and len(layer.losses) == 1


def test_needs_values_small_runs_big_raises():
    assert layers.Lambda(needs_values)(ketorch.Input((3, 7))).shape == (None, 3, 7)
    unknown = layers.Lambda(needs_values)(ketorch.Input((None, 7)))
    assert unknown.shape == (None, None, 7)
    budget = shape_inference.MAX_EAGER_ELEMENTS
    with pytest.raises(ValueError, match=r"layer 'too_big' \(Lambda\).*MAX_EAGER_ELEMENTS"):
        layers.Lambda(needs_values, name="too_big")(ketorch.Input((budget, 1)))


def test_output_shapes_match_a_real_run():
    """Meta inference agrees with running on data, unknown axes included."""
    fns = [
        lambda t: t.reshape(t.shape[0], -1, 3),
        lambda t: torch.cat([t, t[:, :1]], dim=1),
        lambda t: t.sum(dim=1, keepdim=True).to("cpu").to(torch.float64),
        lambda t: t.new_zeros(t.shape[0], 4) + torch.zeros(4, device=t.device),
        lambda t: t[:, :5].cuda() if torch.cuda.is_available() else t[:, :5].cpu(),
    ]
    expected = [(None, None, 3), (None, None, 6), (None, 1, 6), (None, 4), (None, None, 6)]
    for fn, shape in zip(fns, expected):
        out = layers.Lambda(fn)(ketorch.Input((None, 6)))
        real = [fn(torch.ones(2, n, 6)) for n in (4, 10)]
        assert out.shape == shape
        assert out.dtype == str(real[0].dtype).replace("torch.", "")
        for axis, size in enumerate(shape[1:], start=1):
            sizes = {int(r.shape[axis]) for r in real}
            assert sizes == {size} if size is not None else len(sizes) == 2


def test_subclassed_build_needing_values_is_bounded_only_when_loading():
    class Branchy(ketorch.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x) if float(x.sum()) >= 0 else self.dense(-x)

    model = Branchy()
    model.build((None, 3))  # user code: falls back to a real run, as before
    assert model.dense.kernel.shape == (3, 2)
    with limits.weight_budget(1 << 30):  # what loading a file sets up
        with pytest.raises(ValueError, match=r"Model '.*' \(Branchy\) cannot be built"):
            Branchy().build((None, 2**25))
