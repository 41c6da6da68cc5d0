"""Shared fixtures (defined in stylegan_np/testing.py, so that chapters/ uses the very same ones)."""
from stylegan_np.testing import BACKEND_PARAMS, rng, xp  # noqa: F401  (pytest finds fixtures by name)
