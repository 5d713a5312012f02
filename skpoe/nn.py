"""Network building blocks: MLPs, multi-head Gaussian encoders, decoders.

Contract for user-supplied modules
----------------------------------
``encoders={"name": module}``
    ``module`` maps the encoder input of that modality, a float tensor of
    shape ``(batch, n_inputs)``, to features of shape ``(batch, h)`` for any
    ``h``. skpoe adds the Gaussian heads on top. ``n_inputs`` is the number of
    features of the modality (for ``categorical`` views, the total number of
    categories, one-hot); images arrive flattened, so reshape inside the
    module (e.g. ``x.view(-1, 1, 28, 28)``). If the modality had missing
    entries (NaN inside observed rows) at fit time, the input is wider:
    the encoded values (missing entries set to 0) followed by one 0/1
    observed indicator per feature, ``n_inputs = n_encoded + n_features``
    (see ``likelihoods_[name].n_inputs``); slice ``x[:, :n_encoded]`` for the
    values. A modality fitted on complete rows keeps its width; missing
    entries in new data then arrive as 0.
``decoders={"name": module}``
    ``module`` maps latent codes of shape ``(batch, n_components)`` to the
    likelihood's parameters of shape ``(batch, n_outputs)``: logits for
    ``bernoulli``, means for ``gaussian``/``laplace`` (standardized units),
    log rates for ``poisson``/``negative_binomial``, concatenated logits for
    ``categorical``. Output flattened.

User modules are deep-copied at each fresh ``fit``, so the module you pass
is never trained in place and ``clone`` gives an untrained copy.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["mlp", "GaussianEncoder", "Decoder", "full_precision"]

VAR_FLOOR = 1e-4


def mlp(n_in, hidden, n_out, activation=nn.ReLU):
    """Fully connected network ``n_in -> hidden -> n_out`` (linear output).

    Parameters
    ----------
    n_in : int
        Width of the input.
    hidden : sequence of int
        Widths of the hidden layers, each followed by ``activation``.
    n_out : int
        Width of the output (a linear layer, no activation).
    activation : type of torch.nn.Module, default=torch.nn.ReLU
        Activation class, instantiated once per hidden layer.

    Returns
    -------
    net : torch.nn.Sequential
        The network.

    See Also
    --------
    GaussianEncoder : Ends an MLP in Gaussian heads.
    Decoder : Maps latent codes to likelihood parameters.

    Examples
    --------
    >>> import torch
    >>> from skpoe.nn import mlp
    >>> net = mlp(3, (8, 4), 2)
    >>> net(torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """
    layers = []
    prev = n_in
    for h in hidden:
        layers += [nn.Linear(prev, h), activation()]
        prev = h
    layers.append(nn.Linear(prev, n_out))
    return nn.Sequential(*layers)


def full_precision(t):
    """``t`` in float32 if it came out of a mixed-precision (16-bit) layer.

    Parameters
    ----------
    t : torch.Tensor
        A tensor of any dtype.

    Returns
    -------
    t32 : torch.Tensor
        ``t.float()`` for float16 and bfloat16 tensors, ``t`` itself otherwise.

    See Also
    --------
    GaussianEncoder.forward : Computes its heads in full precision.

    Examples
    --------
    >>> import torch
    >>> from skpoe.nn import full_precision
    >>> full_precision(torch.zeros(2, dtype=torch.bfloat16)).dtype
    torch.float32
    >>> t = torch.zeros(2, dtype=torch.float64)
    >>> full_precision(t) is t
    True
    """
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def _probe_width(module, n_in, what):
    """Run a module on a dummy batch to learn its output width."""
    try:
        with torch.no_grad():
            out = module(torch.zeros(2, n_in))
    except Exception as exc:
        raise ValueError(
            f"{what}: the custom module failed on an input of shape (2, {n_in}): "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"{what}: the custom module must return a 2-D tensor (batch, width); "
            f"got {shape} for an input of shape (2, {n_in})."
        )
    return int(out.shape[1])


class GaussianEncoder(nn.Module):
    """Encoder of one modality with ``n_heads`` Gaussian expert heads.

    Outputs, for each head, a mean and a variance (softplus plus a floor) in
    a latent space of size ``n_latent``. With a custom ``body`` the heads are
    one linear layer on its features; otherwise an MLP with ``hidden`` layers
    ends in the heads.

    Parameters
    ----------
    n_in : int
        Width of the encoder input.
    hidden : sequence of int
        Hidden layer widths of the default MLP (unused with ``body``).
    n_latent : int
        Size of the latent space.
    n_heads : int
        Number of Gaussian expert heads.
    body : torch.nn.Module, default=None
        Custom feature network; deep-copied, and probed on a ``(2, n_in)``
        batch to learn its output width.
    name : str, default="X"
        Modality name, used in error messages.

    See Also
    --------
    Decoder : The decoder of one modality.
    mlp : The default network.

    Examples
    --------
    >>> import torch
    >>> from skpoe.nn import GaussianEncoder
    >>> enc = GaussianEncoder(3, (8,), n_latent=2, n_heads=2)
    >>> mu, prec = enc(torch.zeros(5, 3))
    >>> mu.shape, prec.shape
    (torch.Size([5, 2, 2]), torch.Size([5, 2, 2]))
    """

    def __init__(self, n_in, hidden, n_latent, n_heads, body=None, name="X"):
        super().__init__()
        self.n_latent = n_latent
        self.n_heads = n_heads
        n_out = 2 * n_latent * n_heads
        if body is None:
            self.net = mlp(n_in, hidden, n_out)
        else:
            body = copy.deepcopy(body)
            width = _probe_width(body, n_in, f"encoders[{name!r}]")
            self.net = nn.Sequential(body, nn.Linear(width, n_out))

    def forward(self, x):
        """Return ``mu, prec`` of shape (batch, n_heads, n_latent).

        Parameters
        ----------
        x : torch.Tensor
            Encoder input of shape ``(batch, n_in)``.

        Returns
        -------
        mu : torch.Tensor
            Means of shape ``(batch, n_heads, n_latent)``.
        prec : torch.Tensor
            Precisions (inverse variances, the variance floored at
            ``1e-4``), same shape.

        See Also
        --------
        Decoder.forward : The decoder's output.

        Examples
        --------
        >>> import torch
        >>> from skpoe.nn import GaussianEncoder
        >>> _, prec = GaussianEncoder(3, (4,), 2, 1)(torch.zeros(2, 3))
        >>> bool((prec > 0).all())
        True
        """
        out = full_precision(self.net(x))  # float32 heads also under mixed precision
        out = out.view(x.shape[0], self.n_heads, 2, self.n_latent)
        # softplus is vectorised on contiguous memory only (10x slower strided)
        var = F.softplus(out[:, :, 1].contiguous()) + VAR_FLOOR
        return out[:, :, 0], 1.0 / var


class Decoder(nn.Module):
    """Decoder of one modality: latent -> likelihood parameters (+ free ones).

    Parameters
    ----------
    n_latent : int
        Size of the latent space.
    hidden : sequence of int
        Hidden layer widths, used in reverse order by the default MLP
        (unused with ``body``).
    likelihood : skpoe.likelihoods.Likelihood
        Fitted likelihood of the modality; gives the output width
        (``n_outputs``) and the free parameters (``extra``).
    body : torch.nn.Module, default=None
        Custom network; deep-copied, and must return ``n_outputs`` values.
    name : str, default="X"
        Modality name, used in error messages.

    See Also
    --------
    GaussianEncoder : The encoder of one modality.
    mlp : The default network.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.nn import Decoder
    >>> lik = Gaussian().fit(np.zeros((4, 3), dtype=np.float32))
    >>> Decoder(2, (8,), lik)(torch.zeros(5, 2)).shape
    torch.Size([5, 3])
    """

    def __init__(self, n_latent, hidden, likelihood, body=None, name="X"):
        super().__init__()
        n_out = likelihood.n_outputs
        if body is None:
            self.net = mlp(n_latent, tuple(reversed(tuple(hidden))), n_out)
        else:
            self.net = copy.deepcopy(body)
            width = _probe_width(self.net, n_latent, f"decoders[{name!r}]")
            if width != n_out:
                raise ValueError(
                    f"decoders[{name!r}] returns {width} values per sample; the "
                    f"{likelihood.name!r} likelihood of this modality needs {n_out}."
                )
        self.extra = nn.Parameter(likelihood.init_extra())

    def forward(self, z):
        """Decoder output for latent codes ``z`` of shape (..., n_latent).

        Parameters
        ----------
        z : torch.Tensor
            Latent codes of shape ``(..., n_latent)``.

        Returns
        -------
        out : torch.Tensor
            Likelihood parameters of shape ``(..., n_outputs)``.

        See Also
        --------
        GaussianEncoder.forward : The encoder's output.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Bernoulli
        >>> from skpoe.nn import Decoder
        >>> lik = Bernoulli().fit(np.zeros((4, 3), dtype=np.float32))
        >>> Decoder(2, (8,), lik)(torch.zeros(6, 5, 2)).shape
        torch.Size([6, 5, 3])
        """
        lead = z.shape[:-1]
        out = self.net(z.reshape(-1, z.shape[-1]))
        return out.view(*lead, out.shape[-1])
