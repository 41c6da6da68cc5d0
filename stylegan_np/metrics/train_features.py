"""python -m stylegan_np.metrics.train_features — train the features network of FID, PPL and
separability, with our own engine, and write its weights into the package.

    python -m stylegan_np.metrics.train_features                       # toy faces (shipped)
    python -m stylegan_np.metrics.train_features --data fashion-mnist  # needs the IDX files

Toy faces: a regression of the 25 standardised factors (mean squared error) on fresh faces every
step (the set is infinite, so the network cannot memorise it).  Fashion-MNIST: a classifier of
the 10 classes (cross-entropy) on the training split; accuracy is measured on the test split.
Adam, batch 64, the learning rate divided by 10 for the last fifth of the steps.  Afterwards the
network is measured on images it never saw (R^2 per factor, or accuracy), and that goes into the
weights file with everything else `FeatureExtractor` needs.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from .. import backend, checkpoint
from ..autograd import Tensor, no_grad
from ..cli import run_main
from ..errors import UserError
from ..ops import exp, log, mean
from ..ops import max as reduce_max
from ..ops import sum as reduce_sum
from ..optim import Adam
from .features import FEATURES_FILES, WEIGHTS_DIR, FeatureExtractor, FeaturesNet

RESOLUTION = 16


def cross_entropy(logits, labels):
    """Mean of -log softmax(logits)[label]; log-softmax as logits - m - log sum exp(logits - m) with
    m the row maximum (a constant: it cancels, and keeps exp from overflowing)."""
    xp = logits.xp
    shifted = logits - Tensor(reduce_max(logits, axis=1, keepdims=True).data)
    log_probs = shifted - log(reduce_sum(exp(shifted), axis=1, keepdims=True))
    onehot = xp.zeros(logits.shape, dtype=logits.dtype)
    onehot[xp.arange(len(labels)), xp.asarray(labels)] = 1
    return -mean(reduce_sum(log_probs * Tensor(onehot), axis=1))


class ToyFacesTask:
    """Regression of the standardised toy-face factors."""

    def __init__(self, seed):
        from ..data import FACTOR_NAMES, ToyFaces, sample_factors
        self.names = FACTOR_NAMES
        self.data = ToyFaces(RESOLUTION, seed=seed)
        stats = sample_factors(200_000, np.random.default_rng([seed, 1]))
        self.mean = np.array([stats[k].mean(dtype=np.float64) for k in self.names])
        self.std = np.array([stats[k].std(dtype=np.float64) for k in self.names])
        self.held_out = self.data.sample_with_labels(4000, np.random.default_rng([seed, 2]))

    def targets(self, factors):
        y = np.stack([factors[k] for k in self.names], axis=1)
        return ((y - self.mean) / self.std).astype(np.float32)

    def batch(self, n, rng):
        images, factors = self.data.sample_with_labels(n, rng)
        return images, self.targets(factors)

    def loss(self, outputs, targets):
        return mean((outputs - Tensor(backend.to_backend(targets))) ** 2)

    def evaluate(self, extractor):
        """R^2 of every factor on 4000 faces the network never saw."""
        images, factors = self.held_out
        predicted = extractor.predict(images)
        return {k: round(float(1 - np.mean((predicted[k] - factors[k]) ** 2) / np.var(factors[k])), 4)
                for k in self.names}

    def meta(self):
        return dict(dataset="toyfaces", outputs=list(self.names), output_mean=self.mean.tolist(),
                    output_std=self.std.tolist())


class FashionMNISTTask:
    """Classification of the 10 Fashion-MNIST classes."""

    def __init__(self, seed, path=None):
        from ..data import FASHION_MNIST_CLASSES, FashionMNIST
        self.names = FASHION_MNIST_CLASSES
        self.train = FashionMNIST(RESOLUTION, path=path, split="train", seed=seed)
        self.test = FashionMNIST(RESOLUTION, path=path, split="test", seed=seed)

    def batch(self, n, rng):
        index = rng.integers(0, len(self.train), size=n)
        return self.train.take(index), self.train.labels[index]

    def loss(self, outputs, labels):
        return cross_entropy(outputs, labels)

    def evaluate(self, extractor):
        scores = extractor.predict(self.test.take(np.arange(len(self.test))))
        guess = np.argmax(np.stack([scores[k] for k in self.names], axis=1), axis=1)
        return {"test_accuracy": round(float(np.mean(guess == self.test.labels)), 4)}

    def meta(self):
        return dict(dataset="fashion-mnist", outputs=list(self.names),
                    output_mean=[0.0] * len(self.names), output_std=[1.0] * len(self.names))


def train(task, channels, steps=10000, batch=64, lr=1e-3, seed=0, log=print):
    """Train a FeaturesNet on `task`; returns (net, meta) ready for `save`."""
    backend.seed(seed)
    architecture = dict(channels=channels, n_outputs=len(task.names), resolution=RESOLUTION)
    net = FeaturesNet(**architecture)
    opt = Adam(net.parameters(), lr=lr, betas=(0.9, 0.99))
    rng = np.random.default_rng([seed, 3])
    start, running = time.time(), None
    for step in range(steps):
        opt.lr = lr if step < 0.8 * steps else lr / 10
        images, targets = task.batch(batch, rng)
        loss = task.loss(net(Tensor(backend.to_backend(images))), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running = float(loss.item()) if running is None else 0.98 * running + 0.02 * float(loss.item())
        if (step + 1) % 250 == 0 or step + 1 == steps:
            log(f"step {step + 1}/{steps}  loss {running:.4f}  ({time.time() - start:.0f} s)")
    meta = dict(task.meta(), architecture=architecture, steps=steps, batch=batch, lr=lr, seed=seed,
                command=" ".join(["python -m stylegan_np.metrics.train_features"] + sys.argv[1:]))
    extractor = FeatureExtractor(net, meta)
    held_out = task.held_out[0] if hasattr(task, "held_out") else task.test.take(np.arange(4000))
    with no_grad():
        meta["feature_std"] = extractor.features(held_out).std(axis=0).tolist()
    extractor.feature_std = np.asarray(meta["feature_std"])
    meta["held_out"] = task.evaluate(extractor)
    meta["train_seconds"] = round(time.time() - start, 1)
    return net, meta


def parser():
    p = argparse.ArgumentParser(prog="python -m stylegan_np.metrics.train_features", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", choices=tuple(FEATURES_FILES), default="toyfaces")
    p.add_argument("--steps", type=int, default=10000, help="Adam steps of batch 64 (default 10000, as shipped)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fashion-mnist-path", help="folder with the Fashion-MNIST IDX files")
    p.add_argument("--out", help=f"weights file (default: the package's {WEIGHTS_DIR}/...)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.steps < 1:
        raise UserError("--steps must be at least 1")
    if args.data == "toyfaces":
        task, channels = ToyFacesTask(args.seed), 3
    else:
        task, channels = FashionMNISTTask(args.seed, args.fashion_mnist_path), 1
    net, meta = train(task, channels, steps=args.steps, seed=args.seed)
    out = args.out or os.path.join(WEIGHTS_DIR, FEATURES_FILES[args.data])
    checkpoint.save(out, modules={"net": net}, extra=meta)
    print("held out:", meta["held_out"])
    print(f"wrote {out} ({os.path.getsize(out) / 1024:.0f} kB) in {meta['train_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
