"""Per-modality private latents, for any model: shared code z plus a private code w_m per view.

Every model decodes modality m from its *code*. By default (:class:`SharedCodes`, a base of
:class:`~skpoe.models.base.MultimodalModule`) the code is the shared latent z alone. A model
that inherits :class:`PrivateLatents` before its base gives every view (not the label) a
private latent w_m of ``n_private_components`` dimensions, with prior N(0, I):

* each view's encoder has ``n_latent + n_private_components`` outputs per head: the first
  ``n_latent`` are its expert on z, the rest (of the first head) are q(w_m | x_m);
  :meth:`PrivateLatents.stack_experts` splits them, so the model's ``posterior`` sees the
  shared experts only and ``experts.private`` holds q(w_m | x_m) (n, M, P);
* view m's decoder reads ``[z, w_m]``; the label's reads z, so ``predict`` uses z alone;
* a code may be given as z alone (then w_m is its prior mean, 0: how a missing view is
  generated from the others), as ``[z, w_m]``, or as one joint draw
  ``[z, w_0, w_1, ...]`` of every latent (width :attr:`PrivateLatents.noise_width`; how
  ``sample`` and ``score_samples`` draw them);
* single-view rows get their view's ELBO over z and w_m; ``score_samples`` adds w_m to the
  importance sampler (drawn from q(w_m | x_m) for each observed view; the missing views'
  private latents are integrated out exactly); ``impute`` decodes missing entries of an
  observed view at the posterior means of z and w_m, and missing views at w_m = 0.

``transform`` stays the shared latent; :meth:`PrivateLatents.infer_private` gives the
private posteriors (the estimators' ``transform_private``).

The shared codes are in :mod:`skpoe.models.private.shared`, the private codes and encoders in
:mod:`skpoe.models.private.codes`, the loss terms and the
importance sampler in :mod:`skpoe.models.private.latents`.
"""

from skpoe.models.private.latents import PrivateLatents
from skpoe.models.private.shared import SharedCodes

__all__ = ["SharedCodes", "PrivateLatents"]
