"""The code of every modality is the shared latent: :class:`SharedCodes`, a base of every model.

Models with private latents replace it with :class:`~skpoe.models.private.PrivateLatents`.
"""

from __future__ import annotations

__all__ = ["SharedCodes"]


class SharedCodes:
    """Every modality's code is the shared latent (every model without private latents).

    A base of :class:`~skpoe.models.MultimodalModule`, which sets ``n_latent``.

    See Also
    --------
    skpoe.models.private.PrivateLatents : Codes with a private latent per view.

    Examples
    --------
    >>> from skpoe.models import MultimodalModule
    >>> from skpoe.models.private import SharedCodes
    >>> issubclass(MultimodalModule, SharedCodes)
    True
    """

    n_latent: int  # set by MultimodalModule, which derives from this class

    def code_width(self, m):
        """Width of modality m's code: its decoder's input and its encoder's output per head.

        Parameters
        ----------
        m : int
            The modality.

        Returns
        -------
        width : int
            ``n_latent``.

        See Also
        --------
        noise_width : The width of a joint draw of every latent.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> module.code_width(0)
        2
        """
        return self.n_latent

    @property
    def noise_width(self):
        """Width of one joint draw of every latent (the shared one, then any private ones).

        Here ``n_latent``: the width of the ``eps`` that inference draws.

        See Also
        --------
        code_width : The width of one modality's code.
        log_importance_weights : Takes draws of this width.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> module.noise_width
        2
        """
        return self.n_latent

    def impute_codes(self, batch, z):
        """Codes to impute from, given the posterior means ``z`` of ``batch``.

        Parameters
        ----------
        batch : Batch
            The rows.
        z : torch.Tensor
            Their posterior means, shape (n, D).

        Returns
        -------
        codes : torch.Tensor
            ``z`` itself.

        See Also
        --------
        decode_mean : Decodes a code.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> z = torch.zeros(4, 2)
        >>> module.impute_codes(None, z) is z
        True
        """
        return z
