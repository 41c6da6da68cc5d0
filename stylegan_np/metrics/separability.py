"""Linear separability (Karras, Laine & Aila 2019, section 4.2).

If a latent space is disentangled, each factor of variation should sit on one side or the other of
a hyperplane in it.  The paper generates 200,000 images, labels each with 40 binary CelebA
attribute classifiers, keeps for every attribute the half of the images its classifier is most
sure about, fits a linear SVM that predicts the label from z (or from w), and measures how much
the SVM's prediction X leaves unknown about the label Y: the conditional entropy H(Y | X).  The
score is exp(sum over attributes of H(Y_i | X_i)): 1 when every attribute is perfectly linearly
separable, 2^k for k attributes that a hyperplane knows nothing about.

What we change, and why:
* Attributes: we have no CelebA classifiers; our toy faces are drawn from known factors, and the
  features network (features.py) predicts them from an image.  A generated image is labelled with
  the network's predictions, binarised at the factor's median over the data (or at a natural
  boundary: "dark skin" is skin luminance below 0.5).  We use the 7 attributes the network reads
  reliably (85-98% right on faces it never saw, 98-100% on the more confident half that is
  kept); eyes, mouth and blush are only a pixel or two at
  16x16 and it reads them barely better than chance.  With 7 attributes instead of 40, our score
  ranges from 1 to 2^7 = 128, and is not comparable with the paper's 165 (Z) or 3.79 (W).
* Confidence: an attribute's confidence is how far its predicted factor lies from the threshold
  (in units of the factor's spread over the data); the more confident half is kept, as in the paper.
* Classifier: L2-regularised logistic regression (scipy L-BFGS), not sklearn's linear SVM (sklearn
  is not a dependency).  Both find a separating hyperplane.
* Held-out predictions: the paper's code measures the SVM on the samples it was fitted to, which
  is harmless with 100,000 samples in 512 dimensions but not with our few thousand in 128: a
  hyperplane then separates even random labels well.  We split the kept samples in two halves,
  fit on each and predict the other (2-fold cross-fitting), so every X is a prediction for a
  sample the classifier never saw.
"""
from __future__ import annotations

import numpy as np
import scipy.optimize

from ..data.toyfaces import DARK_SKIN_LUMINANCE, luminance, sample_factors

# name -> (function of a factor dict giving a scalar per face, threshold or None for the median)
ATTRIBUTES = {
    "dark_skin": (lambda f: luminance(f, "skin"), DARK_SKIN_LUMINANCE),
    "dark_hair": (lambda f: luminance(f, "hair"), None),
    "dark_background": (lambda f: luminance(f, "bg"), None),
    "dark_shirt": (lambda f: luminance(f, "shirt"), None),
    "head_left": (lambda f: f["head_x"], 0.0),
    "head_high": (lambda f: f["head_y"], None),
    "big_head": (lambda f: f["head_size"], None),
}


def attribute_scales(seed=0, n=100_000):
    """(threshold, spread) of every attribute's scalar over the data (a fixed sample of factors)."""
    factors = sample_factors(n, np.random.default_rng([seed, 7]))
    scales = {}
    for name, (value, threshold) in ATTRIBUTES.items():
        v = np.asarray(value(factors), dtype=np.float64)
        scales[name] = (float(np.median(v)) if threshold is None else threshold, float(v.std()))
    return scales


def label_attributes(factors, scales=None):
    """{attribute: (labels in {0, 1}, confidence >= 0)} from a dict of (predicted) factors.

    Label 1 means the value is below the threshold ("dark", "left", "high" (y points down)) for
    every attribute but big_head."""
    scales = scales or attribute_scales()
    out = {}
    for name, (value, _) in ATTRIBUTES.items():
        threshold, spread = scales[name]
        v = np.asarray(value(factors), dtype=np.float64)
        above = v > threshold
        labels = above if name == "big_head" else ~above
        out[name] = (labels.astype(np.int64), np.abs(v - threshold) / spread)
    return out


def fit_linear_classifier(x, y, x_new=None, l2=None):
    """Logistic regression of labels y (0/1) on inputs x; returns its 0/1 predictions for x_new
    (default: x itself).

    Minimises mean(log(1 + exp(-s (x w + b)))) + l2/2 |w|^2 with s = 2y - 1 on inputs standardised
    by x's mean and std, by L-BFGS.  l2 defaults to 1/N, the weight that sklearn's LinearSVC
    (the paper's classifier) gives its |w|^2 with its default C = 1 once its summed loss is
    divided by N."""
    x = np.asarray(x, dtype=np.float64)
    x_new = x if x_new is None else np.asarray(x_new, dtype=np.float64)
    centre, spread = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-12)
    x, x_new = (x - centre) / spread, (x_new - centre) / spread
    s = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
    l2 = 1.0 / len(s) if l2 is None else l2
    if np.all(s == s[0]):                          # one class only: a constant predicts it perfectly
        return np.full(len(x_new), int(s[0] > 0))

    def loss_and_grad(params):
        w, b = params[:-1], params[-1]
        margin = s * (x @ w + b)
        loss = np.mean(np.logaddexp(0.0, -margin)) + 0.5 * l2 * (w @ w)
        dmargin = -0.5 * (1.0 - np.tanh(margin / 2.0)) / len(s)     # d/dm log(1 + e^-m) = -sigmoid(-m)
        grad_w = x.T @ (dmargin * s) + l2 * w
        grad_b = np.sum(dmargin * s)
        return loss, np.append(grad_w, grad_b)

    result = scipy.optimize.minimize(loss_and_grad, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B",
                                     options={"maxiter": 500})
    w, b = result.x[:-1], result.x[-1]
    return (x_new @ w + b > 0).astype(np.int64)


def cross_fitted_predictions(x, y, seed=0):
    """Predictions for every sample from a classifier fitted on the other half of the samples."""
    order = np.random.default_rng(seed).permutation(len(y))
    halves = order[: len(y) // 2], order[len(y) // 2:]
    predicted = np.empty(len(y), dtype=np.int64)
    for fit, held in (halves, halves[::-1]):
        predicted[held] = fit_linear_classifier(x[fit], y[fit], x[held])
    return predicted


def conditional_entropy(predicted, labels):
    """H(Y | X) in nats from paired samples of X (predicted) and Y (labels), both in {0, 1}."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    joint = np.array([[np.mean((predicted == x) & (labels == y)) for y in (0, 1)] for x in (0, 1)])
    p_x = joint.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(joint > 0, joint * np.log(joint / p_x), 0.0)
    return float(max(0.0, -terms.sum()))


def separability(latents, attributes, keep=0.5):
    """exp(sum over attributes of H(Y | X)) for latents (N, D) and {name: (labels, confidence)},
    keeping the `keep` most confident fraction per attribute; returns (score, {name: H in nats})."""
    entropies = {}
    for name, (labels, confidence) in attributes.items():
        order = np.argsort(-confidence, kind="stable")[:max(2, int(len(labels) * keep))]
        predicted = cross_fitted_predictions(latents[order], labels[order])
        entropies[name] = conditional_entropy(predicted, labels[order])
    return float(np.exp(sum(entropies.values()))), entropies


def linear_separability(sampler, extractor, n=10000, seed=0):
    """{"z": score, "w": score (StyleGAN only)} with per-attribute entropies, for a generator."""
    rng = np.random.default_rng([seed, 11])
    z = sampler.latents(n, rng)
    images = sampler.from_z(z, sampler.noise(n, rng))
    attributes = label_attributes(extractor.predict(images))
    spaces = {"z": z}
    if sampler.has_w:
        spaces["w"] = sampler.map(z)
    return {space: separability(latents, attributes) for space, latents in spaces.items()}
