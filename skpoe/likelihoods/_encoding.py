"""The numpy side of a likelihood: its widths, and the maps between the user's units,
the encoder input and target space (a base of :class:`~skpoe.likelihoods.Likelihood`)."""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


class _Encoding:
    """Widths and numpy maps of a likelihood; documented as members of ``Likelihood``."""

    n_features_: int
    missing_indicators_: bool
    fill_: np.ndarray | None

    @property
    def n_encoded(self):
        """Width of the encoded values (without missing-entry indicators).

        ``n_features_`` for every likelihood but ``categorical``, whose encoded
        values are one-hot: the sum of its ``n_categories_``.

        See Also
        --------
        Likelihood.n_inputs : The encoder input's width, indicators included.
        Likelihood.encode_values : Makes the encoded values.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Categorical, Gaussian
        >>> Gaussian().fit(np.zeros((4, 3))).n_encoded
        3
        >>> Categorical().fit(np.array([[0.0, 2.0], [1.0, 0.0]])).n_encoded
        5
        """
        return self.n_features_

    @property
    def n_inputs(self):
        """Width of the encoder input (encoded values, then indicators if any).

        ``n_encoded``, plus ``n_features_`` observed-indicator columns when
        ``missing_indicators_`` is set.

        See Also
        --------
        Likelihood.n_encoded : The width without the indicators.
        Likelihood.encoder_input : Makes the encoder input.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> Gaussian().fit(np.zeros((4, 3))).n_inputs
        3
        >>> Gaussian().fit(np.array([[0.0, 1.0, np.nan], [2.0, 3.0, 4.0]])).n_inputs
        6
        """
        return self.n_encoded + (self.n_features_ if self.missing_indicators_ else 0)

    @property
    def n_outputs(self):
        """Width of the decoder output.

        ``n_features_`` (one logit, mean or log rate per feature), or the sum
        of ``n_categories_`` (concatenated logits) for ``categorical``.

        See Also
        --------
        Likelihood.n_extra : The free parameters next to the output.
        Likelihood.log_prob : Scores a decoder output.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Categorical, Poisson
        >>> Poisson().fit(np.array([[0.0, 1.0], [3.0, 2.0]])).n_outputs
        2
        >>> Categorical().fit(np.array([[0.0, 2.0], [1.0, 0.0]])).n_outputs
        5
        """
        return self.n_features_

    # -- numpy transforms -----------------------------------------------
    def encode_values(self, X):
        """Map NaN-free observed rows to the encoded values.

        ``bernoulli`` keeps the values; ``gaussian`` and ``laplace``
        standardize them with the training ``center_`` and ``scale_``;
        ``poisson`` and ``negative_binomial`` standardize ``log1p`` of the
        counts; ``categorical`` one-hot encodes each column.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            Observed rows without NaN entries.

        Returns
        -------
        encoded : ndarray of shape (n_rows, n_encoded), dtype float32
            The encoded values.

        See Also
        --------
        Likelihood.encoder_input : The encoder input, missing entries allowed.
        Likelihood.standardized : The standardized units, in float64.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> lik = Gaussian().fit(np.array([[0.0], [2.0]]))
        >>> lik.encode_values(np.array([[0.0], [1.0], [4.0]])).ravel().tolist()
        [-1.0, 0.0, 3.0]
        """
        return X.astype(np.float32)

    def _encoded_columns(self, missing):
        """Expand a per-feature (n, n_features) mask to the encoded columns."""
        return missing

    def encoder_input(self, X):
        """Map observed rows (NaN entries allowed) to the encoder's input.

        Missing entries take ``fill_``, each encoded column's mean over the
        training rows' observed entries (0 in encoded space for models
        fitted with indicators, the mean for standardized data); with
        ``missing_indicators_`` a 0/1 observed indicator per feature is
        appended.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            Observed rows; NaN marks a missing entry.

        Returns
        -------
        x : ndarray of shape (n_rows, n_inputs), dtype float32
            The encoded values, then the indicators if any.

        See Also
        --------
        Likelihood.encode_values : The encoding of NaN-free rows.
        Likelihood.fill_with_means : Fills missing entries without indicators.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Bernoulli
        >>> lik = Bernoulli().fit(np.array([[0.0, 1.0], [1.0, np.nan]]))
        >>> lik.encoder_input(np.array([[0.5, np.nan]])).tolist()
        [[0.5, 0.0, 1.0, 0.0]]
        """
        missing = np.isnan(X)
        if not missing.any():
            x = self.encode_values(X)
        else:
            x = self.encode_values(np.where(missing, 0.0, X))
            cols = self._encoded_columns(missing)
            x[cols] = 0.0 if self.fill_ is None else np.broadcast_to(self.fill_, x.shape)[cols]
        if self.missing_indicators_:
            x = np.concatenate([x, (~missing).astype(np.float32)], axis=1)
        return x

    def target(self, X):
        """Map observed rows to the values :meth:`log_prob` scores (NaN stays).

        The values as float32, standardized for ``gaussian`` and ``laplace``
        (the units of their decoder output); ``categorical`` returns int64
        codes instead.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            Observed rows; NaN marks a missing entry.

        Returns
        -------
        target : ndarray of shape (n_rows, n_features)
            Target-space values, of the dtype of :attr:`target_dtype`.

        See Also
        --------
        Likelihood.inverse : Maps target space back to the user's units.
        Likelihood.split_missing : Masks the missing entries of a target.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> lik = Gaussian().fit(np.array([[0.0], [2.0]]))
        >>> lik.target(np.array([[4.0], [np.nan]])).ravel().tolist()
        [3.0, nan]
        """
        return X.astype(np.float32)

    def inverse(self, T):
        """Map target-space values back to the user's units.

        Undoes the standardization of ``gaussian`` and ``laplace``
        (``T * scale_ + center_``); the identity for the other likelihoods.

        Parameters
        ----------
        T : ndarray of shape (n_rows, n_features)
            Values in target space, such as decoder means.

        Returns
        -------
        X : ndarray of shape (n_rows, n_features)
            The values in the user's units.

        See Also
        --------
        Likelihood.target : The forward map.
        Likelihood.mean : Decoder means in target space.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> lik = Gaussian().fit(np.array([[0.0], [2.0]]))
        >>> lik.inverse(np.array([[-1.0], [3.0]])).ravel().tolist()
        [0.0, 4.0]
        """
        return T

    def feature_log_det(self):
        """``log |d target / d x|`` of each feature (density change of units).

        Add it to a log-density in target space to get one in the user's
        units: ``-log(scale_)`` for ``gaussian`` and ``laplace``, 0 for the
        likelihoods that score the values themselves.

        Returns
        -------
        log_det : ndarray of shape (n_features,)
            One term per feature.

        See Also
        --------
        Likelihood.log_det : The sum over features.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Bernoulli, Gaussian
        >>> Gaussian().fit(np.array([[0.0], [4.0]])).feature_log_det().round(4).tolist()
        [-0.6931]
        >>> Bernoulli().fit(np.zeros((2, 3))).feature_log_det().tolist()
        [0.0, 0.0, 0.0]
        """
        return np.zeros(self.n_features_)

    def log_det(self):
        """:meth:`feature_log_det` summed over features.

        Returns
        -------
        log_det : float
            The change of units of a row with every feature observed.

        See Also
        --------
        Likelihood.feature_log_det : One term per feature.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> lik = Gaussian().fit(np.array([[0.0, 0.0], [2.0, 20.0]]))
        >>> round(lik.log_det(), 4)
        -2.3026
        """
        return float(self.feature_log_det().sum())
