"""Layers and containers: Module, Parameter, equalized-LR Linear/Conv2d, and StyleGAN's pieces."""
from .layers import (AdaIN, Blur, Conv2d, ConvTranspose2d, DenseToMaps, FusedLinear, LRELU_GAIN, Linear,
                     MinibatchStddev, NoiseInjection, activate)
from .module import Module, ModuleList, Parameter, Sequential

__all__ = ["AdaIN", "Blur", "Conv2d", "ConvTranspose2d", "DenseToMaps", "FusedLinear", "LRELU_GAIN", "Linear",
           "MinibatchStddev", "NoiseInjection", "activate", "Module", "ModuleList", "Parameter", "Sequential"]
