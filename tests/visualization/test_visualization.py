"""keras.visualization: draw_* arrays compared with Keras (or, where Keras needs OpenCV,
with exact expectations); plot_* galleries built on the Agg backend."""

import importlib.util

import matplotlib
import numpy as np
import pytest
from parity import keras

from ketorch import visualization as ours

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HAS_CV2 = importlib.util.find_spec("cv2") is not None


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _images(batch=2, h=24, w=32, c=3, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (batch, h, w, c)).astype("float32")


def _masks(batch=2, h=24, w=32, classes=4, seed=1):
    return np.random.default_rng(seed).integers(-1, classes, (batch, h, w, 1)).astype("int32")


def test_public_names_match_keras():
    names = {n for n in dir(keras.visualization) if not n.startswith("_")}
    assert sorted(ours.__all__) == sorted(names)


@pytest.mark.parametrize("num_classes", [4, 6])
@pytest.mark.parametrize("alpha", [0.8, 0.3])
def test_draw_segmentation_masks_blend_matches_keras(num_classes, alpha):
    images, masks = _images(), _masks()
    got = ours.draw_segmentation_masks(images, masks, num_classes=num_classes, alpha=alpha)
    expected = keras.visualization.draw_segmentation_masks(
        images, masks, num_classes=num_classes, alpha=alpha
    )
    assert got.dtype == np.uint8 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_draw_segmentation_masks_no_blend_color_mapping_ignore_index():
    images, masks = _images(), _masks()
    mapping = {0: (10, 20, 30), 1: (200, 0, 0), 2: (0, 200, 0), 3: (0, 0, 200)}
    got = ours.draw_segmentation_masks(images, masks, 4, color_mapping=mapping, blend=False)
    expected = keras.visualization.draw_segmentation_masks(
        images, masks, 4, color_mapping=mapping, blend=False
    )
    np.testing.assert_array_equal(got, keras.ops.convert_to_numpy(expected))
    got = ours.draw_segmentation_masks(images, masks, 4, ignore_index=2, alpha=0.5)
    expected = keras.visualization.draw_segmentation_masks(
        images, masks, 4, ignore_index=2, alpha=0.5
    )
    np.testing.assert_array_equal(got, expected)
    # ignored pixels keep the image exactly
    keep = masks[..., 0] == 2
    np.testing.assert_array_equal(got[keep], images.astype("uint8")[keep])


def test_draw_segmentation_masks_channels_first_and_errors():
    images, masks = _images(), _masks()
    got = ours.draw_segmentation_masks(
        images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2), 4, data_format="channels_first"
    )
    np.testing.assert_array_equal(got, ours.draw_segmentation_masks(images, masks, 4))
    with pytest.raises(TypeError, match="integer dtype"):
        ours.draw_segmentation_masks(images, masks.astype("float32"), 4)
    with pytest.raises(ValueError, match="4D"):
        ours.draw_segmentation_masks(images[0], masks, 4)


def test_draw_segmentation_masks_inferred_classes_leave_the_top_class_uncolored():
    images = np.full((1, 2, 2, 3), 90.0, "float32")
    masks = np.array([[[[0], [1]], [[2], [2]]]], "int32")
    got = ours.draw_segmentation_masks(images, masks, alpha=1.0)
    np.testing.assert_array_equal(got[0, 0, 0], [0, 0, 0])  # class 0: palette color 0
    np.testing.assert_array_equal(got[0, 0, 1], [1, 127, 31])  # class 1: palette color 1
    np.testing.assert_array_equal(got[0, 1], np.full((2, 3), 90))  # class 2 == max: uncolored


def _box_data():
    boxes = np.array([[[4, 3, 20, 15], [10, 10, 30, 22]], [[0, 0, 8, 8], [2, 2, 5, 5]]], "float32")
    labels = np.array([[0, 1], [1, -1]])
    return {"boxes": boxes, "labels": labels}


@pytest.mark.skipif(not HAS_CV2, reason="Keras's draw_bounding_boxes needs OpenCV")
def test_draw_bounding_boxes_outlines_match_keras():  # pragma: no cover - needs cv2
    images, data = _images(), _box_data()
    got = ours.draw_bounding_boxes(images, data, "xyxy", color=(255, 0, 0), line_thickness=1)
    expected = keras.visualization.draw_bounding_boxes(
        images, data, "xyxy", color=(255, 0, 0), line_thickness=1
    )
    np.testing.assert_array_equal(got, expected)


def test_draw_bounding_boxes_without_opencv_keras_raises():
    if HAS_CV2:
        pytest.skip("OpenCV installed")
    with pytest.raises(ImportError, match="cv2"):
        keras.visualization.draw_bounding_boxes(_images(), _box_data(), "xyxy")


@pytest.mark.parametrize("thickness", [1, 2, 3])
def test_draw_bounding_boxes_outline_pixels(thickness):
    images = np.zeros((2, 24, 32, 3), "uint8")
    got = ours.draw_bounding_boxes(
        images, _box_data(), "xyxy", color=(255, 7, 9), line_thickness=thickness
    )
    assert got.dtype == np.uint8 and got.shape == images.shape
    painted = got[..., 0] == 255
    np.testing.assert_array_equal(got[painted], np.tile([255, 7, 9], (painted.sum(), 1)))
    np.testing.assert_array_equal(got[~painted], 0)
    # box (4, 3, 20, 15) of image 0: each edge line is `thickness` pixels wide
    before = thickness // 2
    after = thickness - 1 - before
    assert painted[0, 3, 4:21].all() and painted[0, 15, 4:21].all()
    assert painted[0, 3:16, 4].all() and painted[0, 3:16, 20].all()
    # interior above the second box (whose outline starts at y=10) is untouched
    assert not painted[0, 3 + after + 1 : 10 - before, 4 + after + 1 : 20 - before].any()
    assert not painted[0, 9, : 4 - before].any()
    # label -1 in image 1 is skipped: only the 0..8 box is there
    expected_1 = np.zeros((24, 32), bool)
    lo, hi = -before, 8 + after
    expected_1[max(lo, 0) : hi + 1, max(lo, 0) : hi + 1] = True
    expected_1[after + 1 : 8 - before, after + 1 : 8 - before] = False
    np.testing.assert_array_equal(painted[1], expected_1)


def test_draw_bounding_boxes_formats_scaling_labels_and_layout():
    images = _images() / 255.0  # [0, 1] floats are scaled to 0..255
    data = _box_data()
    reference = ours.draw_bounding_boxes(images, data, "xyxy")
    assert reference.dtype == np.uint8
    untouched = reference[0, 0, 0]
    np.testing.assert_array_equal(untouched, np.clip(images[0, 0, 0], 0, 1) * 255 // 1)
    rel = dict(
        data,
        boxes=keras.ops.convert_to_numpy(
            keras.utils.bounding_boxes.convert_format(
                data["boxes"], "xyxy", "rel_center_xywh", 24, 32
            )
        ),
    )
    np.testing.assert_array_equal(
        ours.draw_bounding_boxes(images, rel, "rel_center_xywh"), reference
    )
    first = ours.draw_bounding_boxes(
        images.transpose(0, 3, 1, 2), data, "xyxy", data_format="channels_first"
    )
    np.testing.assert_array_equal(first, reference.transpose(0, 3, 1, 2))
    labelled = ours.draw_bounding_boxes(
        np.zeros((2, 60, 80, 3)),
        dict(data, confidences=np.full((2, 2), 0.5)),
        "xyxy",
        class_mapping={0: "cat"},
        color=(0, 255, 0),
        font_scale=0.5,
    )
    plain = ours.draw_bounding_boxes(np.zeros((2, 60, 80, 3)), data, "xyxy", color=(0, 255, 0))
    assert (labelled[0] != plain[0]).any()  # text drawn for class 0
    np.testing.assert_array_equal(labelled[1], plain[1])  # class 1 has no name: no text
    with pytest.raises(ValueError, match="4D"):
        ours.draw_bounding_boxes(images[0], data, "xyxy")
    with pytest.raises(TypeError, match="should be a dict"):
        ours.draw_bounding_boxes(images, data["boxes"], "xyxy")
    with pytest.raises(ValueError, match="'labels'"):
        ours.draw_bounding_boxes(images, {"boxes": data["boxes"]}, "xyxy")


def test_plot_image_gallery_axes_titles_and_file(tmp_path):
    images = _images(batch=5)
    fig = ours.plot_image_gallery(images, show=False)
    assert len(fig.axes) == 3  # rows = ceil(sqrt(5)) = 3, cols = 5 // 3 = 1, as Keras
    keras.visualization.plot_image_gallery(images, show=False)
    assert len(plt.gcf().axes) == 3
    fig = ours.plot_image_gallery(
        images[:4],
        y_true=np.array([0, 1, 0, 1]),
        y_pred=np.array([1, 1, 0, 0]),
        label_map={0: "cat", 1: "dog"},
        rows=2,
        cols=2,
        show=False,
    )
    assert [a.get_title() for a in fig.axes][:2] == [
        "Label: cat  Pred: dog",
        "Label: dog  Pred: dog",
    ]
    path = tmp_path / "gallery.png"
    ours.plot_image_gallery(images / 255.0, value_range=(0, 1), path=str(path))
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match="label_map"):
        ours.plot_image_gallery(images, y_true=np.zeros(5), show=False)
    with pytest.raises(ValueError, match="either `path`"):
        ours.plot_image_gallery(images, path=str(path), show=True)


def test_plot_bounding_box_gallery_and_segmentation_gallery():
    images, data = _images(batch=2), _box_data()
    fig = ours.plot_bounding_box_gallery(
        images,
        "xyxy",
        y_true=data,
        y_pred=data,
        class_mapping={0: "a", 1: "b"},
        legend=True,
        rows=1,
        cols=2,
        show=False,
    )
    assert len(fig.axes) == 2 and len(fig.legends) == 1
    with pytest.raises(ValueError, match="Only pass `legend`"):
        ours.plot_bounding_box_gallery(images, "xyxy", legend=True, legend_handles=[1], show=False)
    masks = _masks(batch=2)
    fig = ours.plot_segmentation_mask_gallery(images, 4, y_true=masks, y_pred=masks, show=False)
    assert len(fig.axes) == 6
    keras.visualization.plot_segmentation_mask_gallery(
        images, 4, y_true=masks, y_pred=masks, show=False
    )
    assert len(plt.gcf().axes) == 6
    drawn = fig.axes[1].get_images()[0].get_array()
    np.testing.assert_array_equal(drawn, ours.draw_segmentation_masks(images, masks, 4)[0])
    fig = ours.plot_segmentation_mask_gallery(images, 4, y_true=masks, show=False)
    assert len(fig.axes) == 4
