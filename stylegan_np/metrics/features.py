"""Our stand-in for the Inception network of FID: a small convolutional net that reads the toy faces'
factors (head position, skin and hair colour, hair length, eyes, mouth, ...) off an image.

FID (Heusel et al. 2017) compares real and generated images in the features of a network trained
to recognise what is in images; everyone uses Inception-v3 trained on ImageNet, which must be
downloaded and knows nothing about cartoon faces.  Our toy faces come with the factors that drew
them, so we train our own network, with our own engine, to predict those factors: its last hidden
layer (64 numbers) then describes exactly the properties that make one toy face differ from
another, and two sets of images whose features have the same distribution show the same
distribution of faces.  The same network's predictions label generated images for the linear
separability metric, and distances between its features stand in for LPIPS in the perceptual path
length (see ppl.py).

    image 16x16x3 -> conv3x3 24, lrelu, avg-pool -> conv3x3 48, lrelu, avg-pool
                  -> conv3x3 64, lrelu, avg-pool -> dense 256 -> 64 features (lrelu)
                  -> dense 64 -> one output per factor (standardised: zero mean, unit variance)

Images of another resolution are box-downsampled or nearest-upsampled to 16x16 first
(`data.resample_to`), so FID at 32x32 measures the faces' content, not their finest detail.

The shipped weights (weights/toyfaces16.npz, about 240 kB) are reproduced by
    python -m stylegan_np.metrics.train_features
which also stores, with the weights, how well each factor is predicted on faces it never saw.
"""
from __future__ import annotations

import os

import numpy as np

from .. import backend, checkpoint, nn
from ..autograd import Tensor, no_grad
from ..errors import UserError
from ..ops import avg_pool2d, reshape

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
FEATURES_FILES = {"toyfaces": "toyfaces16.npz", "fashion-mnist": "fashion-mnist16.npz"}


def extractor_for_data(data):
    """The shipped FeatureExtractor whose features describe images of the data set `data` (a
    training config's --data), on the current backend; None where there is none (a folder of
    images, 2-D points, or Fashion-MNIST before its network is trained).  Loaded once per backend."""
    dataset = "toyfaces" if data in ("toyfaces", "toyfaces-warped") else data
    if dataset not in FEATURES_FILES or not os.path.isfile(os.path.join(WEIGHTS_DIR, FEATURES_FILES[dataset])):
        return None
    key = (dataset, backend.current())
    if key not in _LOADED:
        _LOADED[key] = FeatureExtractor.load(dataset)
    return _LOADED[key]


_LOADED = {}


class FeaturesNet(nn.Module):
    """Three conv + pool stages, a dense layer whose output is the features, a linear head."""

    def __init__(self, channels=3, n_outputs=25, resolution=16, widths=(24, 48, 64), feature_dim=64):
        super().__init__()
        self.resolution, self.channels = resolution, channels
        dims = (channels,) + tuple(widths)
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, activation="lrelu") for a, b in zip(dims, dims[1:]))
        side = resolution // 2 ** len(widths)
        self.dense = nn.Linear(widths[-1] * side * side, feature_dim, activation="lrelu")
        self.head = nn.Linear(feature_dim, n_outputs)

    def features(self, x):
        for conv in self.convs:
            x = avg_pool2d(conv(x))
        return self.dense(reshape(x, (x.shape[0], -1)))

    def forward(self, x):
        return self.head(self.features(x))


class FeatureExtractor:
    """A trained FeaturesNet with what it was trained for: `features(images)` for FID and PPL,
    `predict(images)` for the factors (or class scores) it learned.

    `meta` (stored with the weights) names the data set, the outputs and their scales:
    outputs are standardised, and `predict` turns them back into the factors' own units."""

    def __init__(self, net, meta):
        self.net, self.meta = net, meta
        self.resolution, self.channels = net.resolution, net.channels
        self.output_names = tuple(meta["outputs"])
        self.output_mean = np.asarray(meta["output_mean"], dtype=np.float64)
        self.output_std = np.asarray(meta["output_std"], dtype=np.float64)
        self.feature_std = np.asarray(meta.get("feature_std", np.ones(net.dense.out_features)))

    @classmethod
    def load(cls, dataset="toyfaces", path=None):
        """The shipped network for `dataset` (or the weights file at `path`), on the current backend."""
        if path is None:
            if dataset not in FEATURES_FILES:
                raise UserError(f"no features network for data set {dataset!r}: FID, PPL and separability "
                                f"are measured on {', '.join(FEATURES_FILES)}")
            path = os.path.join(WEIGHTS_DIR, FEATURES_FILES[dataset])
            if not os.path.isfile(path):
                raise UserError(f"the features network for {dataset} is not trained yet ({path} is "
                                f"missing): make it with python -m stylegan_np.metrics.train_features "
                                f"--data {dataset}")
        ckpt = checkpoint.load(path)
        meta = ckpt.extra
        # The initial weights are overwritten at once; build them from a private generator so that
        # loading the network mid-training (FID at a snapshot) leaves the global random stream as
        # it was, and a resumed run draws the same numbers as one that never stopped.
        name = backend.current()
        saved = backend.rng(name)
        backend._generators[name] = backend.generator(0, name)
        try:
            net = FeaturesNet(**meta["architecture"])
        finally:
            backend._generators[name] = saved
        net.load_state_dict(ckpt.modules["net"])
        return cls(net, meta)

    def prepare(self, images):
        """Host float32 NCHW images in [-1, 1], resampled to the network's resolution; checked."""
        from ..data import resample_to
        images = backend.to_numpy(images.data if isinstance(images, Tensor) else images)
        if images.ndim != 4 or images.shape[2] != images.shape[3]:
            raise UserError(f"the features network reads square NCHW images, got shape {images.shape}")
        if images.shape[1] != self.channels:
            raise UserError(f"the {self.meta['dataset']} features network reads {self.channels}-channel "
                            f"images, got {images.shape[1]} channels")
        if not np.all(np.isfinite(images)):
            raise UserError("the images contain NaN or infinite values: the generator has diverged")
        return resample_to(np.asarray(images, dtype=np.float32), self.resolution)

    def _run(self, images, method, batch):
        images = self.prepare(images)
        out = []
        with no_grad():
            for start in range(0, len(images), batch):
                x = Tensor(backend.to_backend(images[start:start + batch]))
                out.append(backend.to_numpy(method(x).data))
        return np.concatenate(out).astype(np.float64)

    def features(self, images, batch=500):
        """(N, 64) float64 features: the last hidden layer, FID's 'pool3'."""
        return self._run(images, self.net.features, batch)

    def predict(self, images, batch=500):
        """A dict output name -> (N,) predictions in the outputs' own units (toy-face factors)."""
        scores = self._run(images, self.net, batch) * self.output_std + self.output_mean
        return {name: scores[:, i] for i, name in enumerate(self.output_names)}
