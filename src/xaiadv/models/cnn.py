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


# --- Nguyen et al. (2018): f1 / transfer-source classifiers and the mask classifier f2 ---------------------

def vgg_like_mnist(num_classes: int = 10) -> nn.Module:
    """A second, differently built MNIST CNN (VGG-like: two 3x3 conv pairs with batch norm), the default's
    transfer source for Nguyen et al. Table 3. Input (N, 1, 28, 28) normalised;
    output logits (N, num_classes). Last conv: ``0.10``."""
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        ),
        nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, num_classes)),
    )


def alexnet_cifar10(num_classes: int = 10) -> nn.Module:
    """The "AlexNet" of Grimm et al.'s LAN paper for CIFAR-10, as a documented stand-in: the classic
    cuda-convnet / TensorFlow-tutorial CIFAR-10 net (conv5x5-64, max-pool 3/2, LRN, conv5x5-64, LRN,
    max-pool 3/2, fc384, fc192). Input (N, 3, 32, 32) normalised; output logits. Last conv: ``0.4``."""
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(3, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2, padding=1),
            nn.LocalResponseNorm(4, alpha=0.001 / 9.0, beta=0.75, k=1.0),
            nn.Conv2d(64, 64, 5, padding=2), nn.ReLU(),
            nn.LocalResponseNorm(4, alpha=0.001 / 9.0, beta=0.75, k=1.0), nn.MaxPool2d(3, 2, padding=1),
        ),
        nn.Sequential(nn.Flatten(), nn.Linear(64 * 8 * 8, 384), nn.ReLU(), nn.Linear(384, 192), nn.ReLU(),
                      nn.Linear(192, num_classes)),
    )


def vgg_like_cifar10(num_classes: int = 10) -> nn.Module:
    """Nguyen et al.'s transfer source, "VGG-like" (keras_compressor's CIFAR-10 VGG-like net: 3x3 conv
    pairs 64-128-256 with batch norm and max-pooling, fc512, dropout). Input (N, 3, 32, 32) normalised;
    output logits. Last conv: ``0.17``."""
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(
        nn.Sequential(*block(3, 64), *block(64, 64), nn.MaxPool2d(2),
                      *block(64, 128), *block(128, 128), nn.MaxPool2d(2),
                      *block(128, 256), *block(256, 256), nn.MaxPool2d(2)),
        nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(256 * 4 * 4, 512), nn.ReLU(), nn.Dropout(0.5),
                      nn.Linear(512, num_classes)),
    )


def lenet(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    """LeNet-5 (LeCun et al. 1998) for Nguyen et al.'s mask classifier f2: conv5x5-6, pool, conv5x5-16,
    pool, fc120, fc84. Any input size >= 28 (an adaptive pool makes the 5x5 map LeNet's fc layers
    expect). Input (N, in_channels, H, W); output logits. Last conv: ``0.3``."""
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AdaptiveMaxPool2d(5),
        ),
        nn.Sequential(nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                      nn.Linear(84, num_classes)),
    )
