"""Kao et al. (2021), Table I: "simple CNN" classifiers for MNIST and CIFAR-10.

The paper gives no layer list; we use the classic Keras example CNNs
(deviation, noted in config and tables): MNIST conv32-conv64-pool-fc128,
CIFAR-10 two conv blocks (32, 64) and fc512. ReLUs are modules, not
functional calls, so guided backprop can hook them.
"""

from __future__ import annotations

from torch import nn


def kao_mnist_cnn(num_classes: int = 10) -> nn.Module:
    """Input (N, 1, 28, 28) normalised; output logits (N, num_classes). Last conv: ``0.2``."""
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(),
            nn.Conv2d(32, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.25),
        ),
        nn.Sequential(nn.Flatten(), nn.Linear(64 * 12 * 12, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, num_classes)),
    )


def kao_cifar10_cnn(num_classes: int = 10) -> nn.Module:
    """Input (N, 3, 32, 32) normalised; output logits (N, num_classes). Last conv: ``0.8``."""
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.25),
        ),
        nn.Sequential(nn.Flatten(), nn.Linear(64 * 6 * 6, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, num_classes)),
    )
