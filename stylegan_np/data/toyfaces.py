"""Toy faces: the project's default data set, drawn procedurally so it needs no download.

Every face is a stack of simple shapes (ellipses, circles, line segments, an arc) painted back to
front.  Each shape is described by a signed distance function (SDF): negative inside, positive
outside, in units of the normalised image coordinates (the image spans [-1, 1] in x and y, y
pointing down).  Turning a distance into coverage with a one-pixel-wide ramp,
    coverage = clip(0.5 - distance / pixel_width, 0, 1),
is exactly the area of a pixel covered by a straight edge through it, so edges are anti-aliased
without supersampling, and the same face can be drawn at any resolution.

All faces in a batch are drawn at once: the pixel grid is a (1, R, 1) column of y values and a
(1, 1, R) row of x values, every factor is an (n, 1, 1) array, and broadcasting gives (n, R, R)
distance maps.  The only Python loop is over the dozen drawing layers.

The random factors (head position, size, colours, eye size, smile, ...) come back as labels, so
the data set can also be used to check whether a latent space has disentangled them.
"""

import numpy as np

from stylegan_np.data.dataset import ImageDataset
from stylegan_np.data.resample import check_resolution

# Palettes in RGB [0, 1].  Skin tones are blended between neighbouring entries; hair colours are
# jittered.  Mouth and pupils have fixed dark colours, so tests can find them.
_SKIN_TONES = np.array([[1.00, 0.87, 0.77], [0.96, 0.76, 0.60], [0.84, 0.62, 0.45],
                        [0.62, 0.43, 0.30], [0.42, 0.28, 0.20]], dtype=np.float32)
_HAIR_COLOURS = np.array([[0.10, 0.08, 0.07], [0.35, 0.20, 0.10], [0.60, 0.40, 0.20],
                          [0.93, 0.80, 0.45], [0.75, 0.30, 0.10], [0.70, 0.70, 0.72]],
                         dtype=np.float32)
MOUTH_COLOUR = np.array([0.55, 0.08, 0.12], dtype=np.float32)
PUPIL_COLOUR = np.array([0.08, 0.06, 0.10], dtype=np.float32)
EYE_WHITE = np.array([0.98, 0.98, 0.98], dtype=np.float32)
CHEEK_COLOUR = np.array([0.95, 0.45, 0.45], dtype=np.float32)

# Names and order of the factors returned as labels.
FACTOR_NAMES = ("head_x", "head_y", "head_size", "aspect",
                "skin_r", "skin_g", "skin_b", "hair_r", "hair_g", "hair_b", "hair",
                "hair_long", "bg_r", "bg_g", "bg_b", "shirt_r", "shirt_g", "shirt_b",
                "eye_size", "eye_gap", "gaze_x", "brow_tilt", "mouth_curve", "mouth_width",
                "blush")


# Luminance (Rec. 601 weights) below these counts as dark: 29% of skins, 37% of backgrounds.
DARK_SKIN_LUMINANCE = 0.5
DARK_BACKGROUND_LUMINANCE = 0.45

# Combinations of factors that a data set can leave out, for the StyleGAN paper's "warped Z"
# experiment (figure 6): with a region of factor space missing from the data, a mapping from a
# Gaussian Z (which has no holes) must bend around it, whereas the learned W can leave the hole
# out.  Dark skin on a dark background: 11% of faces.  (Two factors that the features network of
# stylegan_np.metrics reads reliably at 16x16, 98% and 97% right; it reads long hair only 82% right.)
LEAVE_OUT = {
    "dark-skin-dark-background": lambda f: ((luminance(f, "skin") < DARK_SKIN_LUMINANCE)
                                            & (luminance(f, "bg") < DARK_BACKGROUND_LUMINANCE)),
}


def luminance(factors, name):
    """Perceived brightness of the colour `name` ("skin", "hair", "bg", "shirt"): 0.299 R +
    0.587 G + 0.114 B (Rec. 601)."""
    return (0.299 * factors[f"{name}_r"] + 0.587 * factors[f"{name}_g"]
            + 0.114 * factors[f"{name}_b"])


def sample_factors(n, rng):
    """Draw the random factors of `n` faces: a dict of float32 arrays of shape (n,).

    Sizes are relative to the head so that every face keeps cartoon proportions:
    `eye_size` is the eye radius over the head's height radius, `eye_gap` is the half distance
    between the eyes over the head's width radius, `mouth_width` likewise.
    """
    def uniform(low, high):
        return rng.uniform(low, high, size=n)

    f = {}
    f["head_x"] = uniform(-0.12, 0.12)
    f["head_y"] = uniform(-0.02, 0.12)
    f["head_size"] = uniform(0.56, 0.74)           # vertical radius of the head ellipse
    f["aspect"] = uniform(0.72, 0.95)              # width radius / height radius
    # Skin: a random point between two neighbouring palette tones, plus a little jitter.
    t = uniform(0.0, len(_SKIN_TONES) - 1.0)
    lo = np.floor(t).astype(int)
    hi = np.minimum(lo + 1, len(_SKIN_TONES) - 1)
    skin = _SKIN_TONES[lo] + (t - lo)[:, None] * (_SKIN_TONES[hi] - _SKIN_TONES[lo])
    skin = np.clip(skin + rng.normal(0.0, 0.02, size=(n, 3)), 0.0, 1.0)
    hair = _HAIR_COLOURS[rng.integers(0, len(_HAIR_COLOURS), size=n)]
    hair = np.clip(hair + rng.normal(0.0, 0.04, size=(n, 3)), 0.0, 1.0)
    f["hair"] = np.where(rng.random(n) < 0.12, 0.0, uniform(0.3, 1.0))   # 0 = bald
    # 0 = short; bald heads get no long hair, so the label always matches the picture.
    f["hair_long"] = np.where((rng.random(n) < 0.6) | (f["hair"] == 0), 0.0, uniform(0.3, 1.0))
    bg = uniform(0.15, 0.95)[:, None] * np.ones(3) + rng.normal(0.0, 0.25, size=(n, 3))
    bg = np.clip(bg, 0.05, 1.0)
    shirt = rng.uniform(0.05, 0.95, size=(n, 3))
    for name, colour in (("skin", skin), ("hair", hair), ("bg", bg), ("shirt", shirt)):
        for i, channel in enumerate("rgb"):
            f[f"{name}_{channel}"] = colour[:, i]
    f["eye_size"] = uniform(0.12, 0.18)
    f["eye_gap"] = uniform(0.32, 0.50)
    f["gaze_x"] = uniform(-1.0, 1.0)
    f["brow_tilt"] = uniform(-1.0, 1.0)
    f["mouth_curve"] = uniform(-1.0, 1.0)          # > 0 smile, < 0 frown
    f["mouth_width"] = uniform(0.30, 0.55)
    f["blush"] = np.where(rng.random(n) < 0.5, 0.0, uniform(0.2, 0.6))
    return {name: f[name].astype(np.float32) for name in FACTOR_NAMES}


# ---- signed distance functions; p = (x, y) broadcast arrays, parameters (n, 1, 1) arrays ----

def _sd_ellipse(x, y, cx, cy, rx, ry):
    """Approximate signed distance to an axis-aligned ellipse.

    The implicit function k0 = |p / r| - 1 is zero on the ellipse; dividing it by the length of
    its gradient turns it into a distance that is accurate near the edge, which is all the
    anti-aliasing ramp needs.
    """
    px, py = (x - cx) / rx, (y - cy) / ry
    k0 = np.sqrt(px * px + py * py)
    k1 = np.sqrt((px / rx) ** 2 + (py / ry) ** 2)
    return k0 * (k0 - 1.0) / (k1 + 1e-6)


def _sd_circle(x, y, cx, cy, r):
    return np.sqrt((x - cx) ** 2 + (y - cy) ** 2) - r


def _sd_segment(x, y, ax, ay, bx, by, half_width):
    """Distance to a thick line segment from (ax, ay) to (bx, by) with rounded ends."""
    dx, dy = bx - ax, by - ay
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.sqrt((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2) - half_width


def _sd_parabola_arc(x, y, cx, cy, half_len, bend, half_width, segments=8):
    """A thick arc y = cy + bend * (1 - 2 (u / half_len)^2) for |u| <= half_len, u = x - cx.

    bend > 0 puts the middle lower than the ends (a smile, as y points down).  The exact distance
    to a parabola needs a cubic solve; a chain of short straight segments is simpler, exact for
    what it draws, and at 8 segments indistinguishable from the curve at these sizes.
    """
    us = [half_len * (2.0 * i / segments - 1.0) for i in range(segments + 1)]
    points = [(cx + u, cy + bend * (1.0 - 2.0 * (u / half_len) ** 2)) for u in us]
    distance = _sd_segment(x, y, *points[0], *points[1], 0.0)
    for (ax, ay), (bx, by) in zip(points[1:-1], points[2:]):
        np.minimum(distance, _sd_segment(x, y, ax, ay, bx, by, 0.0), out=distance)
    return distance - half_width


class ToyFaces(ImageDataset):
    """Procedurally drawn cartoon faces at a power-of-two resolution from 4 to 128.

    `sample(n, rng)` gives fresh faces every call (the set is infinite, so there is no len()).
    Without an `rng` the data set's own generator, seeded by `seed`, is used.
    `leave_out` names a combination of factors (a key of LEAVE_OUT) that never appears: faces
    that have it are drawn again.
    """

    def __init__(self, resolution, seed=0, leave_out=None):
        super().__init__(check_resolution(resolution, max_resolution=128), channels=3, seed=seed)
        if leave_out is not None and leave_out not in LEAVE_OUT:
            raise ValueError(f"leave_out={leave_out!r}: choose one of {', '.join(LEAVE_OUT)}")
        self.leave_out = leave_out
        r = self.resolution
        # Pixel centres in normalised coordinates, ready to broadcast against (n, 1, 1) factors.
        centres = ((np.arange(r, dtype=np.float32) + 0.5) / r * 2.0 - 1.0)
        self._x = centres.reshape(1, 1, r)
        self._y = centres.reshape(1, r, 1)
        self._pixel = np.float32(2.0 / r)
        # Enough faces per chunk to vectorise well, few enough for temporaries to fit in cache.
        self._chunk = max(8, (1 << 17) // (r * r))

    def sample(self, n, rng=None):
        """(n, 3, R, R) float32 faces in [-1, 1]."""
        return self.sample_with_labels(n, rng)[0]

    def sample_with_labels(self, n, rng=None):
        """(images, labels): the faces and the dict of factors that drew them."""
        rng = self._rng(rng)
        factors = sample_factors(n, rng)
        if self.leave_out is not None:
            factors = self._redraw_left_out(factors, rng)
        return self.render(factors), factors

    def _redraw_left_out(self, factors, rng):
        """Replace every face with the left-out combination by a fresh draw, until none is left."""
        left_out = LEAVE_OUT[self.leave_out]
        bad = np.flatnonzero(left_out(factors))
        while len(bad):
            fresh = sample_factors(len(bad), rng)
            for name in FACTOR_NAMES:
                factors[name][bad] = fresh[name]
            bad = bad[left_out(fresh)]
        return factors

    def render(self, factors):
        """Draw faces from a dict of factors (as from `sample_factors`); (n, 3, R, R) in [-1, 1]."""
        n = len(factors["head_x"])
        r = self.resolution
        out = np.empty((n, 3, r, r), dtype=np.float32)
        for start in range(0, n, self._chunk):
            part = {k: np.asarray(v[start:start + self._chunk], dtype=np.float32)
                    for k, v in factors.items()}
            out[start:start + self._chunk] = self._render_chunk(part)
        return out

    def _span(self, low, high):
        """The slice of pixel indices whose centres lie within a pixel of [min(low), max(high)]."""
        r = self.resolution
        first = int(np.floor((np.min(low) + 1.0) / self._pixel)) - 1
        last = int(np.ceil((np.max(high) + 1.0) / self._pixel)) + 1
        return slice(max(first, 0), min(max(last, 0), r))

    def _render_chunk(self, f):
        n = len(f["head_x"])
        r = self.resolution
        image = np.empty((n, 3, r, r), dtype=np.float32)
        scratch = np.empty_like(image)

        def col(name):                       # (n,) factor -> (n, 1, 1) for broadcasting
            return f[name][:, None, None]

        def rgb(name):                       # three factors -> (n, 3, 1, 1) colour
            return np.stack([f[f"{name}_r"], f[f"{name}_g"], f[f"{name}_b"]],
                            axis=1)[:, :, None, None]

        def paint(sdf, colour, opacity=1.0, box=None):
            """Composite `colour` over the image wherever the shape `sdf(x, y)` covers pixels.

            `box` = (left, top, right, bottom) bounds the shape in every face of the chunk;
            only that window of pixels is touched, which makes small features (eyes, mouth)
            several times cheaper.  Blending is image += cover * (colour - image), done in
            place through a scratch buffer, because painting is most of the drawing time.
            """
            if box is None:
                rows = cols = slice(None)
            else:
                rows, cols = self._span(box[1], box[3]), self._span(box[0], box[2])
            distance = sdf(self._x[:, :, cols], self._y[:, rows, :])
            cover = distance * np.float32(-1.0 / self._pixel)
            cover += 0.5
            np.clip(cover, 0.0, 1.0, out=cover)
            if not np.isscalar(opacity) or opacity != 1.0:
                cover *= opacity
            window, tmp = image[:, :, rows, cols], scratch[:, :, rows, cols]
            np.subtract(np.reshape(colour, (-1, 3, 1, 1)), window, out=tmp)
            np.multiply(tmp, cover[:, None], out=tmp)
            window += tmp

        hx, hy = col("head_x"), col("head_y")
        ry = col("head_size")
        rx = ry * col("aspect")
        skin, hair_colour = rgb("skin"), rgb("hair")
        hair, hair_long = col("hair"), col("hair_long")
        image[:] = rgb("bg")                 # the background fill

        # Shoulders: a wide ellipse rising from the bottom edge, under the chin.
        paint(lambda x, y: _sd_ellipse(x, y, hx, hy + ry * 1.9, rx * 1.9, ry * 0.95),
              rgb("shirt"))
        # Neck, then ears a little darker than the face.
        paint(lambda x, y: _sd_segment(x, y, hx, hy, hx, hy + ry * 1.1, rx * 0.38), skin * 0.9)
        ear_r = ry * 0.2
        for side in (-1.0, 1.0):
            ear_x, ear_y = hx + side * rx * 0.97, hy + ry * 0.05
            paint(lambda x, y: _sd_circle(x, y, ear_x, ear_y, ear_r), skin * 0.92,
                  box=(ear_x - ear_r, ear_y - ear_r, ear_x + ear_r, ear_y + ear_r))
        # Long hair hangs behind the head, down to the jaw or the shoulders.  Intersecting two
        # shapes is the max of their distances; here an ellipse and "above a horizontal line".
        paint(lambda x, y: np.maximum(
                  _sd_ellipse(x, y, hx, hy - ry * 0.05, rx * 1.22, ry * 1.15),
                  y - (hy + ry * (1.3 * hair_long - 0.1))),
              hair_colour, opacity=hair_long > 0)
        paint(lambda x, y: _sd_ellipse(x, y, hx, hy, rx, ry), skin)

        # Hair: a slightly larger head-shaped cap, cut off below a wavy hairline.  More hair
        # lowers the hairline from above the crown (bald) towards the eyebrows.
        def hair_cap(x, y):
            hairline = hy - ry * (1.25 - 0.95 * hair) \
                + 0.06 * ry * np.sin((x - hx) / rx * 9.0) * (hair > 0)
            return np.maximum(_sd_ellipse(x, y, hx, hy - ry * 0.06, rx * 1.12, ry * 1.1),
                              y - hairline)
        paint(hair_cap, hair_colour)

        # Eyes: white ellipses with pupils that look left or right together.
        eye_r = ry * col("eye_size")
        eye_dx = rx * col("eye_gap")
        eye_y = hy - ry * 0.12
        pupil_r = eye_r * 0.55
        gaze = col("gaze_x") * (eye_r - pupil_r) * 0.8
        brow_y = eye_y - eye_r * 1.15 - ry * 0.1
        tilt = col("brow_tilt") * ry * 0.07
        for side in (-1.0, 1.0):
            ex = hx + side * eye_dx
            eye_box = (ex - eye_r, eye_y - eye_r * 1.15, ex + eye_r, eye_y + eye_r * 1.15)
            paint(lambda x, y: _sd_ellipse(x, y, ex, eye_y, eye_r, eye_r * 1.15), EYE_WHITE,
                  box=eye_box)
            paint(lambda x, y: _sd_circle(x, y, ex + gaze, eye_y + eye_r * 0.1, pupil_r),
                  PUPIL_COLOUR, box=eye_box)
            # Eyebrows: tilt > 0 raises the outer ends (surprised), < 0 lowers them (cross).
            inner_x, outer_x = ex - side * eye_r * 0.9, ex + side * eye_r * 1.1
            inner_y, outer_y = brow_y + tilt * 0.5, brow_y - tilt * 0.5
            brow_w = ry * 0.035
            paint(lambda x, y: _sd_segment(x, y, inner_x, inner_y, outer_x, outer_y, brow_w),
                  hair_colour * 0.7,
                  box=(np.minimum(inner_x, outer_x) - brow_w, brow_y - np.abs(tilt) - brow_w,
                       np.maximum(inner_x, outer_x) + brow_w, brow_y + np.abs(tilt) + brow_w))
            # Cheeks: a translucent blush, absent for half of the faces.
            cheek_x, cheek_y, cheek_r = hx + side * rx * 0.58, hy + ry * 0.3, ry * 0.12
            paint(lambda x, y: _sd_circle(x, y, cheek_x, cheek_y, cheek_r), CHEEK_COLOUR,
                  opacity=col("blush"),
                  box=(cheek_x - cheek_r, cheek_y - cheek_r, cheek_x + cheek_r, cheek_y + cheek_r))

        # Nose: a small shadow, a darker shade of the skin.
        nose_x, nose_y = hx + col("gaze_x") * rx * 0.03, hy + ry * 0.17
        paint(lambda x, y: _sd_ellipse(x, y, nose_x, nose_y, ry * 0.07, ry * 0.1), skin * 0.8,
              box=(nose_x - ry * 0.07, nose_y - ry * 0.1, nose_x + ry * 0.07, nose_y + ry * 0.1))
        # Mouth: a thick arc whose bend is the smile (+) or frown (-).
        mouth_y, mouth_w = hy + ry * 0.5, rx * col("mouth_width")
        bend, lip = col("mouth_curve") * ry * 0.13, ry * 0.055
        paint(lambda x, y: _sd_parabola_arc(x, y, hx, mouth_y, mouth_w, bend, lip), MOUTH_COLOUR,
              box=(hx - mouth_w - lip, mouth_y - np.abs(bend) - lip,
                   hx + mouth_w + lip, mouth_y + np.abs(bend) + lip))
        image *= 2.0
        image -= 1.0
        return image


def toy_faces(n, resolution, seed=0, return_labels=False):
    """`n` toy faces at `resolution`, reproducible from `seed`; optionally with their factors."""
    faces = ToyFaces(resolution, seed=seed)
    images, labels = faces.sample_with_labels(n)
    return (images, labels) if return_labels else images
