"""Likelihoods of counts and of category codes."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from skpoe.likelihoods.base import _SCALE_FLOOR, Likelihood, _moments, _nonnegative_integers

__all__ = ["Poisson", "NegativeBinomial", "Categorical", "MAX_CATEGORIES"]

#: Most categories per column of a 'categorical' modality (its encoder input
#: and decoder output are one-hot, n_samples x sum of categories).
MAX_CATEGORIES = 10_000


class _Counts(Likelihood):
    """Count likelihoods: encoder sees standardized log1p counts."""

    def _check_values(self, X):
        if not _nonnegative_integers(X):  # block by block: no copy of the view
            raise ValueError(
                f"Modality {self.modality!r} must hold non-negative integer counts "
                f"for the {self.name!r} likelihood."
            )

    def fit(self, X, modality="X"):
        super().fit(X, modality)
        self.center_, scale = _moments(np.log1p(np.asarray(X, dtype=np.float64)))
        scale[scale < 1e-12] = 1.0
        self.scale_ = scale
        return self

    def standardized(self, X):
        return (np.log1p(np.asarray(X, dtype=np.float64)) - self.center_) / self.scale_

    def encode_values(self, X):
        return self.standardized(X).astype(np.float32)

    def mean(self, out, extra):
        return torch.exp(out.clamp(max=20.0))


class Poisson(_Counts):
    """Poisson likelihood for counts; the decoder outputs the log rate.

    A count ``t`` scores ``t * out - exp(out) - log(t!)``, the log rate
    ``out`` clamped at 20. The encoder sees ``log1p`` of the counts,
    standardized with their training mean and standard deviation; targets
    are the counts themselves.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        Mean of ``log1p`` of the observed counts of each feature.
    scale_ : ndarray of shape (n_features,)
        Their standard deviation (1 for a constant feature).
    n_features_ : int
        Number of features of the modality.

    See Also
    --------
    NegativeBinomial : For over-dispersed counts.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skpoe.likelihoods import Poisson
    >>> lik = Poisson().fit(np.array([[0.0], [3.0]]))
    >>> out = torch.log(torch.tensor([[2.0]]))
    >>> lik.log_prob(out, lik.init_extra(), torch.tensor([[1.0]]))
    tensor([-1.3069])
    """

    name = "poisson"

    def log_prob_terms(self, out, extra, target):
        out = out.clamp(max=20.0)
        return target * out - torch.exp(out) - torch.lgamma(target + 1)


class NegativeBinomial(_Counts):
    """Negative binomial for over-dispersed counts (log mean + inverse dispersion).

    The decoder outputs the log mean (clamped at 20) and the likelihood owns
    one free parameter per feature, the inverse dispersion
    ``r = softplus(extra) + 1e-3``: the variance is ``mu + mu**2 / r``. The
    encoder sees ``log1p`` of the counts, standardized as for
    :class:`Poisson`; targets are the counts themselves.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        Mean of ``log1p`` of the observed counts of each feature.
    scale_ : ndarray of shape (n_features,)
        Their standard deviation (1 for a constant feature).
    n_features_ : int
        Number of features of the modality.

    See Also
    --------
    Poisson : Counts without over-dispersion.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skpoe.likelihoods import NegativeBinomial
    >>> lik = NegativeBinomial().fit(np.array([[0.0, 5.0], [3.0, 1.0]]))
    >>> lik.n_extra
    2
    >>> lik.log_prob(torch.zeros(1, 2), lik.init_extra(), torch.tensor([[0.0, 2.0]]))
    tensor([-2.8241])
    """

    name = "negative_binomial"
    n_extra_per_feature = 1

    def log_prob_terms(self, out, extra, target):
        log_mu = out.clamp(max=20.0)
        r = F.softplus(extra) + _SCALE_FLOOR
        log_r = torch.log(r)
        log_r_mu = torch.logaddexp(log_r, log_mu)
        return (
            torch.lgamma(target + r)
            - torch.lgamma(r)
            - torch.lgamma(target + 1)
            + r * (log_r - log_r_mu)
            + target * (log_mu - log_r_mu)
        )


class Categorical(Likelihood):
    """Independent categorical per column; values are integer codes 0..C-1.

    Parameters
    ----------
    n_categories : int or list of int, default=None
        Number of categories per column; learned from the data (max + 1)
        when ``None``.

    Attributes
    ----------
    n_categories_ : list of int
        Number of categories of each column.
    offsets_ : list of int
        Where each column's one-hot block starts in the encoder input and in
        the decoder output, then their total width.
    n_features_ : int
        Number of columns of the modality.

    See Also
    --------
    Bernoulli : For 0/1 values and values in [0, 1].
    Categorical.probabilities : The probabilities of the codes.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skpoe.likelihoods import Categorical
    >>> lik = Categorical().fit(np.array([[0.0, 2.0], [1.0, 0.0]]), "colour")
    >>> lik.n_categories_, lik.offsets_
    ([2, 3], [0, 2, 5])
    >>> lik.encode_values(np.array([[1.0, 2.0]])).tolist()
    [[0.0, 1.0, 0.0, 0.0, 1.0]]
    >>> out = torch.zeros(1, lik.n_outputs)
    >>> lik.log_prob_terms(out, lik.init_extra(), torch.tensor([[1, 2]]))
    tensor([[-0.6931, -1.0986]])
    """

    name = "categorical"
    target_dtype = torch.int64

    def __init__(self, n_categories=None):
        self.n_categories = n_categories

    def _check_values(self, X):
        if not _nonnegative_integers(X):  # block by block: no copy of the view
            raise ValueError(
                f"Modality {self.modality!r} must hold non-negative integer "
                "category codes for the 'categorical' likelihood."
            )

    def fit(self, X, modality="X"):
        super().fit(X, modality)
        if self.n_categories is None:
            # per-column max over observed codes; -1 for a column with none
            top = np.fmax.reduce(X, axis=0) if X.shape[0] else np.full(X.shape[1], -1.0)
            learned = np.nan_to_num(top, nan=-1.0) + 1
            self.n_categories_ = [int(max(c, 1)) for c in learned]
        elif np.ndim(self.n_categories) == 0:
            self.n_categories_ = [int(self.n_categories)] * X.shape[1]
        else:
            self.n_categories_ = [int(c) for c in self.n_categories]
        if X.shape[0] and np.any(X >= np.array(self.n_categories_)):
            raise ValueError(
                f"Modality {self.modality!r} has codes >= n_categories {self.n_categories_}."
            )
        self._check_n_categories(X)
        self.offsets_ = np.concatenate([[0], np.cumsum(self.n_categories_)]).tolist()
        return self

    def _check_n_categories(self, X):
        """Refuse more than ``MAX_CATEGORIES`` per column (one-hot inputs)."""
        too_many = [j for j, c in enumerate(self.n_categories_) if c > MAX_CATEGORIES]
        if not too_many:
            return
        j = too_many[0]
        col = X[:, j] if X.shape[0] else np.zeros(0)
        where = ""
        if col.size and np.any(col >= MAX_CATEGORIES):
            row = int(np.flatnonzero(col >= MAX_CATEGORIES)[0])
            where = f" (code {col[row]:.6g} at observed row {row})"
        raise ValueError(
            f"Modality {self.modality!r}: column {j} would have "
            f"{self.n_categories_[j]} categories{where}; the 'categorical' "
            f"likelihood one-hot encodes codes 0..C-1 and allows at most "
            f"{MAX_CATEGORIES} per column. Re-encode the categories as consecutive "
            "codes (e.g. with sklearn.preprocessing.OrdinalEncoder)."
        )

    @property
    def n_encoded(self):
        return self.offsets_[-1]

    @property
    def n_outputs(self):
        return self.offsets_[-1]

    def check(self, X):
        self._check_values(X)
        if X.size:
            too_big = X >= np.array(self.n_categories_)
            if too_big.any():
                row, col = (int(v[0]) for v in np.nonzero(too_big))
                raise ValueError(
                    f"Modality {self.modality!r} has category code {X[row, col]:g} "
                    f"(observed row {row}, column {col}) not seen during fit; column "
                    f"{col} has {self.n_categories_[col]} categories."
                )

    def encode_values(self, X):
        out = np.zeros((X.shape[0], self.offsets_[-1]), dtype=np.float32)
        codes = np.clip(X.astype(np.int64), 0, None)
        rows = np.arange(X.shape[0])
        for j in range(X.shape[1]):
            c = np.minimum(codes[:, j], self.n_categories_[j] - 1)
            out[rows, self.offsets_[j] + c] = 1.0
        return out

    def _encoded_columns(self, missing):
        return np.repeat(missing, self.n_categories_, axis=1)

    def target(self, X):
        """Codes as int64; missing entries are -1.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            Observed rows of category codes; NaN marks a missing entry.

        Returns
        -------
        target : ndarray of shape (n_rows, n_features), dtype int64
            The codes, -1 at the missing entries.

        See Also
        --------
        Likelihood.split_missing : Masks the -1 entries.
        Categorical.mean : The most probable code.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Categorical
        >>> lik = Categorical().fit(np.array([[0.0], [2.0]]))
        >>> lik.target(np.array([[2.0], [np.nan]])).ravel().tolist()
        [2, -1]
        """
        return np.where(np.isnan(X), -1, X).astype(np.int64)

    def split_missing(self, target):
        mask = target >= 0
        return target.clamp(min=0), mask

    def _logits(self, out):
        o = self.offsets_
        return [out[..., o[j] : o[j + 1]] for j in range(len(self.n_categories_))]

    def log_prob_terms(self, out, extra, target):
        terms = []
        for j, logits in enumerate(self._logits(out)):
            lp = torch.log_softmax(logits, dim=-1)
            terms.append(lp.gather(-1, target[..., j : j + 1].expand(*lp.shape[:-1], 1)))
        return torch.cat(terms, -1)

    def probabilities(self, out):
        """Probabilities of the codes of each column (softmax of its logits).

        Parameters
        ----------
        out : torch.Tensor of shape (..., n_outputs)
            Decoder output, the concatenated logits of the columns.

        Returns
        -------
        probabilities : list of torch.Tensor
            One tensor per column, of shape ``(..., n_categories_[j])``.

        See Also
        --------
        Categorical.mean : The most probable code of each column.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Categorical
        >>> lik = Categorical().fit(np.array([[0.0, 2.0], [1.0, 0.0]]))
        >>> [p.shape for p in lik.probabilities(torch.zeros(4, lik.n_outputs))]
        [torch.Size([4, 2]), torch.Size([4, 3])]
        """
        return [torch.softmax(logit, dim=-1) for logit in self._logits(out)]

    def mean(self, out, extra):
        """Most probable code per column (float, so it stacks with other views).

        Parameters
        ----------
        out : torch.Tensor of shape (..., n_outputs)
            Decoder output, the concatenated logits of the columns.
        extra : torch.Tensor of shape (0,)
            The free parameters (none; unused).

        Returns
        -------
        codes : torch.Tensor of shape (..., n_features), dtype float32
            The code of largest logit of each column.

        See Also
        --------
        Categorical.probabilities : The probabilities of every code.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Categorical
        >>> lik = Categorical().fit(np.array([[0.0, 2.0], [1.0, 0.0]]))
        >>> lik.mean(torch.tensor([[0.0, 1.0, 3.0, 0.0, 2.0]]), lik.init_extra())
        tensor([[1., 0.]])
        """
        return torch.stack([logit.argmax(-1) for logit in self._logits(out)], dim=-1).float()

    def __repr__(self):
        return f"Categorical(n_categories={self.n_categories!r})"
