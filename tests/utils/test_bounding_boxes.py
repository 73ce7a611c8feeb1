"""keras.utils.bounding_boxes parity: every function, every format, same values as Keras."""

import numpy as np
import pytest
from parity import keras, to_numpy

from ketorch.utils import bounding_boxes as ours

theirs = keras.utils.bounding_boxes

FORMATS = [
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
]
H, W = 60, 80


def _boxes(shape=(5,), seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, size=shape + (2,))
    wh = rng.uniform(1, 30, size=shape + (2,))
    return np.concatenate([xy, xy + wh], axis=-1).astype("float32")


def _close(a, b, atol=1e-5):
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=atol, rtol=1e-5)


def test_public_names_match_keras():
    names = {n for n in dir(theirs) if not n.startswith("_")}
    assert names <= set(dir(ours))
    assert sorted(ours.__all__) == sorted(names)


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
@pytest.mark.parametrize("shape", [(5,), (2, 3)])
def test_convert_format_all_pairs(source, target, shape):
    boxes = _boxes(shape)
    src = theirs.convert_format(boxes, "xyxy", source, height=H, width=W)
    src = to_numpy(src)
    got = ours.convert_format(src, source, target, height=H, width=W)
    expected = theirs.convert_format(src, source, target, height=H, width=W)
    assert tuple(got.shape) == tuple(expected.shape)
    assert str(got.dtype) == str(expected.dtype)
    _close(got, expected, atol=1e-4)


def test_convert_format_dict_dtype_and_errors():
    boxes = {"boxes": _boxes(), "labels": np.arange(5)}
    got = ours.convert_format(dict(boxes), "xyxy", "center_xywh")
    expected = theirs.convert_format(dict(boxes), "xyxy", "center_xywh")
    _close(got["boxes"], expected["boxes"])
    np.testing.assert_array_equal(to_numpy(got["labels"]), to_numpy(expected["labels"]))
    got16 = ours.convert_format(_boxes(), "xyxy", "xywh", dtype="float16")
    assert str(got16.dtype) == str(
        theirs.convert_format(_boxes(), "xyxy", "xywh", dtype="float16").dtype
    )
    with pytest.raises(ValueError, match="last dimension of 4"):
        ours.convert_format(np.zeros((3, 5)), "xyxy", "xywh")
    with pytest.raises(ValueError, match="Invalid source or target format"):
        ours.convert_format(_boxes(), "xyxy", "cxcy")
    with pytest.raises(ValueError, match="height"):
        ours.convert_format(_boxes(), "xyxy", "rel_xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
@pytest.mark.parametrize("batched", [False, True])
def test_clip_to_image_size(fmt, batched):
    boxes = np.array([[-10, -20, 150, 160], [50, 40, 70, 80], [90, 10, 100, 30]], "float32")
    labels = np.array([0, 1, 2])
    if fmt == "rel_xyxy":
        boxes = boxes / 80.0
    if batched:
        boxes, labels = np.stack([boxes, boxes[::-1]]), np.stack([labels, labels[::-1]])
    data = {"boxes": boxes, "labels": labels}
    kw = dict(height=H, width=W, bounding_box_format=fmt)
    got = ours.clip_to_image_size(dict(data), **kw)
    expected = theirs.clip_to_image_size(dict(data), **kw)
    _close(got["boxes"], expected["boxes"])
    np.testing.assert_array_equal(to_numpy(got["labels"]), to_numpy(expected["labels"]))
    no_labels = ours.clip_to_image_size({"boxes": boxes}, **kw)
    assert "labels" not in no_labels


def test_clip_errors():
    with pytest.raises(NotImplementedError):
        ours.clip_to_image_size({"boxes": _boxes()}, H, W, bounding_box_format="xywh")
    with pytest.raises(ValueError, match="`height` and `width` must be set"):
        ours.clip_to_image_size({"boxes": _boxes()})


@pytest.mark.parametrize("shape", [(5,), (2, 3)])
def test_crop_and_pad(shape):
    boxes = _boxes(shape)
    _close(ours.crop(boxes, 10, 20, 40, 30), theirs.crop(boxes, 10, 20, 40, 30))
    _close(ours.pad(boxes, 7, 3), theirs.pad(boxes, 7, 3))
    _close(ours.pad(boxes, 7, 3, height=H, width=W), theirs.pad(boxes, 7, 3, height=H, width=W))
    with pytest.raises(NotImplementedError):
        ours.crop(boxes, 1, 1, 2, 2, bounding_box_format="yxyx")
    with pytest.raises(NotImplementedError):
        ours.pad(boxes, 1, 1, bounding_box_format="yxyx")


@pytest.mark.parametrize("center", [None, (0.3, 0.7)])
def test_affine_transform(center):
    rng = np.random.default_rng(1)
    boxes = _boxes((3, 4))
    params = dict(
        angle=rng.uniform(-30, 30, 3).astype("float32"),
        translate_x=rng.uniform(-0.2, 0.2, 3).astype("float32"),
        translate_y=rng.uniform(-0.2, 0.2, 3).astype("float32"),
        scale=rng.uniform(0.8, 1.2, 3).astype("float32"),
        shear_x=rng.uniform(-10, 10, 3).astype("float32"),
        shear_y=rng.uniform(-10, 10, 3).astype("float32"),
        height=H,
        width=W,
    )
    if center is not None:
        params.update(center_x=center[0], center_y=center[1])
    keras_params = {
        k: keras.ops.convert_to_tensor(v) if isinstance(v, np.ndarray) else v
        for k, v in params.items()
    }
    got = ours.affine_transform(boxes, **params)
    expected = theirs.affine_transform(boxes, **keras_params)
    _close(got, expected, atol=1e-3)
    one = {k: (v[:1] if isinstance(v, np.ndarray) else v) for k, v in params.items()}
    _close(ours.affine_transform(boxes[0], **one), got[0], atol=1e-3)  # unbatched boxes
    with pytest.raises(NotImplementedError):
        ours.affine_transform(boxes, **params, bounding_box_format="yxyx")


@pytest.mark.parametrize("anchor_format", ["xyxy", "center_xywh", "rel_yxyx"])
@pytest.mark.parametrize("box_format", ["xyxy", "xywh", "rel_center_xywh"])
@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_encode_decode_deltas(anchor_format, box_format, encoding, variance):
    image_shape = (H, W, 3)
    anchors = to_numpy(theirs.convert_format(_boxes((6,), 1), "xyxy", anchor_format, H, W))
    boxes = to_numpy(theirs.convert_format(_boxes((2, 6), 2), "xyxy", box_format, H, W))
    kw = dict(variance=variance, image_shape=image_shape)
    got = ours.encode_box_to_deltas(anchors, boxes, anchor_format, box_format, encoding, **kw)
    expected = theirs.encode_box_to_deltas(
        anchors, boxes, anchor_format, box_format, encoding, **kw
    )
    _close(got, expected, atol=1e-4)
    deltas = expected  # Keras's decoder needs tensors, not NumPy arrays
    back = ours.decode_deltas_to_boxes(anchors, deltas, anchor_format, box_format, encoding, **kw)
    expected_back = theirs.decode_deltas_to_boxes(
        anchors, deltas, anchor_format, box_format, encoding, **kw
    )
    _close(back, expected_back, atol=1e-4)
    _close(back, boxes, atol=1e-2)


def test_decode_dict_levels_and_errors():
    anchors = {"P3": _boxes((4,), 3), "P4": _boxes((2,), 4)}
    rng = np.random.default_rng(0)
    deltas = {
        k: keras.ops.convert_to_tensor(rng.normal(size=v.shape) * 0.1, "float32")
        for k, v in anchors.items()
    }
    got = ours.decode_deltas_to_boxes(anchors, deltas, "xyxy", "yxyx")
    expected = theirs.decode_deltas_to_boxes(anchors, deltas, "xyxy", "yxyx")
    assert set(got) == set(expected)
    for k in got:
        _close(got[k], expected[k], atol=1e-4)
    with pytest.raises(ValueError, match="`variance` must be length 4"):
        ours.encode_box_to_deltas(_boxes(), _boxes(), "xyxy", "xyxy", variance=[1, 2])
    with pytest.raises(ValueError, match="encoding_format"):
        ours.encode_box_to_deltas(_boxes(), _boxes(), "xyxy", "xyxy", encoding_format="xyxy")
    with pytest.raises(ValueError, match="encoded_format"):
        ours.decode_deltas_to_boxes(_boxes(), _boxes(), "xyxy", "xyxy", encoded_format="xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "xywh", "center_xywh", "rel_xyxy", "rel_yxyx"])
@pytest.mark.parametrize("shapes", [((4,), (3,)), ((2, 4), (2, 3)), ((2, 4), (3,)), ((4,), (2, 3))])
@pytest.mark.parametrize("use_masking", [False, True])
def test_compute_iou(fmt, shapes, use_masking):
    b1 = _boxes(shapes[0], 5)
    b2 = _boxes(shapes[1], 6)
    b1[..., 0, :] = -1.0  # a padding box, masked when use_masking
    b2 = np.concatenate([b2, b1[..., :1, :] if b1.ndim == b2.ndim else b2[..., :1, :]], axis=-2)
    b1 = to_numpy(theirs.convert_format(b1, "xyxy", fmt, H, W))
    b2 = to_numpy(theirs.convert_format(b2, "xyxy", fmt, H, W))
    kw = dict(use_masking=use_masking, mask_val=-7, image_shape=(H, W, 3))
    got = ours.compute_iou(b1, b2, fmt, **kw)
    if use_masking and b1.ndim != b2.ndim:
        # Keras's masking fails on mixed ranks; the result must equal the batched-both case.
        b1, b2 = (
            np.broadcast_to(b1, (2,) + b1.shape[-2:]),
            np.broadcast_to(b2, (2,) + b2.shape[-2:]),
        )
    expected = theirs.compute_iou(b1, b2, fmt, **kw)
    assert tuple(got.shape) == tuple(expected.shape)
    _close(got, expected)


def test_compute_iou_errors():
    with pytest.raises(ValueError, match="image_shape"):
        ours.compute_iou(_boxes(), _boxes(), "rel_xyxy")
    with pytest.raises(ValueError, match="batched"):
        ours.compute_iou(_boxes((1, 1, 2)), _boxes(), "xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "center_yxhw"])
@pytest.mark.parametrize("shape", [(5,), (2, 5)])
def test_compute_ciou(fmt, shape):
    b1 = to_numpy(theirs.convert_format(_boxes(shape, 7), "xyxy", fmt))
    b2 = to_numpy(theirs.convert_format(_boxes(shape, 8), "xyxy", fmt))
    got = ours.compute_ciou(b1, b2, fmt)
    expected = theirs.compute_ciou(b1, b2, fmt)
    assert tuple(got.shape) == tuple(expected.shape)
    _close(got, expected)
    with pytest.raises(ValueError, match="relative"):
        ours.compute_ciou(b1, b2, "rel_xyxy", image_shape=(H, W, 3))
