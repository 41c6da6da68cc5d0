"""The four models of the book: vanilla GAN, DCGAN-style GAN, ProGAN, StyleGAN."""
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .discriminator import DownBlock, ProgressiveDiscriminator
from .ema import ema_beta, make_ema, update_ema
from .gan import MLPDiscriminator, MLPGenerator
from .progan import ProGANGenerator
from .stylegan import MappingNetwork, StyledLayer, StyleGANGenerator
from .widths import channels_at, check_resolution, resolutions
