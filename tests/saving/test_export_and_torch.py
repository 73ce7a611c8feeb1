"""Export for serving (ONNX, TorchScript, torch.export) and plain torch state dicts."""

import numpy as np
import pytest
import torch
from zoo import BUILDERS

import ketorch
import ketorch.saving


def _as_list(x):
    return x if isinstance(x, (list, tuple)) else [x]


@pytest.mark.parametrize("name", ["mlp", "text_lstm", "cnn", "multi_io"])
def test_onnx_export_matches_predict(name, tmp_path, rng):
    ort = pytest.importorskip("onnxruntime")
    model, x, _ = BUILDERS[name](ketorch, rng)
    expected = _as_list(model.predict(x, verbose=0))
    path = str(tmp_path / "m.onnx")
    model.export(path, format="onnx")
    session = ort.InferenceSession(path)
    feeds = {i.name: v for i, v in zip(session.get_inputs(), _as_list(x))}
    for got, want in zip(session.run(None, feeds), expected):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("fmt", ["torchscript", "torch_export"])
@pytest.mark.parametrize("name", ["mlp", "multi_io"])
def test_torch_exports_match_predict(name, fmt, tmp_path, rng):
    model, x, _ = BUILDERS[name](ketorch, rng)
    expected = _as_list(model.predict(x, verbose=0))
    path = str(tmp_path / ("m.pt" if fmt == "torchscript" else "m.pt2"))
    model.export(path, format=fmt)
    module = torch.jit.load(path) if fmt == "torchscript" else torch.export.load(path).module()
    out = _as_list(module(*[torch.as_tensor(v) for v in _as_list(x)]))
    for got, want in zip(out, expected):
        np.testing.assert_allclose(got.detach().numpy(), want, atol=1e-6)


def test_export_bad_format(tmp_path, rng):
    model, _, _ = BUILDERS["mlp"](ketorch, rng)
    with pytest.raises(ValueError, match="format"):
        model.export(str(tmp_path / "m"), format="tf_saved_model")


def test_torch_state_dict_round_trip(tmp_path, rng):
    model, x, y = BUILDERS["multi_io"](ketorch, rng)
    model.fit(x, y, epochs=1, verbose=0)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    torch.save(model.optimizer.state_dict(), tmp_path / "opt.pt")
    other, _, _ = BUILDERS["multi_io"](ketorch, np.random.default_rng(5))
    other.load_state_dict(torch.load(tmp_path / "sd.pt"))
    for a, b in zip(_as_list(other.predict(x, verbose=0)), _as_list(model.predict(x, verbose=0))):
        np.testing.assert_array_equal(a, b)
    other.train_on_batch([v[:8] for v in x], [v[:8] for v in y])  # builds the optimizer
    other.load_state_dict(torch.load(tmp_path / "sd.pt"))
    other.optimizer.load_state_dict(torch.load(tmp_path / "opt.pt"))
    model.train_on_batch([v[:8] for v in x], [v[:8] for v in y])
    other.train_on_batch([v[:8] for v in x], [v[:8] for v in y])
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_subclassed_model_weights_paths_match_keras(tmp_path):
    """Attribute names, lists of layers and `layers` ordering follow Keras's walk."""
    from zoo import keras

    def make(lib):
        class Sub(lib.Model):
            def __init__(self):
                super().__init__()
                self.zeta = lib.layers.Dense(3)
                self.alpha = lib.layers.Dense(2)
                self.blocks = [lib.layers.Dense(2), lib.layers.Dense(2)]

            def call(self, x):
                h = self.alpha(self.zeta(x))
                for block in self.blocks:
                    h = block(h)
                return h

        model = Sub()
        model(np.ones((1, 4), "float32"))
        return model

    ours, theirs = make(ketorch), make(keras)
    theirs.save_weights(str(tmp_path / "k.weights.h5"))
    ours.load_weights(str(tmp_path / "k.weights.h5"))
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-6)
