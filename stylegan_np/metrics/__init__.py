"""Image-quality metrics.  Imports only NumPy, so it can be used without the rest of the package.

* ``swd``: multi-scale sliced Wasserstein distance between image sets (ProGAN, Karras et al.
  2018, section 5 and appendix D).
"""

from .swd import (
    SlicedWasserstein,
    extract_descriptors,
    laplacian_pyramid,
    pyramid_down,
    pyramid_resolutions,
    pyramid_up,
    random_directions,
    reconstruct_laplacian_pyramid,
    sliced_wasserstein,
    sliced_wasserstein_projected,
    to_numpy,
    wasserstein_1d,
)

__all__ = [
    "SlicedWasserstein",
    "sliced_wasserstein",
    "extract_descriptors",
    "laplacian_pyramid",
    "reconstruct_laplacian_pyramid",
    "pyramid_down",
    "pyramid_up",
    "pyramid_resolutions",
    "random_directions",
    "sliced_wasserstein_projected",
    "to_numpy",
    "wasserstein_1d",
]
