"""stylegan_np: StyleGAN from scratch on NumPy (CPU) and CuPy (GPU), with our own autograd.

    import stylegan_np as sg
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad            # Tensor([2. 4.])
"""
from . import backend
from .autograd import (Function, Tensor, default_dtype, enable_grad, get_default_dtype, grad,
                       is_grad_enabled, no_grad, set_default_dtype, set_grad_enabled)
from .backend import get_array_module
from .errors import UserError
from .ops import *  # noqa: F401,F403  (the functional interface: sg.conv2d, sg.mean, ...)

__version__ = "0.1.0"

# The rest of the library, so that `import stylegan_np as sg` gives sg.nn, sg.models, sg.data, ...
# (the command-line programs train, generate, bench and assignments are imported when run).
from . import checkpoint, data, gradcheck, images, losses, metrics, models, nn, optim  # noqa: E402,F401
