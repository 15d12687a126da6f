"""Shared helpers for the RNN notebooks: data loading, windowing, text, video and plotting."""

from .data import Fable, load_air_quality, load_fables, load_prices, load_sentiment, load_text
from .paths import CACHE_DIR, DATA_DIR, ROOT, cache_dir, data_path
from .plotting import plot_confusion, plot_history
from .repro import check_claim, headline, import_tensorflow_quietly, install_missing_requirements, setup, versions_line

__all__ = [
    "CACHE_DIR", "DATA_DIR", "ROOT", "Fable", "cache_dir", "data_path", "load_air_quality", "load_fables",
    "load_prices", "load_sentiment", "load_text", "plot_confusion", "plot_history", "setup", "versions_line",
    "check_claim", "headline", "import_tensorflow_quietly", "install_missing_requirements",
]
