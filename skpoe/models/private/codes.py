"""The codes of the modalities with a private latent per view: :class:`PrivateCodes`.

:class:`PrivateCodes` is the part of
:class:`~skpoe.models.private.PrivateLatents` that makes and reads the codes and splits the
encoders' outputs (see :mod:`skpoe.models.private`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from skpoe.models._host import ModelHost
else:
    ModelHost = object  # the mixin's base at run time (skpoe.models._host)

__all__ = ["PrivateCodes"]


class PrivateCodes(ModelHost):
    """The codes and encoders of :class:`~skpoe.models.private.PrivateLatents`.

    ``n_private_components`` (default 8) is the width P of each view's private latent.

    See Also
    --------
    skpoe.models.private.PrivateLatents : The mixin made of it.

    Examples
    --------
    >>> from skpoe.models.private import PrivateLatents
    >>> from skpoe.models.private.codes import PrivateCodes
    >>> issubclass(PrivateLatents, PrivateCodes)
    True
    """

    n_private_components = 8

    def private_width(self, m):
        """Private dimensions of modality m (0 for the label).

        Parameters
        ----------
        m : int
            The modality.

        Returns
        -------
        width : int
            ``n_private_components``, or 0 for the label.

        See Also
        --------
        code_width : The width of the modality's code.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> module.private_width(0)
        1
        """
        return 0 if m == self.label else int(self.n_private_components)

    def code_width(self, m):
        """Width of modality m's code: ``n_latent`` plus its private dimensions.

        Parameters
        ----------
        m : int
            The modality.

        Returns
        -------
        width : int
            The decoder's input width, and the encoder's output width per head.

        See Also
        --------
        private_width : The private dimensions.
        noise_width : The width of a joint draw of every latent.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> module.code_width(0)
        3
        """
        return self.n_latent + self.private_width(m)

    @property
    def noise_width(self):
        """Width of one joint draw ``[z, w_0, w_1, ...]`` of every latent.

        See Also
        --------
        code_width : The width of one modality's code.
        code_for : Reads a modality's code from a joint draw.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> module.noise_width
        4
        """
        return self.n_latent + sum(self.private_width(m) for m in range(self.M))

    def _offset(self, m):
        """Start of w_m in a joint draw ``[z, w_0, w_1, ...]``."""
        return self.n_latent + sum(self.private_width(k) for k in range(m))

    def code_for(self, m, z):
        """Modality m's decoder input from z, ``[z, w_m]`` or a joint draw (see :mod:`skpoe.models.private`).

        Parameters
        ----------
        m : int
            The modality.
        z : torch.Tensor
            A code of width ``n_latent`` (then w_m = 0, its prior mean), ``code_width(m)``
            or ``noise_width``, shape (..., width).

        Returns
        -------
        code : torch.Tensor
            Shape (..., ``code_width(m)``).

        See Also
        --------
        log_lik : Decodes the code.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> module.code_for(0, torch.zeros(4, 2)).shape
        torch.Size([4, 3])
        >>> module.code_for(1, torch.arange(4.0)[None]).tolist()  # [z, w_0, w_1]: z and w_1
        [[0.0, 1.0, 3.0]]
        """
        D, P, width = self.n_latent, self.private_width(m), z.shape[-1]
        if width == D + P:
            return z
        if width == D:
            return torch.cat([z, z.new_zeros(*z.shape[:-1], P)], -1)
        if width == self.noise_width:
            start = self._offset(m)
            return torch.cat([z[..., :D], z[..., start : start + P]], -1)
        raise ValueError(f"a code of width {width} for modality {m}; expected {D} or {D + P}.")

    def log_lik(self, m, z, target):
        """log p(x_m | z, w_m), unweighted, of a code read by :meth:`code_for`.

        Parameters
        ----------
        m : int
            The modality.
        z : torch.Tensor
            A code of any width that :meth:`code_for` reads, shape (..., n, width).
        target : torch.Tensor
            Likelihood targets of modality m, shape (n, n_features).

        Returns
        -------
        log_lik : torch.Tensor
            Shape ``z.shape[:-1]``.

        See Also
        --------
        code_for : The code decoded.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> module.log_lik(0, torch.zeros(4, 2), x).shape
        torch.Size([4])
        """
        return super().log_lik(m, self.code_for(m, z), target)

    def decode_mean(self, m, z):
        """Mean of p(x_m | z, w_m) in target space, of a code read by :meth:`code_for`.

        Parameters
        ----------
        m : int
            The modality.
        z : torch.Tensor
            A code of any width that :meth:`code_for` reads, shape (n, width).

        Returns
        -------
        mean : torch.Tensor
            Shape (n, n_features).

        See Also
        --------
        impute_codes : The codes that imputation decodes.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> module.decode_mean(0, torch.zeros(4, 2)).shape
        torch.Size([4, 3])
        """
        return super().decode_mean(m, self.code_for(m, z))

    # -- encoders: shared experts and private posteriors --------------------
    def split_heads(self, m, mu, prec):
        """Split modality m's encoder outputs into shared heads and its private posterior.

        Parameters
        ----------
        m : int
            The modality.
        mu, prec : torch.Tensor
            The encoder's outputs, shape (n, H, ``code_width(m)``).

        Returns
        -------
        shared : tuple of torch.Tensor
            ``(mu, prec)`` of the heads on z, shape (n, H, D).
        private : tuple of torch.Tensor or None
            ``(mu, var)`` of q(w_m | x_m), shape (n, P), from the first head
            (``None`` for the label).

        See Also
        --------
        stack_experts : Splits every modality's outputs.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> shared, private = module.split_heads(0, *module.encoders[0](x))
        >>> shared[0].shape, private[0].shape
        (torch.Size([4, 1, 2]), torch.Size([4, 1]))
        """
        D = self.n_latent
        if not self.private_width(m):
            return (mu, prec), None
        return (mu[..., :D], prec[..., :D]), (mu[:, 0, D:], 1.0 / prec[:, 0, D:])

    def stack_experts(self, batch, heads):
        """:class:`~skpoe.models.Experts` on z of ``batch``, with the private posteriors.

        Parameters
        ----------
        batch : Batch
            The rows.
        heads : dict of int to (torch.Tensor, torch.Tensor)
            ``heads[m] = (mu, prec)`` of the present modalities' encoders.

        Returns
        -------
        experts : Experts
            The shared experts (n, M, H, D), and ``experts.private``, the
            ``(mu, var)`` (n, M, P) of q(w_m | x_m) (the prior for the others).

        See Also
        --------
        split_heads : Splits one modality's outputs.
        infer_private : The private posteriors of a batch.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> experts = module.stack_experts(batch, {0: module.encoders[0](x)})
        >>> experts.private[1][:, 1].tolist()  # modality 1: the prior's variance
        [[1.0], [1.0], [1.0], [1.0]]
        """
        shared, private = {}, {}
        for m, (mu, prec) in heads.items():
            shared[m], private[m] = self.split_heads(m, mu, prec)
        experts = super().stack_experts(batch, shared)
        P = int(self.n_private_components)
        mus, variances = [], []
        for m in range(self.M):
            if private.get(m) is None:
                filler = experts.mu.new_zeros(batch.n, P)
                mus.append(filler)
                variances.append(filler + 1.0)
            else:
                mus.append(private[m][0])
                variances.append(private[m][1])
        experts.private = (torch.stack(mus, 1), torch.stack(variances, 1))
        return experts

    # -- inference ---------------------------------------------------------------
    def infer_private(self, batch):
        """Private posteriors of each row's views (the prior where unobserved).

        Parameters
        ----------
        batch : Batch
            The rows.

        Returns
        -------
        mu, var : torch.Tensor
            Of q(w_m | x_m), shape (n, M, P).

        See Also
        --------
        impute_codes : Codes with the private posterior means.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.infer_private(batch)
        >>> mu.shape
        torch.Size([4, 2, 1])
        """
        return self.encode(batch).private

    def impute_codes(self, batch, z):
        """Codes to impute from: ``[z, w_0, w_1, ...]``, each w_m its posterior mean (0 if unobserved).

        Parameters
        ----------
        batch : Batch
            The rows.
        z : torch.Tensor
            Their posterior means of z, shape (n, D).

        Returns
        -------
        codes : torch.Tensor
            Joint codes, shape (n, ``noise_width``).

        See Also
        --------
        decode_mean : Decodes them.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, DMVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = DMVAEModule(
        ...     [lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, n_private_components=1
        ... )
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.impute_codes(batch, torch.zeros(4, 2)).shape
        torch.Size([4, 4])
        """
        mu_w, _ = self.infer_private(batch)
        parts = [z]
        for m in range(self.M):
            if self.private_width(m):
                seen = batch.mask[:, m : m + 1]
                parts.append(torch.where(seen, mu_w[:, m], torch.zeros_like(mu_w[:, m])))
        return torch.cat(parts, -1)
