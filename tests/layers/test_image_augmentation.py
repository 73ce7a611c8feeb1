"""Random augmentation layers against Keras 3 (torch backend).

A seeded layer draws the same random numbers as Keras's (same draws, same order), so in
training its output equals Keras's number for number; at inference it passes images through;
at strength 0 it is the identity; a transformation computed by Keras and handed to our
``transform_images`` gives Keras's result.
"""

import random

import numpy as np
import pytest
import torch
from parity import keras, to_numpy

import ketorch
from ketorch import layers

# (class name, arguments): every random layer whose seeded output matches Keras's.
SEEDED = [
    ("RandomFlip", {}),
    ("RandomFlip", {"mode": "horizontal"}),
    ("RandomFlip", {"mode": "vertical"}),
    ("RandomRotation", {"factor": 0.2}),
    ("RandomRotation", {"factor": (-0.3, 0.1), "fill_mode": "constant", "fill_value": 9.0}),
    ("RandomRotation", {"factor": 0.5, "fill_mode": "wrap", "interpolation": "nearest"}),
    ("RandomZoom", {"height_factor": 0.3}),
    ("RandomZoom", {"height_factor": (-0.3, 0.2), "width_factor": 0.4, "fill_mode": "nearest"}),
    ("RandomTranslation", {"height_factor": 0.3, "width_factor": 0.2}),
    ("RandomTranslation", {"height_factor": (-0.1, 0.4), "width_factor": 0.2, "fill_mode": "wrap"}),
    ("RandomContrast", {"factor": 0.5}),
    ("RandomContrast", {"factor": (0.1, 0.9)}),
    ("RandomBrightness", {"factor": 0.5}),
    ("RandomBrightness", {"factor": (-0.2, 0.6), "value_range": (0, 1)}),
    ("RandomCrop", {"height": 5, "width": 7}),
    ("Solarization", {"addition_factor": 0.3, "threshold_factor": 0.7}),
    ("MixUp", {"alpha": 0.5}),
    ("CutMix", {}),
    ("CutMix", {"factor": 0.4}),
    ("RandomShear", {"x_factor": 0.3, "y_factor": 0.2}),
    ("RandomColorDegeneration", {"factor": 0.5}),
    ("RandomSharpness", {"factor": 0.7}),
    ("RandomPosterization", {"factor": (2, 6)}),
    ("RandomPosterization", {"factor": 3}),
    ("RandomGrayscale", {"factor": 0.5}),
    ("RandomHue", {"factor": 0.4}),
    ("RandomSaturation", {"factor": 0.4}),
    ("RandomColorJitter", {"brightness_factor": 0.2, "contrast_factor": 0.3, "hue_factor": 0.1}),
    ("RandomColorJitter", {"saturation_factor": (0.4, 0.6)}),
    ("RandomInvert", {}),
    ("RandomInvert", {"factor": 0.5}),
    ("RandomPerspective", {}),
    ("RandomPerspective", {"scale": 0.4, "factor": 0.6, "interpolation": "nearest"}),
    ("RandomErasing", {}),
    ("RandomErasing", {"fill_value": 7.0}),
    ("RandomErasing", {"fill_value": [1.0, 2.0, 3.0]}),
    ("RandomGaussianBlur", {}),
    ("RandomGaussianBlur", {"kernel_size": 5, "sigma": (0.3, 0.9), "factor": 0.5}),
]
GEOMETRIC = {
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomShear",
    "RandomPerspective",
}


@pytest.fixture
def images(rng):
    return (rng.random((4, 9, 12, 3)) * 255).astype("float32")


def _pair(name, kwargs, seed=3):
    return getattr(layers, name)(seed=seed, **kwargs), getattr(keras.layers, name)(
        seed=seed, **kwargs
    )


def _close(got, expected, atol=1e-3):
    got, expected = to_numpy(got), to_numpy(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("name,kwargs", SEEDED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SEEDED)])
def test_seeded_training_equals_keras(name, kwargs, images):
    ours, theirs = _pair(name, kwargs)
    for _ in range(2):  # the second call checks that the generators advance alike
        _close(ours(images, training=True), theirs(images.copy(), training=True))
    # Single images; channels first for the geometric layers.
    if name not in ("MixUp", "CutMix"):
        ours, theirs = _pair(name, kwargs, seed=11)
        _close(ours(images[0]), theirs(images[0].copy()))
    if name in GEOMETRIC:
        xc = np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)))
        ours, theirs = _pair(name, {**kwargs, "data_format": "channels_first"})
        _close(ours(xc), theirs(xc.copy()))


@pytest.mark.parametrize("name,kwargs", SEEDED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SEEDED)])
def test_identity_at_inference(name, kwargs, images):
    layer = getattr(layers, name)(seed=1, **kwargs)
    out = to_numpy(layer(images, training=False))
    if name == "RandomCrop":  # the centred window, as documented (see test_random_crop_*)
        assert out.shape == (4, 5, 7, 3)
        return
    np.testing.assert_array_equal(out, images)
    model = ketorch.Sequential([ketorch.Input(images.shape[1:]), layer])
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)


ZERO_STRENGTH = [
    ("RandomRotation", {"factor": 0.0}),
    ("RandomZoom", {"height_factor": 0.0}),
    ("RandomTranslation", {"height_factor": 0.0, "width_factor": 0.0}),
    ("RandomShear", {"x_factor": 0.0, "y_factor": 0.0}),
    ("RandomContrast", {"factor": 0.0}),
    ("RandomBrightness", {"factor": 0.0}),
    ("RandomHue", {"factor": 0.0}),
    ("RandomColorDegeneration", {"factor": 0.0}),
    ("RandomGrayscale", {"factor": 0.0}),
    ("RandomInvert", {"factor": 0.0}),
    ("RandomPerspective", {"factor": 0.0}),
    ("RandomPerspective", {"scale": 0.0}),
    ("RandomErasing", {"factor": 0.0}),
    ("RandomGaussianBlur", {"factor": 0.0}),
    ("RandomElasticTransform", {"factor": 0.0}),
    ("RandomSharpness", {"factor": (0.5, 0.5)}),
    ("RandomSaturation", {"factor": (0.5, 0.5)}),
    ("RandomPosterization", {"factor": (8, 8)}),
    ("RandomCrop", {"height": 9, "width": 12}),
]


@pytest.mark.parametrize("name,kwargs", ZERO_STRENGTH, ids=[n for n, _ in ZERO_STRENGTH])
def test_zero_strength_is_identity_in_training(name, kwargs, images):
    x = np.round(images)  # integral values survive posterization and solarization exactly
    out = to_numpy(getattr(layers, name)(seed=1, **kwargs)(x, training=True))
    np.testing.assert_allclose(out, x, atol=2e-3, rtol=1e-5)


# ---------------------------------------------------------- given transformations
@pytest.mark.parametrize("name,kwargs", [c for c in SEEDED if c[0] in GEOMETRIC])
def test_keras_transformation_gives_keras_output(name, kwargs, images):
    """Keras's own transformation dict, handed to our layer, reproduces Keras's output."""
    theirs = getattr(keras.layers, name)(seed=5, **kwargs)
    transformation = theirs.get_random_transformation(images, training=True)
    ours = getattr(layers, name)(**kwargs)
    mask = np.floor(images[..., :1] / 64.0).astype("float32")
    # Ours first: Keras's affine transform edits the matrix it is given in place.
    got = ours.transform_images(torch.from_numpy(images), _copy(transformation))
    got_mask = ours.transform_segmentation_masks(torch.from_numpy(mask), _copy(transformation))
    expected = theirs.transform_images(torch.from_numpy(images.copy()), _copy(transformation))
    _close(got, expected)
    # Segmentation masks move with the images, with nearest-neighbour sampling.
    expected = theirs.transform_segmentation_masks(torch.from_numpy(mask), _copy(transformation))
    _close(got_mask, expected)


def _copy(transformation):
    if isinstance(transformation, dict):
        return {k: _copy(v) for k, v in transformation.items()}
    return transformation.clone() if isinstance(transformation, torch.Tensor) else transformation


def test_rand_augment_equals_its_operations_in_keras(images):
    """With the same draws, each chosen operation transforms as Keras's layer does.

    (Keras's RandAugment output itself is not compared: on torch its RandomBrightness adds
    into the images tensor in place, so brightness applies whichever operation is drawn.)
    """
    for seed in range(4):
        ours = layers.RandAugment(seed=seed, num_ops=3)
        theirs = keras.layers.RandAugment(seed=seed, num_ops=3)
        transformation = ours.get_random_transformation(torch.from_numpy(images))
        reference = theirs.get_random_transformation(images)
        assert transformation["layer_idxes"].tolist() == reference["layer_idxes"].tolist()
        expected = torch.from_numpy(images.copy())
        for i in reference["layer_idxes"].tolist():
            op = layers.RandAugment._AUGMENT_LAYERS[i]
            expected = getattr(theirs, op).transform_images(
                expected.clone(), reference["transforms"][op]
            )
        got = ours.transform_images(torch.from_numpy(images), transformation)
        _close(got, expected)
    # Inference: unchanged.
    np.testing.assert_array_equal(to_numpy(layers.RandAugment()(images, training=False)), images)


@pytest.mark.parametrize("kwargs", [{}, {"all_ops": False, "num_chains": 2, "chain_depth": 4}])
def test_aug_mix_equals_keras(kwargs, images):
    for seed in range(3):
        ours, theirs = _pair("AugMix", kwargs, seed=seed)
        random.seed(seed)  # AugMix picks operations with Python's `random`, as Keras does
        got = ours(images)
        random.seed(seed)
        _close(got, theirs(images.copy()))
    np.testing.assert_array_equal(to_numpy(layers.AugMix()(images, training=False)), images)


def test_elastic_transform_is_seeded_and_bounded(images):
    a = layers.RandomElasticTransform(seed=4)(images)
    b = layers.RandomElasticTransform(seed=4)(images)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    assert not np.allclose(to_numpy(a), images)
    assert to_numpy(a).min() >= 0 and to_numpy(a).max() <= 255


# ------------------------------------------------------------------- statistics
def test_random_flip_statistics(rng):
    x = np.zeros((400, 2, 2, 1), "float32")
    x[:, :, 0] = 1.0  # left column lit
    out = to_numpy(layers.RandomFlip("horizontal", seed=2)(x))
    flipped = out[:, 0, 1, 0] == 1.0
    assert 0.4 < flipped.mean() < 0.6
    assert np.array_equal(out[flipped], x[flipped][:, :, ::-1])
    # Both flips share one draw: each image is unchanged or rotated by 180 degrees.
    both = to_numpy(layers.RandomFlip(seed=3)(x))
    rotated = x[:, ::-1, ::-1]
    assert all(np.array_equal(o, a) or np.array_equal(o, r) for o, a, r in zip(both, x, rotated))


def test_random_ranges_follow_the_factors(images):
    t = torch.from_numpy(np.repeat(images, 50, axis=0))
    angles = layers.RandomRotation((-0.1, 0.05), seed=1).get_random_transformation(t)["angle"]
    assert angles.min() >= -36.0 and angles.max() <= 18.0 and angles.std() > 5
    zoom = layers.RandomZoom((-0.2, 0.3), seed=1).get_random_transformation(t)["height_zoom"]
    assert zoom.min() >= 0.8 and zoom.max() <= 1.3
    shifts = layers.RandomTranslation(0.2, 0.1, seed=1).get_random_transformation(t)
    dx, dy = shifts["translations"].unbind(1)
    assert dx.abs().max() <= 0.1 * 12 + 1e-5 and dy.abs().max() <= 0.2 * 9 + 1e-5
    contrast = layers.RandomContrast(0.3, seed=1).get_random_transformation(t)
    assert 0.7 <= contrast["contrast_factor"].min() and contrast["contrast_factor"].max() <= 1.3
    delta = layers.RandomBrightness(0.1, seed=1).get_random_transformation(t)["rgb_delta"]
    assert delta.abs().max() <= 25.5 + 1e-4


def test_contrast_keeps_channel_means(images):
    x = images * 0.5 + 60  # away from the clipping bounds
    out = to_numpy(layers.RandomContrast(0.3, seed=1)(x))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), x.mean(axis=(1, 2)), rtol=1e-4)


def test_seeds_repeat_and_calls_differ(images):
    a, b = layers.RandomRotation(0.2, seed=7), layers.RandomRotation(0.2, seed=7)
    first = to_numpy(a(images))
    np.testing.assert_array_equal(first, to_numpy(b(images)))
    assert not np.allclose(first, to_numpy(a(images)))
    assert a.generator.state.tolist() == [7, 2]


# ------------------------------------------------------------------- dict inputs
def test_dict_inputs_move_images_masks_and_labels_together(images):
    masks = (images[..., :1] > 128).astype("float32")
    labels = np.eye(4, dtype="float32")
    data = {"images": images, "segmentation_masks": masks, "labels": labels}
    for name, kwargs in [("RandomFlip", {}), ("RandomZoom", {"height_factor": 0.3})]:
        ours, theirs = _pair(name, kwargs)
        got = ours(dict(data))
        expected = theirs({k: v.copy() for k, v in data.items()})
        for key in data:
            _close(got[key], expected[key])
    got = layers.MixUp(seed=1)(dict(data))
    expected = keras.layers.MixUp(seed=1)({k: v.copy() for k, v in data.items()})
    _close(got["images"], expected["images"])
    _close(got["labels"], expected["labels"])
    np.testing.assert_allclose(to_numpy(got["labels"]).sum(-1), 1.0, rtol=1e-6)


BOXES = np.array(
    [[[2, 3, 10, 12], [5, 5, 25, 18]], [[0, 0, 30, 20], [10, 2, 12, 9]]], dtype="float32"
)
BOX_LABELS = np.array([[1, 2], [3, 0]], dtype="int32")


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("RandomFlip", {"seed": 1}),
        ("Resizing", {"height": 10, "width": 10}),
        ("Resizing", {"height": 10, "width": 10, "pad_to_aspect_ratio": True}),
        ("Resizing", {"height": 10, "width": 10, "crop_to_aspect_ratio": True}),
        ("CenterCrop", {"height": 10, "width": 12}),
        ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.3, "seed": 3}),
        ("RandomZoom", {"height_factor": 0.3, "seed": 5}),
        ("RandomShear", {"x_factor": 0.2, "y_factor": 0.1, "seed": 6}),
    ],
)
@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy", "xywh", "center_xywh"])
def test_bounding_boxes_equal_keras(name, kwargs, fmt, rng):
    imgs = (rng.random((2, 20, 30, 3)) * 255).astype("float32")
    boxes = keras.utils.bounding_boxes.convert_format(BOXES, "xyxy", fmt, height=20, width=30)
    boxes = to_numpy(boxes)
    outputs = []
    for lib in (layers, keras.layers):
        layer = getattr(lib, name)(bounding_box_format=fmt, **kwargs)
        data = {"images": imgs.copy(), "bounding_boxes": {"boxes": boxes.copy(),
                                                          "labels": BOX_LABELS.copy()}}  # fmt: skip
        outputs.append(layer(data))
    ours, theirs = outputs
    _close(ours["images"], theirs["images"])
    _close(ours["bounding_boxes"]["boxes"], theirs["bounding_boxes"]["boxes"])
    np.testing.assert_array_equal(
        to_numpy(ours["bounding_boxes"]["labels"]), to_numpy(theirs["bounding_boxes"]["labels"])
    )


def test_rotation_and_perspective_boxes_equal_keras(rng):
    imgs = (rng.random((2, 20, 30, 3)) * 255).astype("float32")
    for name, kwargs in [
        ("RandomRotation", {"factor": 0.1}),
        ("RandomPerspective", {"scale": 0.3}),
    ]:
        outputs = []
        for lib in (layers, keras.layers):
            layer = getattr(lib, name)(bounding_box_format="xyxy", seed=4, **kwargs)
            bb = {"boxes": BOXES.copy(), "labels": BOX_LABELS.copy()}
            outputs.append(layer({"images": imgs.copy(), "bounding_boxes": bb}))
        _close(outputs[0]["bounding_boxes"]["boxes"], outputs[1]["bounding_boxes"]["boxes"])


def test_unbatched_boxes_and_max_num_bounding_boxes(rng):
    img = (rng.random((20, 30, 3)) * 255).astype("float32")
    out = layers.RandomFlip("horizontal", seed=1, bounding_box_format="xyxy")(
        {"images": img, "bounding_boxes": {"boxes": BOXES[0], "labels": BOX_LABELS[0]}}
    )
    assert tuple(out["bounding_boxes"]["boxes"].shape) == (2, 4)
    padded = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(
        {"images": img[None], "bounding_boxes": {"boxes": BOXES[:1], "labels": BOX_LABELS[:1]}}
    )
    assert padded["bounding_boxes"]["labels"].tolist() == [[1, 2, -1]]
    assert padded["bounding_boxes"]["boxes"][0, 2].tolist() == [-1.0] * 4
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.RandomFlip()({"images": img, "bounding_boxes": {"boxes": BOXES[0],
                                                                "labels": BOX_LABELS[0]}})  # fmt: skip


# ------------------------------------------------------------------- RandomCrop
def test_random_crop_training_windows_lie_in_the_image(rng):
    x = np.arange(2 * 9 * 12, dtype="float32").reshape(2, 9, 12, 1)
    layer = layers.RandomCrop(4, 5, seed=1)
    for _ in range(5):
        out = to_numpy(layer(x))
        top, left = np.argwhere(x[0, :, :, 0] == out[0, 0, 0, 0])[0]
        np.testing.assert_array_equal(out[0], x[0, top : top + 4, left : left + 5])
        np.testing.assert_array_equal(out[1], x[1, top : top + 4, left : left + 5])


def test_random_crop_inference_is_the_centred_window(rng):
    # Keras 3.15 returns the input unchanged here (keras-team/keras#21868), which breaks the
    # model's shapes at inference; ketorch does what Keras documents: the largest centred
    # window of the target aspect ratio, resized to the target size.
    x = (rng.random((2, 9, 12, 3)) * 255).astype("float32")
    out = to_numpy(layers.RandomCrop(5, 7)(x, training=False))
    window = keras.layers.Resizing(5, 7, crop_to_aspect_ratio=True)(x)
    np.testing.assert_allclose(out, to_numpy(window), rtol=1e-5, atol=1e-3)
    small = to_numpy(layers.RandomCrop(20, 30)(x, training=True))
    np.testing.assert_allclose(small, to_numpy(keras.layers.CenterCrop(20, 30)(x)), atol=1e-3)


# ------------------------------------------------------------------- models
def test_model_with_augmentation_trains_and_predicts_deterministically(rng):
    x = rng.random((64, 16, 16, 3)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")
    flip, rotate = layers.RandomFlip(seed=1), layers.RandomRotation(0.1, seed=2)
    body = [
        layers.Conv2D(4, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(1, activation="sigmoid"),
    ]
    model = ketorch.Sequential([ketorch.Input((16, 16, 3)), flip, rotate, *body])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    # Augmentation ran on every training batch (4 per epoch)...
    assert flip.generator.state.tolist() == [1, 8]
    assert rotate.generator.state.tolist() == [2, 8]
    # ...and not in predict, which is deterministic and skips the augmentation layers.
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))
    plain = ketorch.Sequential([ketorch.Input((16, 16, 3)), *body])
    np.testing.assert_allclose(plain.predict(x, verbose=0), first, rtol=1e-6)
    assert flip.generator.state.tolist() == [1, 8]


def test_keras_model_loads_with_augmentation_layers(tmp_path, rng):
    x = (rng.random((2, 8, 8, 3)) * 255).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.RandomFlip(seed=1),
            keras.layers.RandomZoom(0.2, seed=2),
            keras.layers.Resizing(4, 4),
        ]
    )
    path = str(tmp_path / "aug.keras")
    model.save(path)
    loaded = ketorch.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "RandomFlip",
        "RandomZoom",
        "Resizing",
    ]
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    _close(loaded(x), model(x))  # seeded: the training-mode augmentations agree too
