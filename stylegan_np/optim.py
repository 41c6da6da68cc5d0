"""Optimizers: SGD with momentum, and Adam (StyleGAN uses betas (0, 0.99), eps 1e-8).

Updates run on raw arrays, outside the graph, in place (the Parameter objects the model holds keep
their identity).  Equalized learning rate needs nothing here: Adam sees the stored, unscaled weight.
"""
from __future__ import annotations

import math

from . import backend


class Optimizer:
    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got no parameters")
        self.lr = lr
        self.state: dict[int, dict] = {}   # per parameter index: name -> array
        self.counts: dict[int, int] = {}   # per parameter index: updates it has received
        self.steps = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.steps += 1
        for i, p in enumerate(self.params):
            if p.grad is not None:
                # A parameter without a gradient (a layer not yet faded in) is left alone, and its
                # own update count (Adam's bias correction) does not advance.
                self.counts[i] = self.counts.get(i, 0) + 1
                self.update(i, p, p.grad.data)

    def update(self, i, p, g):
        raise NotImplementedError

    def _buffer(self, i, name, like):
        """Per-parameter state, created as zeros the first time it is asked for."""
        slot = self.state.setdefault(i, {})
        if name not in slot:
            slot[name] = backend.get_array_module(like).zeros_like(like)
        return slot[name]

    # -- saving and moving --
    def state_dict(self):
        """Flat name -> array/number mapping (what checkpoints store)."""
        out = {"steps": self.steps, "lr": self.lr}
        out.update({f"count.{i}": n for i, n in self.counts.items()})
        for i, slot in self.state.items():
            for name, array in slot.items():
                out[f"state.{i}.{name}"] = array
        return out

    def load_state_dict(self, state):
        self.steps, self.lr = int(state["steps"]), float(state["lr"])
        self.state = {}
        self.counts = {int(k.split(".")[1]): int(v) for k, v in state.items() if k.startswith("count.")}
        for key, array in state.items():
            if key.startswith("state."):
                _, i, name = key.split(".", 2)
                p = self.params[int(i)]
                if tuple(array.shape) != p.shape:
                    raise ValueError(f"optimizer state {key} has shape {tuple(array.shape)}, parameter {p.shape}")
                self.state.setdefault(int(i), {})[name] = backend.to_backend(
                    array, backend.backend_of(p.data)).astype(p.dtype, copy=True)
        return self

    def to(self, name):
        for slot in self.state.values():
            for key in slot:
                slot[key] = backend.to_backend(slot[key], name)
        return self


class SGD(Optimizer):
    """p -= lr * v with v = momentum * v + g (PyTorch's convention); momentum 0 is plain SGD."""

    def __init__(self, params, lr=0.01, momentum=0.0):
        super().__init__(params, lr)
        self.momentum = momentum

    def update(self, i, p, g):
        if self.momentum:
            v = self._buffer(i, "velocity", p.data)
            v *= self.momentum
            v += g
            g = v
        p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, algorithm 1):
        m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
        p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps

    def update(self, i, p, g):
        ### BEGIN SOLUTION ch03_adam: one step of Kingma & Ba's algorithm 1 for parameter i, in place
        xp = backend.get_array_module(p.data)
        m = self._buffer(i, "m", p.data)
        v = self._buffer(i, "v", p.data)
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * (g * g)
        t = self.counts[i]
        step_size = self.lr / (1 - self.beta1 ** t)
        denom = xp.sqrt(v / (1 - self.beta2 ** t))
        denom += self.eps
        p.data -= step_size * (m / denom)
        ### END SOLUTION
