"""Small generators trained by this package, shipped with it, so that chapters 5-9, `generate` and
`evaluate` can start without a training run.

Each is the EMA generator (`G_ema-final.npz`) of one run of `python -m stylegan_np.train`; the
command below reproduces it: bit for bit on the machine that made it (the StyleGAN's whole 150-kimg run
from a fresh clone; the DCGAN's first 1 kimg and the ProGAN's first 13), and elsewhere up to rounding,
which a GAN's training amplifies into different faces of the same quality. Where to use:

    python -m stylegan_np.generate stylegan-toyfaces-16        # a shipped name works wherever a run folder does
    python -m stylegan_np.evaluate stylegan-toyfaces-16
    G, cfg = stylegan_np.generate.load_generator("stylegan-toyfaces-16")

How good each is (measured when it was made): docs/pretrained.md.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import UserError

FOLDER = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Pretrained:
    name: str
    chapter: str       # where the book uses it
    command: str       # the training command that made it (its G_ema-final.npz is the shipped file)
    about: str

    @property
    def path(self):
        return os.path.join(FOLDER, self.name + ".npz")


PRETRAINED = {p.name: p for p in (
    Pretrained("stylegan-toyfaces-16", "chapters 7-9, the README's main job",
               "python -m stylegan_np.train --threads 1",
               "the README's main job: StyleGAN, 16x16 toy faces, the tiny preset"),
    Pretrained("dcgan-toyfaces-16", "chapter 5",
               "python -m stylegan_np.train --model dcgan --kimg 100 --threads 1",
               "DCGAN, 16x16 toy faces, the tiny preset, 100 kimg"),
    Pretrained("progan-toyfaces-16", "chapter 6",
               "python -m stylegan_np.train --model progan --kimg 100 --threads 1",
               "ProGAN grown from 4x4 to 16x16 on toy faces, the tiny preset, 100 kimg"),
)}


def is_pretrained(source):
    """Whether `source` names a shipped generator (and is not also a path that exists: a path wins)."""
    return isinstance(source, str) and source in PRETRAINED and not os.path.exists(source)


def resolve(source):
    """The file behind `source`: a shipped generator's file when `source` names one, else `source` unchanged."""
    if not is_pretrained(source):
        return source
    path = PRETRAINED[source].path
    if not os.path.isfile(path):
        raise UserError(f"the shipped generator {source} is missing from {FOLDER}: reinstall stylegan_np, "
                        f"or make it with: {PRETRAINED[source].command} --out <folder>")
    return path


def names():
    return tuple(PRETRAINED)
