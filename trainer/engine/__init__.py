"""The training engine (pure core: torch, no Django/Celery/Channels): a plain loop that reports
through a callback, its checks, and the job that binds a checked design to data and settings."""
from .checks import check_config, check_input_matches  # noqa: F401
from .loop import SOFTMAX_NOTE, TrainConfig, TrainResult, train  # noqa: F401
