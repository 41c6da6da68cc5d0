"""Turning generated arrays into pictures: image grids and 2-D scatter plots, saved as PNG/GIF."""
from __future__ import annotations

import numpy as np

from .backend import to_numpy


def to_uint8(images):
    """NCHW floats in [-1, 1] (any backend, or a Tensor) -> NHWC uint8 (channels 1 become grey)."""
    images = to_numpy(images)
    images = np.clip((images + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    images = images.transpose(0, 2, 3, 1)
    return images if images.shape[-1] != 1 else np.repeat(images, 3, axis=-1)


def upscale_to(images, size):
    """Nearest-neighbour enlarge NCHW images to `size` pixels (so all grids of a run line up)."""
    factor = size // images.shape[-1]
    if factor <= 1:
        return images
    images = to_numpy(images)
    return images.repeat(factor, axis=2).repeat(factor, axis=3)


def grid(images, rows=None, cols=None, pad=1):
    """Tile NCHW images into one HWC uint8 picture with `pad` pixels of dark border between them."""
    tiles = to_uint8(images)
    n, h, w, c = tiles.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = rows or int(np.ceil(n / cols))
    canvas = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), 32, dtype=np.uint8)
    for k in range(min(n, rows * cols)):
        r, q = divmod(k, cols)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h, pad + q * (w + pad):pad + q * (w + pad) + w] = tiles[k]
    return canvas


def save_png(picture, path, scale=1):
    """Save an HWC uint8 array, optionally enlarged by an integer factor (nearest neighbour)."""
    from PIL import Image
    if scale > 1:
        picture = picture.repeat(scale, axis=0).repeat(scale, axis=1)
    Image.fromarray(picture).save(path)
    return path


def save_grid(images, path, rows=None, cols=None, scale=1):
    return save_png(grid(images, rows, cols), path, scale)


def save_gif(frames, path, duration_ms=80):
    """Save a list of HWC uint8 pictures as a looping animated GIF."""
    from PIL import Image
    pictures = [Image.fromarray(f) for f in frames]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
    return path


def save_scatter(fake, real, path, title=""):
    """2-D samples: real in grey, generated in colour (the vanilla GAN chapter's picture)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fake, real = to_numpy(fake), to_numpy(real)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.scatter(real[:, 0], real[:, 1], s=3, c="0.7", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=3, c="tab:red", label="generated")
    lim = max(3.0, float(np.abs(real).max()) * 1.2)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
