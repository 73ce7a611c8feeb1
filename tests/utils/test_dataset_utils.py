"""image/text_dataset_from_directory and split_dataset.

File discovery, shuffling and the validation split are compared with Keras's own
`index_directory` / `get_training_or_validation_split` (they need no TensorFlow); image
resizing with `keras.ops.image.resize` on the torch backend; split_dataset with
`keras.utils.split_dataset` on the torch backend.
"""

import os

import numpy as np
import pytest
import torch
from PIL import Image

from ketorch.utils.dataset_utils import split_dataset
from ketorch.utils.image_dataset_utils import image_dataset_from_directory, load_image
from ketorch.utils.text_dataset_utils import text_dataset_from_directory

keras = pytest.importorskip("keras")
from keras.src.utils import dataset_utils as keras_dataset_utils  # noqa: E402

CLASSES = ("cats", "dogs", "zebras")


def _make_images(root, per_class=(5, 4, 3), size=(12, 9)):
    rng = np.random.default_rng(0)
    for name, count in zip(CLASSES, per_class):
        os.makedirs(root / name / "nested", exist_ok=True)
        for i in range(count):
            sub = root / name / ("nested" if i == 0 else "")
            pixels = rng.integers(0, 256, (size[1] + i, size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(sub / f"img_{i}.png")
        (root / name / "notes.txt").write_text("not an image")
    os.makedirs(root / ".hidden")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(root / ".hidden" / "x.png")
    return root


def _make_texts(root):
    for name in ("neg", "pos"):
        os.makedirs(root / name)
        for i in range(6):
            (root / name / f"{i}.txt").write_text(
                f"{name} review number {i} ünïcode", encoding="utf-8"
            )
    return root


def _keras_split(directory, formats, seed, validation_split, subset, shuffle=True):
    paths, labels, names = keras_dataset_utils.index_directory(
        str(directory), "inferred", formats=formats, shuffle=shuffle, seed=seed, verbose=False
    )
    if validation_split:
        paths, labels = keras_dataset_utils.get_training_or_validation_split(
            paths, labels, validation_split, subset
        )
    return paths, labels, names


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_image_files_and_split_match_keras(tmp_path, subset):
    root = _make_images(tmp_path)
    ds = image_dataset_from_directory(
        str(root),
        image_size=(8, 6),
        batch_size=4,
        seed=42,
        validation_split=0.25,
        subset=subset,
        verbose=False,
    )
    paths, labels, names = _keras_split(
        root, (".bmp", ".gif", ".jpeg", ".jpg", ".png"), 42, 0.25, subset
    )
    assert ds.file_paths == paths
    assert ds.class_names == names == list(CLASSES)
    got_labels = np.concatenate([y for _, y in (ds[i] for i in range(len(ds)))])
    np.testing.assert_array_equal(got_labels, labels)


def test_image_batches_shapes_dtypes_and_label_modes(tmp_path):
    root = _make_images(tmp_path)
    ds = image_dataset_from_directory(
        str(root), image_size=(8, 6), batch_size=5, shuffle=False, verbose=False
    )
    assert len(ds) == 3
    x, y = ds[0]
    assert x.shape == (5, 8, 6, 3) and x.dtype == np.float32 and y.dtype == np.int32
    assert ds[2][0].shape == (2, 8, 6, 3)
    assert 0 <= x.min() and x.max() <= 255
    np.testing.assert_array_equal(
        np.concatenate([ds[i][1] for i in range(3)]), [0] * 5 + [1] * 4 + [2] * 3
    )
    # Without shuffling, files are in alphanumeric order (nested folders included).
    assert ds.file_paths[0].endswith(os.path.join("cats", "img_1.png"))
    assert ds.file_paths[4].endswith(os.path.join("cats", "nested", "img_0.png"))

    cat = image_dataset_from_directory(
        str(root),
        image_size=4,
        label_mode="categorical",
        batch_size=12,
        shuffle=False,
        verbose=False,
    )
    _, y = cat[0]
    assert y.shape == (12, 3) and y.dtype == np.float32 and (y.sum(1) == 1).all()
    binary = image_dataset_from_directory(
        str(root),
        image_size=4,
        label_mode="binary",
        class_names=["dogs", "cats"],
        shuffle=False,
        verbose=False,
    )
    x, y = binary[0]
    assert y.shape == (9, 1) and y.dtype == np.float32 and binary.class_names == ["dogs", "cats"]
    np.testing.assert_array_equal(y[:, 0], [0] * 4 + [1] * 5)
    unlabeled = image_dataset_from_directory(
        str(root), image_size=4, labels=None, batch_size=None, verbose=False
    )
    assert unlabeled[0].shape == (4, 4, 3) and unlabeled.class_names is None
    # Without labels every image below the root counts, hidden folders included (as Keras).
    keras_paths, _, _ = keras_dataset_utils.index_directory(
        str(root), None, formats=(".png",), shuffle=False, verbose=False
    )
    assert len(unlabeled) == len(keras_paths) == 13
    gray = image_dataset_from_directory(
        str(root), image_size=4, color_mode="grayscale", verbose=False
    )
    assert gray[0][0].shape[-1] == 1
    rgba = image_dataset_from_directory(
        str(root), image_size=4, color_mode="rgba", data_format="channels_first", verbose=False
    )
    assert rgba[0][0].shape[1:] == (4, 4, 4)


def test_subset_both_and_reshuffle(tmp_path):
    root = _make_images(tmp_path)
    train, val = image_dataset_from_directory(
        str(root),
        image_size=4,
        batch_size=3,
        seed=7,
        validation_split=0.3,
        subset="both",
        verbose=False,
    )
    assert len(train.file_paths) == 9 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    assert train.file_paths == _keras_split(root, (".png",), 7, 0.3, "training")[0]
    first = np.concatenate([train[i][0] for i in range(len(train))])
    train.on_epoch_end()
    second = np.concatenate([train[i][0] for i in range(len(train))])
    # A new order, same images.
    assert not np.array_equal(first, second)
    np.testing.assert_allclose(np.sort(first.reshape(9, -1), 0), np.sort(second.reshape(9, -1), 0))
    before = np.concatenate([val[i][0] for i in range(len(val))])
    val.on_epoch_end()
    np.testing.assert_array_equal(before, np.concatenate([val[i][0] for i in range(len(val))]))


@pytest.mark.parametrize(
    "interpolation,crop,pad",
    [
        ("bilinear", False, False),
        ("nearest", False, False),
        ("bicubic", False, False),
        ("bilinear", True, False),
        ("bilinear", False, True),
    ],
)
def test_image_resize_matches_keras(tmp_path, interpolation, crop, pad):
    rng = np.random.default_rng(1)
    path = tmp_path / "im.png"
    pixels = rng.integers(0, 256, (13, 21, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    ours = load_image(str(path), (8, 10), "rgb", interpolation, crop, pad)
    theirs = keras.ops.image.resize(
        pixels.astype("float32"),
        (8, 10),
        interpolation=interpolation,
        crop_to_aspect_ratio=crop,
        pad_to_aspect_ratio=pad,
    )
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), atol=1e-3)


def test_text_dataset(tmp_path):
    root = _make_texts(tmp_path)
    ds = text_dataset_from_directory(
        str(root), batch_size=4, seed=3, validation_split=0.25, subset="training", verbose=False
    )
    paths, labels, names = _keras_split(root, (".txt",), 3, 0.25, "training")
    assert ds.file_paths == paths and ds.class_names == names == ["neg", "pos"]
    texts, y = ds[0]
    assert texts.shape == (4,) and isinstance(texts[0], str) and y.dtype == np.int32
    for text, label, path in zip(texts, y, paths[:4]):
        assert text.startswith(names[label]) and open(path, encoding="utf-8").read() == text
    short = text_dataset_from_directory(
        str(root), max_length=3, label_mode="binary", shuffle=False, verbose=False
    )
    texts, y = short[0]
    assert list(texts[:2]) == ["neg", "neg"] and y.shape == (12, 1)


def test_explicit_labels_and_errors(tmp_path, capsys):
    root = _make_texts(tmp_path)
    ds = text_dataset_from_directory(str(root), labels=[3] * 6 + [1] * 6, shuffle=False)
    assert "Found 12 files belonging to 2 classes." in capsys.readouterr().out
    assert ds.class_names == ["1", "3"]
    np.testing.assert_array_equal(ds[0][1], [3] * 6 + [1] * 6)
    with pytest.raises(ValueError, match="seed"):
        text_dataset_from_directory(str(root), validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="subset"):
        text_dataset_from_directory(str(root), validation_split=0.2, seed=1)
    with pytest.raises(ValueError, match="Received: subset='train'"):
        text_dataset_from_directory(str(root), validation_split=0.2, subset="train", seed=1)
    with pytest.raises(ValueError, match="label_mode"):
        text_dataset_from_directory(str(root), label_mode="sparse")
    with pytest.raises(ValueError, match="class_names"):
        text_dataset_from_directory(str(root), class_names=["neg", "other"])
    with pytest.raises(ValueError, match="one label per file"):
        text_dataset_from_directory(str(root), labels=[0, 1])
    with pytest.raises(ValueError, match="color_mode"):
        image_dataset_from_directory(str(root), color_mode="cmyk")
    with pytest.raises(ValueError, match="No image files"):
        image_dataset_from_directory(str(root), verbose=False)
    with pytest.raises(ValueError, match="directory"):
        image_dataset_from_directory(str(root / "missing"))


def test_image_dataset_trains_with_fit(tmp_path):
    import ketorch
    from ketorch.layers.preprocessing.rescaling import Rescaling

    rng = np.random.default_rng(0)
    for name, level in (("dark", 30), ("light", 220)):
        os.makedirs(tmp_path / name)
        for i in range(12):
            pixels = np.clip(rng.normal(level, 20, (10, 10, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / name / f"{i}.png")
    ds = image_dataset_from_directory(
        str(tmp_path), image_size=(6, 6), batch_size=8, seed=1, verbose=False
    )
    model = ketorch.Sequential(
        [
            ketorch.Input((6, 6, 3)),
            Rescaling(1 / 255.0),
            ketorch.layers.Flatten(),
            ketorch.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=ketorch.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(ds, epochs=15, verbose=0)
    x = np.concatenate([ds[i][0] for i in range(len(ds))])
    y = np.concatenate([ds[i][1] for i in range(len(ds))])
    assert (np.argmax(model.predict(x, verbose=0), -1) == y).mean() == 1.0


def test_split_dataset_matches_keras():
    x = np.arange(20, dtype="float32").reshape(10, 2)
    y = np.arange(10)
    for kwargs in ({"left_size": 0.7}, {"right_size": 3}, {"left_size": 6, "right_size": 4}):
        left, right = split_dataset((x, y), shuffle=True, seed=3, **kwargs)
        k_left, k_right = keras.utils.split_dataset((x, y), shuffle=True, seed=3, **kwargs)
        assert left.indices == k_left.indices and right.indices == k_right.indices
        xi, yi = left[0]
        assert torch.equal(xi, torch.from_numpy(x[left.indices[0]])) and int(yi) == left.indices[0]
    left, right = split_dataset(x, left_size=0.8)
    assert left.indices == list(range(8)) and right.indices == [8, 9]
    assert torch.equal(right[1][0], torch.tensor([18.0, 19.0]))
    left, right = split_dataset(torch.utils.data.TensorDataset(torch.arange(5)), right_size=0.4)
    assert len(left) == 3 and len(right) == 2
    with pytest.raises(ValueError, match="left_size"):
        split_dataset(x)
    with pytest.raises(ValueError, match="left_size=1.5"):
        split_dataset(x, left_size=1.5)
    with pytest.raises(TypeError, match="left_size"):
        split_dataset(x, left_size="half")
    with pytest.raises(ValueError, match="same length"):
        split_dataset((x, y[:3]), left_size=0.5)
    with pytest.raises(TypeError, match="dataset"):
        split_dataset({"a": 1}, left_size=0.5)


def test_text_dataset_map_adapt_and_fit(tmp_path):
    import ketorch
    from ketorch.layers.preprocessing.text_vectorization import TextVectorization

    rng = np.random.default_rng(0)
    for name, words in (("neg", ["bad", "awful", "dull"]), ("pos", ["good", "great", "fun"])):
        os.makedirs(tmp_path / name)
        for i in range(30):
            body = (
                " ".join(rng.choice(["the", "film", "was", "so", "a"], 5)) + " " + rng.choice(words)
            )
            (tmp_path / name / f"{i}.txt").write_text(body.capitalize() + ".", encoding="utf-8")
    raw = text_dataset_from_directory(str(tmp_path), batch_size=16, seed=0, verbose=False)
    vectorizer = TextVectorization(max_tokens=20, output_sequence_length=8)
    vectorizer.adapt(raw.map(lambda x, y: x))
    train = raw.map(lambda x, y: (vectorizer(x), y)).cache().prefetch(2)
    assert train.class_names == ["neg", "pos"] and len(train) == 4
    x0, y0 = train[0]
    assert tuple(x0.shape) == (16, 8) and y0.shape == (16,)
    model = ketorch.Sequential(
        [
            ketorch.Input((8,), dtype="int64"),
            ketorch.layers.Embedding(20, 8),
            ketorch.layers.Flatten(),
            ketorch.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=ketorch.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"]
    )
    model.fit(train, epochs=8, verbose=0)
    assert model.evaluate(train, verbose=0)[1] >= 0.95
