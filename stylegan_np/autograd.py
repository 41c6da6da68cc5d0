"""The autograd engine: tensors that remember how they were made, and reverse-mode differentiation.

Read this file in one sitting; everything else in the library is built on these ~250 lines.

* A `Tensor` wraps an array (`.data`, NumPy or CuPy) and, when it was computed from tensors that need
  gradients, the `Function` that made it (`.creator`).  Together they form a directed acyclic graph.
* A `Function` (one per operation, in `stylegan_np.ops`) computes `forward` on raw arrays and
  `backward` on Tensors.  Because backward is written with the same differentiable operations, running
  it with graph recording switched on builds a graph of the gradient itself: that is all that
  `create_graph=True` (a gradient of a gradient, needed by R1 and WGAN-GP) takes.
* `backward()` visits the graph in reverse topological order found by an explicit stack, not by
  recursion, so a chain of 100,000 operations is fine.  Gradients of tensors used more than once are
  summed (the multivariate chain rule), never overwritten.
"""
from __future__ import annotations

import contextlib
import weakref

import numpy as np

from . import backend

# --- global switches -------------------------------------------------------------------------

_grad_enabled = True
_default_dtype = np.dtype(np.float32)


def is_grad_enabled() -> bool:
    return _grad_enabled


@contextlib.contextmanager
def set_grad_enabled(mode: bool):
    """Record graphs inside the block (mode=True) or not (mode=False); restores the old mode after."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, bool(mode)
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad():
    """`with no_grad():` computes values only: no creator is recorded, so no graph is kept alive."""
    return set_grad_enabled(False)


def enable_grad():
    return set_grad_enabled(True)


def get_default_dtype():
    """The dtype of tensors made from Python numbers and of new parameters (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"the default dtype must be float32 or float64, got {dtype}")
    _default_dtype = dtype


@contextlib.contextmanager
def default_dtype(dtype):
    """`with default_dtype(np.float64):` — used by the gradient checks."""
    previous = _default_dtype
    set_default_dtype(dtype)
    try:
        yield
    finally:
        set_default_dtype(previous)


# --- Tensor ----------------------------------------------------------------------------------

def _as_array(data, dtype=None):
    """An array on the current backend (or left where it already is) with a sensible dtype."""
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    if isinstance(data, np.generic):
        # A NumPy scalar (what a full reduction of a NumPy array returns) is NumPy data: it keeps its
        # dtype and stays on the host whatever the current backend, like the array it came from.
        data = np.asarray(data)
    elif xp is np and not isinstance(data, np.ndarray):
        # Python numbers and lists: floats take the default dtype, and land on the current backend.
        array = np.asarray(data)
        if dtype is None and array.dtype.kind == "f":
            dtype = _default_dtype
        array = array.astype(dtype) if dtype is not None else array
        return backend.to_backend(array) if backend.current() != "numpy" else array
    return data.astype(dtype, copy=False) if dtype is not None else data


class Tensor:
    """An array with an optional gradient and the Function that created it."""

    __array_priority__ = 1000  # make `np_scalar * tensor` call Tensor.__rmul__, not NumPy's multiply

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        self.data = _as_array(data, dtype)
        self.requires_grad = bool(requires_grad)
        self.grad: Tensor | None = None
        self.creator: Function | None = None
        self.name = name

    # -- array-like properties --
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def xp(self):
        return backend.get_array_module(self.data)

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = str(backend.to_numpy(self.data)).replace("\n", "\n       ")
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}{extra})"

    def item(self) -> float:
        return self.data.item()

    def numpy(self):
        """A NumPy copy of the data (from either backend), for plotting and saving."""
        return backend.to_numpy(self.data)

    def detach(self) -> "Tensor":
        """The same data as a new leaf without a creator: gradients stop here."""
        return Tensor(self.data)

    def requires_grad_(self, mode: bool = True) -> "Tensor":
        self.requires_grad = mode
        return self

    def to(self, name: str) -> "Tensor":
        """A copy on backend `name` ("numpy" or "cupy"); a leaf, keeping requires_grad."""
        return Tensor(backend.to_backend(self.data, name), requires_grad=self.requires_grad)

    def backward(self, grad=None, create_graph: bool = False, retain_graph: bool | None = None) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf tensor that requires grad.

        `grad` is the upstream gradient (default 1 for a scalar).  With `create_graph=True` the
        gradients are themselves differentiable tensors.  The graph is released as backward walks
        it (every Function lets go of its inputs once it has passed gradients to them), so that
        the intermediate values are freed; `retain_graph=True` keeps it for another backward
        (it defaults to `create_graph`, as in PyTorch).
        """
        if grad is None:
            if self.size != 1:
                raise ValueError("backward() of a tensor with more than one element needs `grad`")
            grad = Tensor(self.xp.ones_like(self.data))
        grad = grad if isinstance(grad, Tensor) else Tensor(grad, dtype=self.dtype)
        retain = create_graph if retain_graph is None else retain_graph
        grads = _run_backward([self], [grad], create_graph=create_graph, release=not retain)
        for tensor, g in grads.values():
            if tensor.creator is None and tensor.requires_grad:
                tensor.grad = g if tensor.grad is None else tensor.grad + g


# --- Function --------------------------------------------------------------------------------

class Function:
    """One differentiable operation.  Subclasses define

    * `forward(*arrays) -> array`: the value, on raw NumPy/CuPy arrays;
    * `backward(grad_output) -> grad or tuple of grads`: one per input, as Tensors (or None where no
      gradient is needed), written with differentiable ops so that it can itself be differentiated.

    Inside backward, `self.inputs` are the input Tensors, `self.output` is the output Tensor and
    `self.needs_input_grad[i]` says whether input i's gradient is wanted (skip the work if not).
    """

    inputs: tuple
    needs_input_grad: tuple

    def __call__(self, *inputs):
        # This runs ~1,400 times per training step of the README's main job, most of them on small
        # arrays, so it avoids work it can skip: no conversion when every input is a Tensor already,
        # and no graph bookkeeping (nor weak reference) unless a gradient will be recorded.
        if not all(isinstance(x, Tensor) for x in inputs):
            like = next((x for x in inputs if isinstance(x, Tensor)), None)
            inputs = tuple(as_tensor(x, like) for x in inputs)
        if backend._cupy is not None:
            inputs = _on_one_backend(inputs)
        output = _wrap(self.forward(*[x.data for x in inputs]))
        if _grad_enabled:
            needs_input_grad = tuple([x.requires_grad for x in inputs])
            if True in needs_input_grad:
                self.inputs = inputs
                self.needs_input_grad = needs_input_grad
                self._output = weakref.ref(output)  # weak: the output owns its creator, not the reverse
                output.creator = self
                output.requires_grad = True
        return output

    @property
    def output(self) -> Tensor:
        return self._output()

    def release(self) -> None:
        """Let go of the inputs (and with them the graph behind them) after backward used them."""
        self.inputs = _RELEASED

    @staticmethod
    def xp_of(array):
        """numpy or cupy, whichever owns `array` (forward methods use it to stay backend-neutral)."""
        return backend.get_array_module(array)

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError


def _wrap(value) -> Tensor:
    """A forward's result as a Tensor.  An ndarray of either backend is taken as it is, without
    `_as_array`'s checks (a forward returns arrays on its inputs' backend); anything else (a NumPy
    scalar from a full reduction) goes through Tensor() as usual."""
    if type(value) is not np.ndarray and (backend._cupy is None or type(value) is not backend._cupy.ndarray):
        return Tensor(value)
    tensor = Tensor.__new__(Tensor)
    tensor.data, tensor.requires_grad, tensor.grad, tensor.creator, tensor.name = value, False, None, None, None
    return tensor


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """`x` itself if it is a Tensor; else a constant Tensor (Python numbers take `like`'s dtype and
    backend, so that `x * 2` stays float32 on the GPU)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and np.isscalar(x):
        return Tensor(like.xp.asarray(x, dtype=like.dtype))
    return Tensor(x)


def _on_one_backend(inputs):
    """Mixing a GPU tensor with a NumPy constant (a mask, a kernel made on the host) moves the
    constant to the GPU; a NumPy tensor that needs a gradient is a mistake worth stopping for."""
    cupy = backend._cupy
    if not any(isinstance(x.data, cupy.ndarray) for x in inputs):
        return inputs
    moved = []
    for x in inputs:
        if isinstance(x.data, np.ndarray) or np.isscalar(x.data):
            if x.requires_grad:
                raise TypeError("an operation mixes CuPy and NumPy tensors that need gradients: move the "
                                "NumPy one with .to('cupy') or Module.to('cupy')")
            x = Tensor(cupy.asarray(x.data))
        moved.append(x)
    return tuple(moved)


class _ReleasedInputs:
    """What a Function holds instead of its inputs once backward has released the graph."""

    def __iter__(self):
        raise RuntimeError("backward through a graph a second time: the first backward() released it "
                           "to free memory; call it with retain_graph=True if you need it again")


_RELEASED = _ReleasedInputs()


# --- reverse-mode differentiation ------------------------------------------------------------

def _topological_order(roots):
    """Tensors reachable from `roots`, each after every tensor computed from it (roots first).

    A depth-first search with an explicit stack: post-order lists every tensor after its inputs;
    reversed, it lists every tensor before its inputs, which is the order backward needs.
    """
    ### BEGIN SOLUTION ch01_topological_order: every tensor reachable from roots, each listed before the tensors it was computed from, without recursion
    visited, post_order = set(), []
    stack = [(root, False) for root in roots]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            post_order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.creator is not None:
            stack.extend((x, False) for x in tensor.creator.inputs
                         if x.requires_grad and id(x) not in visited)
    return post_order[::-1]
    ### END SOLUTION


def _run_backward(roots, root_grads, create_graph=False, targets=None, release=False):
    """Propagate gradients from `roots` back through the graph.

    Returns {id(tensor): (tensor, grad)} for every leaf reached (or, with `targets`, for the target
    tensors only, and then only the part of the graph that leads to a target is visited).  With
    `release`, every Function drops its inputs once it has passed their gradients on, and the walk
    drops its own reference to each tensor, so activations are freed as backward proceeds.
    """
    order = _topological_order(roots)
    needed = None
    if targets is not None:
        # A tensor is needed when a target is among it or its ancestors: one sweep, inputs first.
        needed = {id(t) for t in targets}
        for tensor in reversed(order):
            if tensor.creator is not None and any(id(x) in needed for x in tensor.creator.inputs):
                needed.add(id(tensor))
    target_ids = {id(t) for t in targets} if targets is not None else set()

    ### BEGIN SOLUTION ch01_backward_pass: walk `order` once, passing each tensor's summed gradient through its creator's backward (see the handout)
    grads, found = {}, {}
    for root, g in zip(roots, root_grads):
        grads[id(root)] = grads[id(root)] + g if id(root) in grads else g
    with set_grad_enabled(create_graph):
        for position, tensor in enumerate(order):
            if release:
                order[position] = None
            g = grads.pop(id(tensor), None)
            if g is None:
                continue
            if (tensor.creator is None) if targets is None else (id(tensor) in target_ids):
                found[id(tensor)] = (tensor, g)
            f = tensor.creator
            if f is None:
                continue
            if needed is None:
                wanted = tuple([x.requires_grad for x in f.inputs])
            else:
                wanted = tuple([x.requires_grad and id(x) in needed for x in f.inputs])
            if True not in wanted:
                continue
            f.needs_input_grad = wanted
            input_grads = f.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for x, gx, want in zip(f.inputs, input_grads, wanted):
                if gx is None or not want:
                    continue
                if gx.shape != x.shape:
                    raise RuntimeError(f"{type(f).__name__}.backward gave a gradient of shape "
                                       f"{gx.shape} for an input of shape {x.shape}")
                grads[id(x)] = grads[id(x)] + gx if id(x) in grads else gx
            if release:
                f.release()
    return found
    ### END SOLUTION


def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False, allow_unused: bool = False):
    """Gradients of `outputs` with respect to `inputs`, returned (not stored in `.grad`).

    This is torch.autograd.grad: R1 uses it to get dD(x)/dx with `create_graph=True`, then penalises
    that gradient and backpropagates the penalty into D's weights.
    """
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    root_grads = []
    for y, gy in zip(outputs, grad_outputs):
        if gy is None:
            if y.size != 1:
                raise ValueError("grad() of an output with more than one element needs grad_outputs")
            gy = Tensor(y.xp.ones_like(y.data))
        root_grads.append(as_tensor(gy, y))
    for x in inputs:
        if not x.requires_grad:
            raise ValueError("grad(): an input does not require grad; set requires_grad=True on it")
    found = _run_backward(outputs, root_grads, create_graph=create_graph, targets=inputs)
    result = []
    for x in inputs:
        if id(x) in found:
            result.append(found[id(x)][1])
        elif allow_unused:
            result.append(None)
        else:
            raise ValueError("grad(): an input is not used to compute the outputs (allow_unused=True "
                             "returns None for it)")
    return result
