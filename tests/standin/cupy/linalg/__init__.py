"""cupy.linalg of the stand-in."""
import numpy

from .._core import _function

__all__ = ["norm", "inv", "solve", "det", "slogdet", "eigh", "eigvalsh", "svd", "qr", "cholesky",
           "pinv", "matrix_power", "lstsq", "tensorinv", "tensorsolve", "matrix_rank"]
for _name in __all__:
    globals()[_name] = _function(getattr(numpy.linalg, _name), "operands", _name)
LinAlgError = numpy.linalg.LinAlgError
