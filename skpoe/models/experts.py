"""Gaussian expert algebra: pure tensor functions, no estimator state.

Experts are kept in natural form where it helps: a Gaussian with mean ``mu``
and variance ``var`` has precision ``prec = 1 / var`` and precision-weighted
mean ``eta = mu * prec``. Products of Gaussians add precisions and etas.
"""

from __future__ import annotations

import math

import torch

from skpoe.noise import randn_rows

__all__ = [
    "reparameterize",
    "product_with_prior",
    "slot_experts",
    "slot_weights",
    "subset_posterior",
    "kl_gaussians",
    "kl_to_prior",
    "log_normal",
    "mixture_moments",
    "mixture_draw",
    "mixture_log_prob",
]


def product_with_prior(prec, eta, weight=None):
    """Product of the prior N(0, I) and experts along dimension ``-2``.

    Parameters
    ----------
    prec, eta : Tensor of shape (..., K, D)
        Precisions and precision-weighted means of K experts.
    weight : Tensor of shape (..., K), optional
        0/1 mask (or weights) of the experts taking part.

    Returns
    -------
    mu, var : Tensor of shape (..., D)
    """
    if weight is not None:
        w = weight.unsqueeze(-1).to(prec.dtype)
        prec = prec * w
        eta = eta * w
    total = 1.0 + prec.sum(-2)
    return eta.sum(-2) / total, 1.0 / total


def slot_experts(mu, prec, subset):
    """One expert per slot for each row's observed subset.

    Slot ``k`` takes the own expert ``q_kk`` when modality ``k`` is in the
    subset; otherwise the geometric mean of the substitutes ``q_mk`` of the
    observed modalities ``m`` (average precision, precision-weighted mean).
    Slots with no observed modality get zero precision (prior only).

    Parameters
    ----------
    mu, prec : Tensor of shape (n, M_source, M_slot, D)
        ``mu[:, m, k]`` is modality m's expert for slot k.
    subset : Tensor of shape (n, M) or (n, T, M), bool
        Observed modalities of each row (or T subsets per row).

    Returns
    -------
    prec_slot, eta_slot : Tensor of shape (n, M, D) or (n, T, M, D)
    """
    stacked = subset.dim() == 3
    sub = subset if stacked else subset[:, None]
    s = sub.to(prec.dtype)
    eta = mu * prec
    count = s.sum(-1).clamp(min=1.0)[..., None, None]
    sub_prec = torch.einsum("ntm,nmkd->ntkd", s, prec) / count
    sub_eta = torch.einsum("ntm,nmkd->ntkd", s, eta) / count
    own_prec = torch.diagonal(prec, dim1=1, dim2=2).transpose(1, 2)[:, None]
    own_eta = torch.diagonal(eta, dim1=1, dim2=2).transpose(1, 2)[:, None]
    own = sub[..., None]
    p, e = torch.where(own, own_prec, sub_prec), torch.where(own, own_eta, sub_eta)
    return (p, e) if stacked else (p[:, 0], e[:, 0])


def slot_weights(subset, dtype):
    """Weight of source m's expert for slot k: ``W`` (n, T, M_source, M_slot).

    1 for the own expert of an observed slot, ``1 / |S|`` for the substitute
    of an observed modality in an unobserved slot, 0 otherwise (see
    :func:`slot_experts`). ``subset`` is (n, T, M) bool.
    """
    M = subset.shape[-1]
    s = subset.to(dtype)
    count = s.sum(-1).clamp(min=1.0)[..., None, None]
    eye = torch.eye(M, dtype=dtype, device=subset.device)
    return torch.where(subset[..., None, :], eye, s[..., :, None] / count)


def subset_posterior(mu, prec, subset):
    """Posterior q(z | x_S) = prior x one expert per slot (see :func:`slot_experts`).

    ``subset`` (n, M) gives (n, D) outputs; a stack (n, T, M) gives (n, T, D).
    All slots and subsets of a row are one matrix product: the slot weights
    (n, T, M * M) times the stacked precisions and precision-weighted means
    (n, M * M, 2 D).
    """
    stacked = subset.dim() == 3
    sub = subset if stacked else subset[:, None]
    n, T, M = sub.shape
    D = mu.shape[-1]
    W = slot_weights(sub, prec.dtype).reshape(n, T, M * M)
    nat = torch.cat((prec, mu * prec), -1).reshape(n, M * M, 2 * D)
    out = torch.bmm(W, nat)  # (n, T, 2 D)
    total = 1.0 + out[..., :D]
    q_mu, q_var = out[..., D:] / total, 1.0 / total
    return (q_mu, q_var) if stacked else (q_mu[:, 0], q_var[:, 0])


def kl_gaussians(mu_q, var_q, mu_p, var_p):
    """KL(N(mu_q, var_q) || N(mu_p, var_p)) summed over the last dimension."""
    return 0.5 * (
        torch.log(var_p) - torch.log(var_q) + (var_q + (mu_q - mu_p) ** 2) / var_p - 1.0
    ).sum(-1)


def kl_to_prior(mu, var):
    """KL(N(mu, var) || N(0, I)) summed over the last dimension."""
    return 0.5 * (var + mu * mu - 1.0 - torch.log(var)).sum(-1)


def log_normal(z, mu, var):
    """log N(z; mu, var) summed over the last dimension."""
    return -0.5 * (math.log(2 * math.pi) + torch.log(var) + (z - mu) ** 2 / var).sum(-1)


# -- mixtures of Gaussian components ------------------------------------------
def mixture_moments(mu, var, weight):
    """Mean and variance of a mixture (moment matching).

    Parameters
    ----------
    mu, var : Tensor of shape (n, C, D)
        Component means and variances.
    weight : Tensor of shape (n, C)
        Nonnegative component weights (0/1 masks are fine); normalised here.

    Returns
    -------
    mean, var : Tensor of shape (n, D)
    """
    w = weight.to(mu.dtype)
    w = (w / w.sum(1, keepdim=True).clamp(min=1e-12)).unsqueeze(-1)
    mean = (w * mu).sum(1)
    second = (w * (var + mu * mu)).sum(1)
    return mean, (second - mean * mean).clamp(min=1e-12)


def mixture_draw(mu, var, weight, eps):
    """Stratified draws from a uniform mixture over the active components.

    Draw k of row i comes from the ``(k mod C_i)``-th active component of
    row i (C_i = number of active components), so every component is used
    equally often and the result depends on the row alone.

    Parameters
    ----------
    mu, var : Tensor of shape (n, C, D)
    weight : Tensor of shape (n, C) bool
        Active components (each row needs one).
    eps : Tensor of shape (K, 1, D) or (K, n, D)
        Standard normal draws.

    Returns
    -------
    z : Tensor of shape (K, n, D)
    """
    active = weight.bool()
    count = active.sum(1)  # (n,)
    rank = active.long().cumsum(1) - 1  # rank of each active component
    K = eps.shape[0]
    k = torch.arange(K, device=mu.device)[:, None] % count.clamp(min=1)[None, :]  # (K, n)
    pick = active[None] & (rank[None] == k[:, :, None])  # (K, n, C)
    w = pick.to(mu.dtype).unsqueeze(-1)
    m = (w * mu[None]).sum(2)
    s = (w * var[None]).sum(2).sqrt()
    return m + eps * s


def mixture_log_prob(z, mu, var, weight):
    """log of the uniform mixture density over active components at ``z``.

    Parameters
    ----------
    z : Tensor of shape (..., n, D)
    mu, var : Tensor of shape (n, C, D)
    weight : Tensor of shape (n, C) bool

    Returns
    -------
    log_q : Tensor of shape (..., n)
    """
    lp = log_normal(z.unsqueeze(-2), mu, var)  # (..., n, C)
    active = weight.bool()
    lp = torch.where(active, lp, torch.full_like(lp, -math.inf))
    return torch.logsumexp(lp, -1) - torch.log(active.sum(1).clamp(min=1).to(lp.dtype))


def reparameterize(mu, var, sample=True):
    """z = mu + sqrt(var) * eps (or mu when ``sample`` is False); rows on dim 0."""
    if not sample:
        return mu
    return mu + randn_rows(mu) * var.sqrt()
