"""keras.export.ExportArchive on ketorch: endpoints written as torch.export programs that
reload with torch.export.load and give the model's outputs."""

import json
import os

import numpy as np
import pytest
import torch
from parity import keras

import ketorch


def _model():
    inputs = ketorch.Input((4,))
    hidden = ketorch.layers.Dense(8, activation="relu")(inputs)
    hidden = ketorch.layers.Dropout(0.5)(hidden)
    hidden = ketorch.layers.BatchNormalization()(hidden)
    return ketorch.Model(inputs, ketorch.layers.Dense(3)(hidden))


def _load(folder, name):
    return torch.export.load(os.path.join(folder, f"{name}.pt2")).module()


def test_public_names_and_keras_needs_tensorflow():
    names = {n for n in dir(keras.export) if not n.startswith("_")}
    assert names <= set(dir(ketorch.export))
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="tensorflow"):
            keras.export.ExportArchive()


def test_endpoints_reload_with_dynamic_batch_and_match(tmp_path):
    model = _model()
    x = np.random.default_rng(0).normal(size=(7, 4)).astype("float32")
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((7, 3), "float32"), epochs=1, verbose=0)  # non-trivial BN stats
    archive = ketorch.export.ExportArchive()
    archive.track(model)
    spec = [ketorch.InputSpec(shape=(None, 4), dtype="float32")]
    archive.add_endpoint("serve", model.call, input_signature=spec)
    archive.add_endpoint("scaled", lambda t: {"twice": model(t, training=False) * 2}, spec)
    archive.add_variable_collection("my_vars", model.trainable_weights[:2])
    folder = tmp_path / "archive"
    mode = model.training
    archive.write_out(folder, verbose=False)
    assert model.training == mode  # the export ran in inference mode, then restored it
    expected = model.predict(x, verbose=0)
    for batch in (7, 1, 3):
        got = _load(folder, "serve")(torch.as_tensor(x[:batch]))
        np.testing.assert_allclose(got.detach().numpy(), expected[:batch], atol=1e-5)
    twice = _load(folder, "scaled")(torch.as_tensor(x))["twice"]
    np.testing.assert_allclose(twice.detach().numpy(), 2 * expected, atol=1e-5)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["endpoints"]["serve"]["inputs"] == [{"shape": [None, 4], "dtype": "float32"}]
    saved = torch.load(folder / "variables.pt", weights_only=True)
    for a, b in zip(saved["my_vars"], model.trainable_weights[:2]):
        np.testing.assert_array_equal(a.numpy(), b.detach().cpu().numpy())
    # the weights are parameters of the program, not inlined constants
    program = torch.export.load(os.path.join(folder, "serve.pt2"))
    assert len(program.graph_signature.parameters) >= 4


def test_structured_inputs_list_and_dict(tmp_path):
    a, b = ketorch.Input((3,), name="a"), ketorch.Input((2,), name="b")
    merged = ketorch.layers.Concatenate()([a, b])
    model = ketorch.Model([a, b], ketorch.layers.Dense(1)(merged))
    archive = ketorch.export.ExportArchive()
    archive.track_and_add_endpoint(
        "serve",
        ketorch.Model([a, b], model([a, b])),
        input_signature=[[ketorch.InputSpec(shape=(None, 3)), ketorch.InputSpec(shape=(None, 2))]],
    )
    archive.add_endpoint(
        "dict_in",
        lambda d: model([d["a"], d["b"]], training=True),
        [{"a": (None, 3), "b": (None, 2)}],
    )
    archive.write_out(str(tmp_path / "two"), verbose=False)
    xa, xb = torch.randn(5, 3), torch.randn(5, 2)
    expected = model([xa, xb], training=False).detach().numpy()
    got = _load(tmp_path / "two", "serve")([xa, xb])
    np.testing.assert_allclose(got.detach().numpy(), expected, atol=1e-6)
    got = _load(tmp_path / "two", "dict_in")({"a": xa, "b": xb})
    np.testing.assert_allclose(got.detach().numpy(), expected, atol=1e-6)


def test_endpoint_from_closure_is_tracked_automatically(tmp_path, capsys):
    layer = ketorch.layers.Dense(2)
    layer.build((None, 3))
    archive = ketorch.export.ExportArchive()
    archive.add_endpoint("serve", lambda t: layer(t) + 1.0, input_signature=[(None, 3)])
    assert len(archive.variables) == 2 and len(archive.trainable_variables) == 2
    archive.write_out(tmp_path / "closure")
    assert "serve" in capsys.readouterr().out
    x = torch.randn(4, 3)
    np.testing.assert_allclose(
        _load(tmp_path / "closure", "serve")(x).detach().numpy(),
        (layer(x) + 1.0).detach().numpy(),
        atol=1e-6,
    )


def test_errors():
    with pytest.raises(ValueError, match="Unsupported format"):
        ketorch.export.ExportArchive(format="saved_model")
    archive = ketorch.export.ExportArchive()
    with pytest.raises(ValueError, match="Invalid resource type"):
        archive.track("not a layer")
    with pytest.raises(ValueError, match="not yet been built"):
        archive.track(ketorch.layers.Dense(2))
    with pytest.raises(ValueError, match="input_signature"):
        archive.add_endpoint("serve", lambda t: t)
    archive.add_endpoint("serve", lambda t: t, [(None, 2)])
    with pytest.raises(ValueError, match="already taken"):
        archive.add_endpoint("serve", lambda t: t, [(None, 2)])
    with pytest.raises(ValueError, match="list/tuple/set"):
        archive.add_variable_collection("v", torch.zeros(2))
    with pytest.raises(ValueError, match="No endpoints"):
        ketorch.export.ExportArchive().write_out("unused")
