"""The column names of an estimator's latent: :meth:`get_feature_names_out`."""

from __future__ import annotations

from sklearn.base import ClassNamePrefixFeaturesOutMixin

__all__ = ["LatentFeatureNamesMixin"]


class LatentFeatureNamesMixin(ClassNamePrefixFeaturesOutMixin):
    """``get_feature_names_out`` of the latent columns, also given per-view input names."""

    def get_feature_names_out(self, input_features=None):
        """Names of the latent columns: ``"<classname>0"``, ``"<classname>1"``, ...

        Parameters
        ----------
        input_features : array-like of str, or dict of str to array-like of str, default=None
            Checked against ``feature_names_in_`` as scikit-learn does; a
            dict (the per-view names that :class:`skpoe.compose.PerView`
            gives inside a ``Pipeline``) is not checked, as the latent names
            do not depend on it.

        Returns
        -------
        feature_names_out : ndarray of str

        See Also
        --------
        transform : The latent columns these names label.
        skpoe.PerView.get_feature_names_out : The per-view names of a preprocessing step.

        Examples
        --------
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, _ = load_digits_views()
        >>> model = MultimodalPoEVAE(n_components=3, max_iter=1, random_state=0).fit(X)
        >>> model.get_feature_names_out().tolist()
        ['multimodalpoevae0', 'multimodalpoevae1', 'multimodalpoevae2']
        """
        if isinstance(input_features, dict):
            input_features = None
        return super().get_feature_names_out(input_features)
