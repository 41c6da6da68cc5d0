"""Chapter 2, instructor-only grading tests: other sizes than the public tests', and the real
convolutions of the library that go through the general path."""
import pytest

from stylegan_np import conv2d, tensor
from stylegan_np.checks import close, same
from stylegan_np.ops.conv import col2im, im2col

from test_ch02_arrays import col2im_loops, conv_loops, convolve, im2col_loops, loop_im2col, out_size  # noqa: F401

ODD = [(3, 3, 3, 2), (5, 2, 2, 2), (2, 2, 2, 0), (1, 3, 1, 1)]


@pytest.mark.ch02_im2col
@pytest.mark.parametrize("kh, kw, stride, padding", ODD)
def test_im2col_other_sizes(xp, rng, kh, kw, stride, padding):
    x = rng.standard_normal((3, 2, 7, 4))
    same(im2col(xp.asarray(x), kh, kw, stride, padding), im2col_loops(x, kh, kw, stride, padding),
         f"im2col on a 7x4 input with kernel {kh}x{kw}, stride {stride}, padding {padding}")


@pytest.mark.ch02_col2im
@pytest.mark.parametrize("kh, kw, stride, padding", ODD)
def test_col2im_other_sizes(xp, rng, kh, kw, stride, padding):
    x_shape = (3, 2, 7, 4)
    col = rng.standard_normal((2, kh, kw, 3, out_size(7, kh, stride, padding), out_size(4, kw, stride, padding)))
    close(col2im(xp.asarray(col), x_shape, stride, padding), col2im_loops(col, x_shape, stride, padding),
          f"col2im on a 7x4 input with kernel {kh}x{kw}, stride {stride}, padding {padding}", rtol=1e-12, atol=1e-12)


@pytest.mark.ch02_conv2d
@pytest.mark.parametrize("kh, kw, stride, padding, groups", [(3, 3, 3, 2, 2), (5, 2, 2, 2, 1), (1, 1, 2, 0, 4)])
def test_conv2d_other_sizes(xp, rng, kh, kw, stride, padding, groups, loop_im2col):
    x = rng.standard_normal((3, 4, 7, 6))
    weight = rng.standard_normal((8, 4 // groups, kh, kw))
    close(convolve(xp, x, weight, stride, padding, groups), conv_loops(x, weight, stride, padding, groups),
          f"conv2d on a 7x6 input with kernel {kh}x{kw}, stride {stride}, padding {padding}, groups {groups}",
          rtol=1e-10, atol=1e-10)


@pytest.mark.ch02_conv2d
def test_a_strided_convolution_takes_the_general_path(xp, rng, loop_im2col):
    # stride 2 (the DCGAN discriminator's downsampling) goes through your code whatever the forced path
    x = rng.standard_normal((2, 3, 8, 8))
    weight = rng.standard_normal((5, 3, 4, 4))
    y = conv2d(tensor(xp.asarray(x)), tensor(xp.asarray(weight)), stride=2, padding=1)
    close(y, conv_loops(x, weight, 2, 1), "a 4x4 convolution with stride 2 and padding 1", rtol=1e-10, atol=1e-10)
