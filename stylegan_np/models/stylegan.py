"""The style-based generator (Karras, Laine & Aila 2019, "A Style-Based Generator Architecture for
GANs", figure 1b), in NVlabs/stylegan's order of operations.

    z --pixel norm--> mapping network f (8 dense layers, lr multiplier 0.01) --> w
    constant 4x4 input --> per layer: [upsample, conv3x3, blur] --> + noise (B) --> + bias --> lrelu
                                      --> AdaIN with style y = A(w)
    toRGB (1x1 conv) at the current resolution, faded in as in ProGAN.

There are 2 log2(R) - 2 styled layers for an R x R output: two per resolution, the first of 4x4
working on the constant itself.  Each layer reads its own w, which is what makes style mixing
(different w for coarse and fine layers, section 3.1) and truncation per layer (section 3.3 / 4.1
"truncation trick in W") simple: the synthesis network takes a list of w's, one per layer.
"""
from __future__ import annotations

import math

from .. import nn
from ..autograd import no_grad
from ..ops import (bias_act, blur, broadcast_to, lerp, ones, pixel_norm, reshape, upsample_nearest, zeros)
from .widths import channels_at, check_resolution, resolutions


class MappingNetwork(nn.Module):
    """f: Z -> W, an MLP of `layers` equalized dense layers with learning-rate multiplier 0.01
    (section 2; appendix C): its effective learning rate is 100x lower than the synthesis network's."""

    def __init__(self, z_dim=256, w_dim=256, layers=8, lr_mul=0.01):
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.net = nn.Sequential(*[nn.FusedLinear(a, b, lr_mul=lr_mul, activation="lrelu")
                                   for a, b in zip(dims, dims[1:])])

    def forward(self, z):
        ### BEGIN SOLUTION ch07_mapping: f(z) as in the paper's section 2 and NVlabs's G_mapping
        return self.net(pixel_norm(z))
        ### END SOLUTION


class StyledLayer(nn.Module):
    """One synthesis layer: [upsample ->] [conv3x3 ->] [blur ->] noise -> bias -> lrelu -> AdaIN(w)."""

    def __init__(self, in_ch, out_ch, w_dim, upsample=False, conv=True, use_noise=True, use_blur=True):
        super().__init__()
        self.upsample, self.use_blur = upsample, use_blur and upsample
        # The upsampling stays a separate step here, in the order the chapter-7 task writes it; D's
        # downsampling convolutions are fused (nn.Conv2d(resample="down"), docs/performance.md).
        self.conv = nn.Conv2d(in_ch, out_ch, 3, bias=False) if conv else None
        self.noise = nn.NoiseInjection(out_ch) if use_noise else None
        self.bias = nn.Parameter(zeros(out_ch).data)
        self.adain = nn.AdaIN(w_dim, out_ch)

    def forward(self, x, w, noise=None, rng=None):
        ### BEGIN SOLUTION ch07_styled_layer: one synthesis layer in NVlabs's order; `noise` is None (draw it from rng), False (no noise) or a tensor
        if self.upsample:
            x = upsample_nearest(x)
        if self.conv is not None:
            x = self.conv(x)
        if self.use_blur:
            x = blur(x)
        if self.noise is not None and noise is not False:
            x = self.noise(x, noise, rng)
        # + bias, then leaky ReLU times sqrt(2), as one graph node (= nn.activate(x + bias, "lrelu"))
        x = bias_act(x, self.bias, slope=0.2, gain=nn.LRELU_GAIN)
        return self.adain(x, w)
        ### END SOLUTION


class StyleGANGenerator(nn.Module):
    """G = synthesis(mapping(z)), grown from 4x4 to `resolution`.

    Switches for the paper's ablation (table 1): use_mapping=False feeds pixel-normalised z straight
    in as w; use_noise=False drops the noise inputs; use_const=False starts from a dense layer on w
    instead of the learned constant (style mixing is switched off in the training loop)."""

    def __init__(self, resolution=32, z_dim=256, w_dim=256, channels=3, fmap_base=2048, fmap_max=256,
                 mapping_layers=8, mapping_lr_mul=0.01, use_mapping=True, use_noise=True,
                 use_const=True, use_blur=True, w_avg_beta=0.995):
        super().__init__()
        check_resolution(resolution)
        if not use_mapping and z_dim != w_dim:
            raise ValueError("without a mapping network z is used as w, so z_dim must equal w_dim")
        self.resolution, self.z_dim, self.w_dim = resolution, z_dim, w_dim
        self.w_avg_beta = w_avg_beta
        self.res_list = resolutions(resolution)
        ch = {r: channels_at(r, fmap_base, fmap_max) for r in self.res_list}
        self.c4 = ch[4]
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, mapping_lr_mul) if use_mapping else None
        if use_const:
            self.const = nn.Parameter(ones(1, ch[4], 4, 4).data)   # NVlabs initialises the constant to ones
        else:
            self.const = None
            # NVlabs: a dense layer without a bias of its own (layer 0 adds one per channel)
            self.input_dense = nn.Linear(w_dim, ch[4] * 16, bias=False, gain=math.sqrt(2) / 4)
        layers = [StyledLayer(ch[4], ch[4], w_dim, conv=False, use_noise=use_noise),
                  StyledLayer(ch[4], ch[4], w_dim, use_noise=use_noise)]
        for r in self.res_list[1:]:
            layers += [StyledLayer(ch[r // 2], ch[r], w_dim, upsample=True, use_noise=use_noise, use_blur=use_blur),
                       StyledLayer(ch[r], ch[r], w_dim, use_noise=use_noise)]
        self.layers = nn.ModuleList(layers)
        self.to_rgb = nn.ModuleList(nn.Conv2d(ch[r], channels, 1) for r in self.res_list)
        self.register_buffer("w_avg", zeros(w_dim).data)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @staticmethod
    def layers_at(res: int) -> int:
        """How many styled layers produce an image at resolution `res`: 2 log2(res) - 2."""
        return 2 * int(math.log2(res)) - 2

    # -- Z to W --
    def map(self, z):
        """w = f(z), or the pixel-normalised z itself without a mapping network."""
        return self.mapping(z) if self.mapping is not None else pixel_norm(z)

    def update_w_avg(self, w):
        """Track the centre of mass of W: w_avg <- lerp(mean of the batch's w, w_avg, beta)."""
        ### BEGIN SOLUTION ch07_w_avg: the moving average of the batch means of w, a buffer updated outside the graph
        with no_grad():
            batch_mean = w.data.mean(axis=0)
            self.w_avg.data = batch_mean + (self.w_avg.data - batch_mean) * self.w_avg_beta
        ### END SOLUTION

    def styles(self, z, res=None, *, z_mix=None, crossover=None, psi=1.0, cutoff=None, track_w_avg=False):
        """The per-layer list of w's for latents z (N, z_dim).

        Style mixing (section 3.1): layers before `crossover` read w = f(z), the rest w2 = f(z_mix).
        Truncation (section 3.3): w' = lerp(w_avg, w, psi) on layers before `cutoff` (all if None):
        psi = 1 changes nothing, psi = 0 gives every sample the average face."""
        n_layers = self.layers_at(res or self.resolution)
        w = self.map(z)
        if track_w_avg:
            self.update_w_avg(w)
        ws = [w] * n_layers
        if z_mix is not None and crossover is not None:
            ### BEGIN SOLUTION ch07_style_mixing: the layers from `crossover` on read the second latent's w
            w2 = self.map(z_mix)
            ws = [w if i < crossover else w2 for i in range(n_layers)]
            ### END SOLUTION
        if psi != 1.0:
            ### BEGIN SOLUTION ch08_truncation: the truncation trick in W (section 3.3 / 4.1) on the layers before `cutoff`
            w_avg = broadcast_to(reshape(self.w_avg, (1, -1)), w.shape)
            cut = n_layers if cutoff is None else cutoff
            ws = [lerp(w_avg, wi, psi) if i < cut else wi for i, wi in enumerate(ws)]
            ### END SOLUTION
        return ws

    # -- W to image --
    def synthesis(self, ws, res=None, alpha: float = 1.0, noise=None, rng=None):
        """Image (N, C, res, res) from per-layer w's.  `noise`: None draws fresh N(0, 1) maps (from
        `rng`), False switches noise off, or a list with one (N, 1, H, W) tensor per layer."""
        ### BEGIN SOLUTION ch07_synthesis: the constant (or dense) input, the styled layers up to res, toRGB, and ProGAN's fade-in with alpha
        res = res or self.resolution
        i = self.res_list.index(res)
        n = ws[0].shape[0]
        layer_noise = noise if isinstance(noise, (list, tuple)) else [noise] * len(ws)
        if self.const is not None:
            x = broadcast_to(self.const, (n,) + self.const.shape[1:])
        else:
            x = reshape(self.input_dense(ws[0]), (n, self.c4, 4, 4))
        x = self.layers[0](x, ws[0], layer_noise[0], rng)
        x = self.layers[1](x, ws[1], layer_noise[1], rng)
        previous = x
        for k in range(1, i + 1):
            previous = x
            x = self.layers[2 * k](x, ws[2 * k], layer_noise[2 * k], rng)
            x = self.layers[2 * k + 1](x, ws[2 * k + 1], layer_noise[2 * k + 1], rng)
        image = self.to_rgb[i](x)
        if i > 0 and alpha < 1.0:
            image = lerp(upsample_nearest(self.to_rgb[i - 1](previous)), image, alpha)
        return image
        ### END SOLUTION

    def forward(self, z, res=None, alpha: float = 1.0, *, noise=None, rng=None, **style_options):
        """Images from latents: synthesis(styles(z)).  See `styles` for mixing and truncation."""
        return self.synthesis(self.styles(z, res, **style_options), res, alpha, noise=noise, rng=rng)
