"""cupy.lib.stride_tricks of the stand-in: views, as in CuPy (CuPy has both since v10)."""
import numpy

from .._core import _function

as_strided = _function(numpy.lib.stride_tricks.as_strided, "array", "as_strided")
sliding_window_view = _function(numpy.lib.stride_tricks.sliding_window_view, "array", "sliding_window_view")
