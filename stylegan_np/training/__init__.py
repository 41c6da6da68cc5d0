"""Training: configuration and presets, the progressive schedule, per-model steps, the loop."""
from .config import MODELS, PRESETS, TrainConfig, build_config
from .loop import Trainer, find_checkpoint
from .schedule import resolution_and_alpha
from .tasks import make_task
