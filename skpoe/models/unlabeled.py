"""What the unlabeled rows teach the label: soft pseudo-labels and cross-view agreement.

On an unlabeled row with observed views V, the label is decoded from a draw of the views'
posterior q(z | V) and, when V has two or more views, from a draw of each q(z | x_m), m in V.
Two terms use these label distributions p(y | z), both weighted by the label's weight
(the supervision strength):

* **pseudo-labels** (``pseudo_label_weight``): the cross-entropy of each distribution to the
  row's soft target t (label spreading over the views' neighbourhood graph,
  :mod:`skpoe.data._graph`), weighted by the row's confidence c (the target's largest
  probability; 0 where the graph gives none): ``-c * sum_y t_y log p(y | z)``;
* **agreement** (``agreement_weight``, co-training): on rows with two or more views, the
  cross-entropy of each single view's distribution to the joint one, whose gradient is stopped:
  ``-sum_y sg(p(y | z_V)) log p(y | z_m)``.

Every model gets them from :class:`~skpoe.models.base.MultimodalModule`, since they need only
its posteriors and its label decoder.
"""

from __future__ import annotations

import torch

from skpoe.models.experts import reparameterize

__all__ = ["unlabeled_label_terms"]


def unlabeled_label_terms(module, batch, soft, weight, sample=True):
    """Per-row loss (n,) of the label terms of unlabeled rows.

    Parameters
    ----------
    module : MultimodalModule
    batch : Batch
        Unlabeled rows (the label modality unobserved in ``batch.mask``).
    soft : Tensor of shape (n, n_classes)
        Soft targets (rows of zeros where there is none).
    weight : Tensor of shape (n,)
        Confidence of each row's target (0: no pseudo-label term).
    sample : bool
        Draw z (``False``: the posterior means).
    """
    L = module.label
    views = [m for m in batch.present if m != L]
    s = batch.mask.clone()
    s[:, L] = False
    eye = torch.eye(module.M, dtype=torch.bool, device=s.device)
    subsets = [s] + [s & eye[m] for m in views]
    experts = module.encode(batch)
    # one posterior per subset: every model takes an (n, M) subset (a stack is optional)
    posteriors = [module.posterior(experts, sub) for sub in subsets]
    p_mu = torch.stack([mu for mu, _ in posteriors], 1)  # (n, T, D)
    p_var = torch.stack([var for _, var in posteriors], 1)
    z = reparameterize(p_mu, p_var, sample)
    dec = module.decoders[L]
    logp = torch.log_softmax(dec(z).float(), -1)  # (n, T, K)
    n_views = s.sum(1)
    use = torch.stack([n_views >= 1] + [s[:, m] & (n_views >= 2) for m in views], 1)
    total = torch.zeros(batch.n, device=s.device)
    if module.pseudo_label_weight:
        ce = -(soft[:, None, :] * logp).sum(-1)  # (n, T)
        ce = torch.where(use, ce, torch.zeros_like(ce)).sum(1)
        total = total + module.pseudo_label_weight * weight * ce
    if module.agreement_weight and len(views) >= 2:
        target = logp[:, 0].detach().exp()
        ce = -(target[:, None, :] * logp[:, 1:]).sum(-1)  # (n, T - 1)
        ce = torch.where(use[:, 1:], ce, torch.zeros_like(ce)).sum(1)
        total = total + module.agreement_weight * ce
    return module.weights[L] * total
