"""Module and Parameter: containers that find their own parameters, save and load them, and move
between backends.

A Module registers every attribute that is a Parameter or a Module (in assignment order), so
`parameters()` walks the tree; names are dotted paths ("mapping.0.weight"), which is also how
`state_dict()` keys them.
"""
from __future__ import annotations

from collections import OrderedDict

from .. import backend
from ..autograd import Tensor


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates (requires_grad=True)."""

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class of layers and models: subclasses set attributes in __init__ and define forward."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() first")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if name in self._buffers:
            self._buffers[name] = value if isinstance(value, Tensor) else Tensor(value)
            value = self._buffers[name]
        elif isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    # -- the tree --
    def children(self):
        return iter(self._modules.values())

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) pairs; a Parameter shared by two layers is listed once."""
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name: str, value):
        """A tensor that belongs to the model's state but is not trained by gradients (StyleGAN's
        running average of w): saved by state_dict and moved by to(), ignored by optimizers."""
        self._buffers[name] = None
        setattr(self, name, value)

    def named_buffers(self, prefix=""):
        for module_name, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                yield (f"{module_name}.{name}" if module_name else name), b

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, mode: bool = True):
        """Freeze (False) or unfreeze all parameters, e.g. D's while G takes its step."""
        for p in self.parameters():
            p.requires_grad = mode
        return self

    # -- saving, loading, moving --
    def _state_tensors(self):
        return OrderedDict(list(self.named_parameters()) + list(self.named_buffers()))

    def state_dict(self):
        """Name -> array for parameters and buffers (the arrays themselves, on their backend)."""
        return OrderedDict((name, t.data) for name, t in self._state_tensors().items())

    def load_state_dict(self, state, strict: bool = True):
        """Copy arrays into parameters and buffers in place (from any backend; each keeps its own)."""
        own = self._state_tensors()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing {missing[:5]}, unexpected {unexpected[:5]}")
        for name, p in own.items():
            if name not in state:
                continue
            value = state[name]
            if tuple(value.shape) != p.shape:
                raise ValueError(f"load_state_dict: {name} has shape {tuple(value.shape)}, the model {p.shape}")
            p.data = backend.to_backend(value, backend.backend_of(p.data)).astype(p.dtype, copy=True)
        return self

    def to(self, name: str):
        """Move every parameter (in place, keeping the Parameter objects) to backend `name`."""
        backend.module(name)
        for t in self._state_tensors().values():
            t.data = backend.to_backend(t.data, name)
            t.grad = None
        return self


class ModuleList(Module):
    """A list of modules that registers them (named "0", "1", ...)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        setattr(self, str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __iter__(self):
        return iter(self._modules.values())


class Sequential(ModuleList):
    """Apply modules in order; they are named "0", "1", ..."""

    def __init__(self, *modules):
        super().__init__(modules)

    def forward(self, x):
        for m in self:
            x = m(x)
        return x
