"""ContrastLimitedAdaptiveHistogramEqualization (CLAHE): local histogram equalization."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Contrast-limited adaptive histogram equalization (always on).

    The image (on a ``[0, 255]`` scale) is cut into a ``tile_grid_size`` grid of tiles
    (padded by reflection to a whole number of tiles); each tile's 256-bin histogram is
    clipped at ``clip_limit`` times its mean bin count, the excess spread evenly over all
    bins (the limit truncated to a whole count), and turned into an equalizing lookup table. Each pixel's new value interpolates
    bilinearly between the tables of the four nearest tile centres. The output keeps the
    input dtype.

    Args:
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        clip_limit: Histogram clip threshold relative to the mean bin count; ``<= 0``
            disables clipping.
        tile_grid_size: ``(rows, columns)`` of the tile grid.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layer = layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
        >>> layer(np.random.rand(1, 8, 8, 1).astype("float32") * 255).shape
        torch.Size([1, 8, 8, 1])
    """

    _USE_BASE_FACTOR = False
    _jit_unfriendly = None  # deterministic tensor ops

    def __init__(
        self,
        value_range=(0, 255),
        clip_limit=4.0,
        tile_grid_size=(8, 8),
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def transform_images(self, images, transformation=None, training=True):
        channels_first = self.data_format == "channels_first"
        if channels_first:
            images = images.movedim(-3, -1)
        dtype = images.dtype
        x = self._transform_value_range(images, self.value_range, (0, 255), "float32")
        x = x.to(torch.float32)
        unbatched = x.ndim == 3
        if unbatched:
            x = x.unsqueeze(0)
        out = self._clahe(x)
        if unbatched:
            out = out.squeeze(0)
        out = self._transform_value_range(out, (0, 255), self.value_range, "float32")
        out = out.to(dtype)
        return out.movedim(-1, -3) if channels_first else out

    def _clahe(self, images):
        batch, height, width, channels = images.shape
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
        padded = images
        if pad_h or pad_w:
            # Symmetric (edge-including) reflection on the bottom and right.
            nchw = images.permute(0, 3, 1, 2)
            nchw = torch.cat([nchw, nchw.flip(2)[:, :, :pad_h]], dim=2) if pad_h else nchw
            nchw = torch.cat([nchw, nchw.flip(3)[:, :, :, :pad_w]], dim=3) if pad_w else nchw
            padded = nchw.permute(0, 2, 3, 1)
        tiles = padded.reshape(batch, grid_h, tile_h, grid_w, tile_w, channels)
        tiles = tiles.permute(0, 1, 3, 5, 2, 4).reshape(batch, grid_h, grid_w, channels, -1)
        levels = tiles.to(torch.int32).clamp(0, 255).long()
        hists = F.one_hot(levels, 256).sum(dim=-2).to(torch.float32)
        area = tile_h * tile_w
        if self.clip_limit > 0:
            # Bin counts are integers: the limit is truncated to a whole count (as Keras on
            # torch, and OpenCV, do).
            limit = torch.tensor(float(int(self.clip_limit * area / 256.0)), dtype=hists.dtype)
            clipped = torch.minimum(hists, limit)
            hists = clipped + (hists - clipped).sum(dim=-1, keepdim=True) / 256.0
        cdf = torch.cumsum(hists, dim=-1)
        cdf_min = cdf.amin(dim=-1, keepdim=True)
        denominator = area - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        tables = ((cdf - cdf_min) * 255.0 / denominator).clamp(0, 255)
        # Edge tiles repeated once around the grid, so every pixel has four neighbours.
        tables = torch.cat([tables[:, :1], tables, tables[:, -1:]], dim=1)
        tables = torch.cat([tables[:, :, :1], tables, tables[:, :, -1:]], dim=2)

        def axis_weights(size, tile, grid):
            pos = (torch.arange(size, dtype=torch.float32) - tile / 2.0) / tile + 1.0
            low = torch.floor(pos)
            frac = pos - low
            return low.clamp(0, grid + 1).long(), (low + 1).clamp(0, grid + 1).long(), frac

        y0, y1, wy = axis_weights(tile_h * grid_h, tile_h, grid_h)
        x0, x1, wx = axis_weights(tile_w * grid_w, tile_w, grid_w)
        device = images.device
        y0, y1, wy, x0, x1, wx = (t.to(device) for t in (y0, y1, wy, x0, x1, wx))
        pixels = padded.clamp(0, 255).to(torch.int32).long()
        b = torch.arange(batch, device=device).reshape(-1, 1, 1, 1)
        c = torch.arange(channels, device=device).reshape(1, 1, 1, -1)

        def lookup(ys, xs):
            return tables[b, ys.reshape(1, -1, 1, 1), xs.reshape(1, 1, -1, 1), c, pixels]

        wy, wx = wy.reshape(1, -1, 1, 1), wx.reshape(1, 1, -1, 1)
        top = lookup(y0, x0) * (1.0 - wx) + lookup(y0, x1) * wx
        bottom = lookup(y1, x0) * (1.0 - wx) + lookup(y1, x1) * wx
        result = top * (1.0 - wy) + bottom * wy
        return result[:, :height, :width, :]

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size,
                "data_format": self.data_format,
            }
        )
        return config
