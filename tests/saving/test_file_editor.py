"""keras.saving.KerasFileEditor: the same view and edits as Keras's, files that load in both
libraries, and hostile files refused."""

import h5py
import numpy as np
import pytest
from parity import keras

import ketorch


def _pair(units=(4, 2)):
    """The same Sequential model in ketorch and Keras, with equal weights."""
    keras.utils.set_random_seed(0)
    theirs = keras.Sequential([keras.Input((3,))] + [keras.layers.Dense(u) for u in units])
    ours = ketorch.Sequential([ketorch.Input((3,))] + [ketorch.layers.Dense(u) for u in units])
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _assert_trees_equal(a, b):
    assert list(a) == list(b)
    for key in a:
        if isinstance(a[key], dict):
            _assert_trees_equal(a[key], b[key])
        else:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))


@pytest.fixture
def saved(tmp_path):
    ours, _ = _pair()
    path = tmp_path / "model.keras"
    ours.save(path)
    return str(path)


def test_open_matches_keras_and_summary(saved, capsys):
    editor = ketorch.saving.KerasFileEditor(saved)
    reference = keras.saving.KerasFileEditor(saved)
    _assert_trees_equal(editor.weights_dict, reference.weights_dict)
    assert editor.config == reference.config
    assert editor.metadata == reference.metadata
    capsys.readouterr()
    editor.summary()
    out = capsys.readouterr().out
    assert "dense_1" in out and "shape=(4, 2), dtype=float32" in out


def test_compare_matches_keras(saved):
    """Same verdicts as Keras. Counts are exact here: Keras 3.15 adds the running count of
    earlier objects again at every nesting level (6 "matches" for 4 weights)."""
    ours, theirs = _pair()
    editor = ketorch.saving.KerasFileEditor(saved)
    reference = keras.saving.KerasFileEditor(saved)
    assert editor.compare(ours) == {"status": "success", "error_count": 0, "match_count": 4}
    assert reference.compare(theirs)["status"] == "success"
    expected_counts = {(4, 3): (2, 2), (4, 2, 1): (1, 4), (4,): (1, 2)}
    for units, (errors, matches) in expected_counts.items():
        other, other_keras = _pair(units)
        got = editor.compare(other)
        assert got == {"status": "error", "error_count": errors, "match_count": matches}, units
        assert reference.compare(other_keras)["status"] == "error"


def test_add_object_then_load_in_both_libraries(saved, tmp_path):
    ours, theirs = _pair((4, 2, 1))
    kernel = np.arange(2, dtype="float32").reshape(2, 1)
    bias = np.array([0.5], "float32")
    editor = ketorch.saving.KerasFileEditor(saved)
    editor.add_object("layers/dense_2", {"0": kernel, "1": bias})
    assert editor.compare(ours)["status"] == "success"
    reference = keras.saving.KerasFileEditor(saved)
    reference.add_object("layers/dense_2", {"0": kernel, "1": bias})
    _assert_trees_equal(editor.weights_dict, reference.weights_dict)
    ours_path, keras_path = tmp_path / "ours.weights.h5", tmp_path / "keras.weights.h5"
    editor.save(ours_path)
    reference.save(str(keras_path))
    source, _ = _pair()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    expected = source.predict(x, verbose=0) @ kernel + bias
    for path in (ours_path, keras_path):
        ours.load_weights(path)
        theirs.load_weights(str(path))
        np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(theirs.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_rename_delete_and_weight_edits(saved, tmp_path):
    ours, _ = _pair()
    editor = ketorch.saving.KerasFileEditor(saved)
    kernel = editor.weights_dict["layers"]["dense_1"]["0"].copy()
    editor.rename_object("dense_1", "dense_9")
    assert list(editor.weights_dict["layers"]) == ["dense", "dense_9"]  # order kept
    assert editor.compare(ours)["error_count"] == 2  # missing in each direction
    editor.rename_object("layers/dense_9", "dense_1")
    editor.delete_weight("dense_1", "1")
    assert editor.compare(ours) == {"status": "error", "error_count": 1, "match_count": 3}
    editor.add_weights("dense_1", {"1": np.full((2,), 3.0, "float32")})
    assert editor.compare(ours)["status"] == "success"
    editor.resave_weights(tmp_path / "edited.weights.h5")
    ours.load_weights(tmp_path / "edited.weights.h5")
    np.testing.assert_array_equal(ours.layers[1].bias.detach().numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(ours.layers[1].kernel.detach().numpy(), kernel)
    editor.delete_object("layers/dense_1")
    assert list(editor.weights_dict["layers"]) == ["dense"]
    reopened = ketorch.saving.KerasFileEditor(tmp_path / "edited.weights.h5")
    assert reopened.config is None and reopened.object_metadata["layers/dense"]["name"] == "dense"


def test_nested_objects_round_trip(tmp_path):
    """An LSTM keeps its weights under `layers/lstm/cell`: nested objects survive a resave."""
    model = ketorch.Sequential(
        [ketorch.Input((4, 3)), ketorch.layers.LSTM(5), ketorch.layers.Dense(1)]
    )
    model.save_weights(tmp_path / "lstm.weights.h5")
    editor = ketorch.saving.KerasFileEditor(tmp_path / "lstm.weights.h5")
    assert set(editor.weights_dict["layers"]["lstm"]["cell"]) == {"0", "1", "2"}
    assert editor.compare(model)["status"] == "success"
    editor.save(tmp_path / "again.weights.h5")
    fresh = ketorch.models.clone_model(model)
    fresh.load_weights(tmp_path / "again.weights.h5")
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_errors(saved, tmp_path):
    editor = ketorch.saving.KerasFileEditor(saved)
    with pytest.raises(ValueError, match="occurs more than once"):
        editor.delete_object("0")
    with pytest.raises(ValueError, match="does not appear"):
        editor.delete_object("conv2d")
    with pytest.raises(ValueError, match="not found in model"):
        editor.delete_object("layers/conv2d")
    with pytest.raises(ValueError, match="leaf name"):
        editor.rename_object("dense", "layers/x")
    with pytest.raises(ValueError, match="should be a dict"):
        editor.add_object("layers/x", [np.zeros(2)])
    with pytest.raises(ValueError, match="not found in model"):
        editor.add_object("nowhere/x", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="Weight 7 not found"):
        editor.delete_weight("dense", "7")
    with pytest.raises(ValueError, match=r"expected a `\.weights\.h5` extension"):
        editor.save(tmp_path / "out.keras")
    with pytest.raises(ValueError, match="Invalid filename"):
        ketorch.saving.KerasFileEditor(tmp_path / "model.h5")


def test_hostile_files_are_refused(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("secret", data=np.arange(3))
    external = tmp_path / "external.weights.h5"
    with h5py.File(external, "w") as f:
        f.create_group("layers/dense/vars")["0"] = h5py.ExternalLink(str(other), "secret")
    with pytest.raises(ValueError, match="ExternalLink"):
        ketorch.saving.KerasFileEditor(external)
    soft = tmp_path / "soft.weights.h5"
    with h5py.File(soft, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.zeros(2))
        f["layers/alias"] = h5py.SoftLink("/layers/dense")
    with pytest.raises(ValueError, match="SoftLink"):
        ketorch.saving.KerasFileEditor(soft)
    sparse = tmp_path / "sparse.weights.h5"
    with h5py.File(sparse, "w") as f:  # 8 GB declared, nothing stored
        f.create_dataset("layers/dense/vars/0", shape=(1 << 31,), dtype="float32", chunks=(1024,))
    with pytest.raises(ValueError, match="declares"):
        ketorch.saving.KerasFileEditor(sparse)
    text = tmp_path / "text.weights.h5"
    with h5py.File(text, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.array([b"abc"]))
    with pytest.raises(ValueError, match="numeric"):
        ketorch.saving.KerasFileEditor(text)
