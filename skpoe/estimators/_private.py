"""``transform_private``: the private latents of the models that have them (MMVAE+, DMVAE).

``transform`` returns the shared latent of every model; a model with per-modality private
latents (:mod:`skpoe.models.private`) also gives each view's private code on request.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import numpy as np

from skpoe.data._container import ModalityDict
from skpoe.data._validation import check_finite_output

__all__ = ["PrivateLatentsMixin"]


class PrivateLatentsMixin:
    """``transform_private`` for estimators whose module has private latents."""

    if TYPE_CHECKING:  # of the estimator it is mixed into (BaseMultimodalVAE)
        modalities_: list[str]
        n_private_components: int

        def _views_data(self, X: Any, what: str) -> tuple[Any, Any]: ...

        def _inference(self) -> Any: ...

        def _threads(
            self, call: str, n_rows: int, n_importance_samples: int = 1
        ) -> AbstractContextManager[None]: ...

    def transform_private(self, X):
        """Posterior means of each view's private latent (the shared one is :meth:`transform`).

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like
            Views as in :meth:`transform`.

        Returns
        -------
        W : ModalityDict of str to ndarray of shape (n_samples, n_private_components)
            For each fitted view, the mean of q(w_view | x_view); NaN on the rows where that
            view is missing (its private latent is then its prior, N(0, I), and carries
            nothing about the row).

        See Also
        --------
        transform : The shared latent, from all observed views.

        Examples
        --------
        >>> from skpoe import DMVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = DMVAE(n_private_components=4, max_iter=1, random_state=0).fit(X)
        >>> model.transform_private(X)["top"].shape
        (1797, 4)
        """
        data, _ = self._views_data(X, "transform_private")
        inference = self._inference()
        n_views = len(self.modalities_)

        def private(batch, *_):
            mu, _ = inference.module.infer_private(batch)
            return mu[:, :n_views].reshape(batch.n, -1)

        with self._threads("transform", data.n):
            flat = inference._over_chunks(data, private)
        check_finite_output(flat, "transform_private")
        P = int(self.n_private_components)
        out = ModalityDict()
        for m, name in enumerate(self.modalities_):
            block = flat[:, m * P : (m + 1) * P].copy()
            block[~data.mask_np[:, m]] = np.nan
            out[name] = block
        return out
