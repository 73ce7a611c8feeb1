"""FeatureSpace: Keras's feature types, output sizes, crosses, saving and model use.

Keras's FeatureSpace needs TensorFlow (tf.data) even on the torch backend, so the
expected sizes are those of Keras's own tests; each encoding is checked against the
preprocessing layer that produces it (those layers have their own parity tests).
"""

import numpy as np
import pytest
import torch

import ketorch
from ketorch.utils import FeatureSpace

FLOATS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def _data(strings=True):
    data = {f"float_{i}": list(FLOATS) for i in (1, 2, 3)}
    data.update({f"int_{i}": list(range(10)) for i in (1, 2, 3)})
    if strings:
        data.update({f"string_{i}": [str(v) for v in range(10)] for i in (1, 2)})
    return data


NUMERIC = {
    "float_1": "float",
    "float_2": "float_normalized",
    "float_3": "float_discretized",
    "int_1": "integer_categorical",
    "int_2": "integer_hashed",
    "int_3": "integer_categorical",
}
ALL = {**NUMERIC, "string_1": "string_categorical", "string_2": "string_hashed"}


def _first(data):
    return {k: v[0] for k, v in data.items()}


def test_basic_usage_sizes_as_keras():
    fs = FeatureSpace(NUMERIC, crosses=[("int_1", "int_2"), ("int_2", "int_3")])
    fs.adapt(_data(strings=False))
    assert fs(_first(_data(False))).shape == (152,)
    assert fs(_data(False)).shape == (10, 152)
    tensors = {k: torch.as_tensor(v) for k, v in _data(False).items()}
    assert fs(tensors).shape == (10, 152)
    fs = FeatureSpace(ALL, crosses=[("float_3", "string_1"), ("string_2", "int_2")])
    fs.adapt(_data())
    assert fs(_first(_data())).shape == (195,)
    assert fs(_data()).shape == (10, 195)


def test_adapt_on_batches_equals_adapt_on_arrays():
    whole = FeatureSpace(ALL, crosses=[("string_2", "int_2")])
    whole.adapt(_data())
    batched = FeatureSpace(ALL, crosses=[("string_2", "int_2")])
    data = _data()
    batched.adapt([({k: v[i : i + 4] for k, v in data.items()}, None) for i in range(0, 10, 4)])
    torch.testing.assert_close(whole(data), batched(data))


def test_dict_output_and_encodings():
    fs = FeatureSpace(
        ALL, crosses=[("float_3", "string_1"), ("string_2", "int_2")], output_mode="dict"
    )
    data = _data()
    fs.adapt(data)
    out = fs(_first(data))
    assert len(out) == 10
    assert out["string_1"].shape == (11,) and out["int_2"].shape == (32,)
    assert out["string_2_X_int_2"].shape == (32,)
    batch = fs(data)
    np.testing.assert_allclose(batch["float_1"].numpy()[:, 0], FLOATS, rtol=1e-6)
    column = np.array(FLOATS, "float32")
    np.testing.assert_allclose(
        batch["float_2"].numpy()[:, 0], (column - column.mean()) / column.std(), rtol=1e-4
    )
    # One-hot encodings of the layers' own indices.
    ids = fs.preprocessors["string_1"](np.array(data["string_1"], dtype=object)[:, None])
    np.testing.assert_array_equal(batch["string_1"].argmax(-1).numpy(), ids.numpy()[:, 0])
    hashed = ketorch.layers.Hashing(num_bins=32)(np.array(data["int_2"])[:, None])
    np.testing.assert_array_equal(batch["int_2"].argmax(-1).numpy(), hashed.numpy()[:, 0])


def test_int_output_modes():
    cls = FeatureSpace
    fs = FeatureSpace(
        {
            **NUMERIC,
            "int_1": cls.integer_categorical(output_mode="int"),
            "int_2": cls.integer_hashed(num_bins=32, output_mode="int"),
            "string_1": cls.string_categorical(output_mode="int"),
        },
        crosses=[cls.cross(("int_1", "int_2"), output_mode="int", crossing_dim=32)],
        output_mode="dict",
    )
    fs.adapt(_data())
    out = fs(_first(_data()))
    for name in ("int_1", "int_2", "string_1", "int_1_X_int_2"):
        assert out[name].shape == (1,) and not out[name].dtype.is_floating_point
    with pytest.raises(ValueError, match="Cannot concatenate features because feature 'int_1'"):
        concat = FeatureSpace({"int_1": cls.integer_categorical(output_mode="int")})
        concat.adapt(_data())
        concat(_data())


def test_advanced_usage_size_as_keras():
    cls = FeatureSpace
    fs = FeatureSpace(
        {
            "float_1": cls.float(),
            "float_2": cls.float_normalized(),
            "float_3": cls.float_discretized(num_bins=3),
            "string_1": cls.string_categorical(max_tokens=5),
            "string_2": cls.string_hashed(num_bins=32),
            "int_1": cls.integer_categorical(max_tokens=5, num_oov_indices=2),
            "int_2": cls.integer_hashed(num_bins=32),
            "int_3": cls.integer_categorical(max_tokens=5),
        },
        crosses=[
            cls.cross(("float_3", "string_1"), crossing_dim=32),
            cls.cross(("string_2", "int_2"), crossing_dim=32),
        ],
    )
    fs.adapt(_data())
    assert fs(_first(_data())).shape == (148,)


def test_no_adapt_needed_with_fixed_preprocessors():
    data = {
        "int_1": list(range(10)),
        "float_1": [-1.2, 0.0, 2.4, 1.2, 15.0, -100.0, 23.1, 3.12, 0.1, -0.01],
    }
    normalization = ketorch.layers.Normalization(mean=12.0, variance=5.0)
    fs = FeatureSpace(
        {
            "int_1": "integer_hashed",
            "float_1": FeatureSpace.feature(
                dtype="float32", preprocessor=normalization, output_mode="float"
            ),
        },
        output_mode="dict",
    )
    out = fs(data)
    assert tuple(out["int_1"].shape) == (10, 32)
    expected = (np.array(data["float_1"]) - 12.0) / np.sqrt(5.0)
    np.testing.assert_allclose(out["float_1"].numpy()[:, 0], expected, atol=1e-5)


def test_save_and_load(tmp_path):
    fs = FeatureSpace(ALL, crosses=[("float_3", "string_1"), ("int_1", "int_2")])
    fs.adapt(_data())
    path = tmp_path / "fs.keras"
    fs.save(path)
    loaded = ketorch.models.load_model(path)
    torch.testing.assert_close(loaded(_data()), fs(_data()))
    config = fs.get_config()
    import json

    json.dumps(config)
    assert config["features"]["string_1"]["class_name"] == "Feature"
    assert FeatureSpace.from_config(config).output_mode == "concat"


def test_functional_model_from_encoded_features():
    fs = FeatureSpace(NUMERIC, crosses=[("float_3", "int_1"), ("int_1", "int_2")])
    data = _data(False)
    fs.adapt(data)
    encoded = fs.get_encoded_features()
    assert encoded.shape == (None, 152)
    outputs = ketorch.layers.Dense(1)(encoded)
    # Train on preprocessed data (the preprocessing in the data pipeline) ...
    training_model = ketorch.Model(inputs=encoded, outputs=outputs)
    training_model.compile("adam", "mse")
    labels = np.arange(10) % 2
    training_model.fit(fs(data).numpy(), labels, epochs=1, verbose=0)
    # ... and serve raw feature dicts with the preprocessing inside the model.
    inference_model = ketorch.Model(inputs=fs.get_inputs(), outputs=outputs)
    raw = {k: np.asarray(v)[:, None] for k, v in data.items()}
    np.testing.assert_allclose(
        inference_model.predict(raw, verbose=0),
        training_model.predict(fs(data).numpy(), verbose=0),
        rtol=1e-5,
    )


def test_errors():
    with pytest.raises(ValueError, match="`features` argument cannot be None or empty"):
        FeatureSpace({})
    with pytest.raises(ValueError, match="Invalid feature type: floaty"):
        FeatureSpace({"a": "floaty"})
    with pytest.raises(ValueError, match="Received unknown features"):
        FeatureSpace({"a": "float"}, crosses=[("a", "b")])
    with pytest.raises(ValueError, match="Expected one of {'dict', 'concat'}"):
        FeatureSpace({"a": "float"}, output_mode="list")
    with pytest.raises(ValueError, match="call `.adapt\\(dataset\\)`"):
        FeatureSpace({"a": "float_normalized"})({"a": [1.0]})
    fs = FeatureSpace({"a": "float"})
    with pytest.raises(ValueError, match="can only be called with a dict"):
        fs([1.0])
    with pytest.raises(ValueError, match="lacks features \\['a'\\]"):
        fs({"b": [1.0]})
