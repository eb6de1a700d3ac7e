"""Classifiers. Every model takes images in [0, 1] (N, C, H, W) and normalises inside."""

from .registry import build, load_model, save_model

__all__ = ["build", "load_model", "save_model"]
