"""The networks of a multimodal VAE and the contract of a model: :class:`MultimodalModule`.

The likelihood terms and loss parts, the step loss and inference come from the mixins of
:mod:`skpoe.models.base.terms`, :mod:`skpoe.models.base.step` and
:mod:`skpoe.models.base.inference`.
"""

from __future__ import annotations

import abc

import torch
from torch import nn

from skpoe.models.base.inference import Inference
from skpoe.models.base.step import StepLoss
from skpoe.models.base.terms import LossTerms
from skpoe.models.batch import Experts
from skpoe.models.experts import product_with_prior
from skpoe.models.private import SharedCodes
from skpoe.nn import Decoder, GaussianEncoder

__all__ = ["MultimodalModule"]


class MultimodalModule(SharedCodes, LossTerms, StepLoss, Inference, nn.Module):
    """Encoders, decoders and likelihoods of M modalities: the base of every model.

    Each modality m has a :class:`~skpoe.nn.GaussianEncoder` with ``n_heads``
    heads, whose outputs per head have the width of its code
    (:meth:`code_width`), and a :class:`~skpoe.nn.Decoder` from its code to
    the parameters of its likelihood. A subclass defines :meth:`posterior`
    and :meth:`paired_terms` (a class that leaves one out fails as it is
    made, unless it declares ``abstract=True``); the loss parts, the step
    loss and inference are shared.

    Parameters
    ----------
    likelihoods : list of skpoe.likelihoods.Likelihood
        Fitted likelihood of each modality (labels included, last).
    n_latent : int
        Size D of the shared latent z.
    hidden : list of tuple of int
        Hidden layer sizes per modality.
    weights : list of float
        Weight of each modality's reconstruction terms (the label weight is
        the supervision strength).
    beta : float, default=1.0
        Weight of the KL terms.
    encoder_bodies, decoder_bodies : list of (torch.nn.Module or None), default=None
        User-supplied networks per modality (``None``: an MLP with ``hidden``).
    names : list of str, default=None
        Modality names, used in error messages (default ``m0``, ``m1``, ...).
    label : int or None, default=None
        Index of the label modality (``None`` without labels).
    **options
        Model-specific options (e.g. ``star``), set as attributes.

    Attributes
    ----------
    M : int
        Number of modalities, labels included.
    encoders, decoders : torch.nn.ModuleList
        The encoder and the decoder of each modality.
    n_heads : int
        Gaussian heads per encoder (a class attribute).

    See Also
    --------
    MixtureModule : The base of the models with mixture posteriors.
    skpoe.models.leave_one_out.LeaveOneOut : The leave-one-out objective, a mixin.
    skpoe.models.private.PrivateLatents : Private latents per view, a mixin.
    skpoe.models.Batch : The rows a module is given.

    Examples
    --------
    A model (here MVAE's) made for two modalities of three features:

    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, MVAEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> module.M, module.n_heads
    (2, 1)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        likelihoods,
        n_latent,
        hidden,
        weights,
        beta=1.0,
        encoder_bodies=None,
        decoder_bodies=None,
        names=None,
        label=None,
        **options,
    ):
        super().__init__()
        M = len(likelihoods)
        self.M = M
        self.label = label
        self.n_latent = n_latent
        self.likelihoods = list(likelihoods)
        self.weights = [float(w) for w in weights]
        self.beta = float(beta)
        self.hidden = [tuple(h) for h in hidden]
        for key, value in options.items():
            setattr(self, key, value)
        names = names or [f"m{i}" for i in range(M)]
        encoder_bodies = encoder_bodies or [None] * M
        decoder_bodies = decoder_bodies or [None] * M
        self.encoders = nn.ModuleList(
            GaussianEncoder(
                lik.n_inputs,
                hidden[m],
                self.code_width(m),
                self.n_heads,
                encoder_bodies[m],
                names[m],
            )
            for m, lik in enumerate(likelihoods)
        )
        self.decoders = nn.ModuleList(
            Decoder(self.code_width(m), hidden[m], lik, decoder_bodies[m], names[m])
            for m, lik in enumerate(likelihoods)
        )

    # -- what a model defines -------------------------------------------
    n_heads = 1
    """Gaussian heads per encoder."""

    pseudo_label_weight = 0.0
    """Weight (times the label's) of the soft pseudo-label terms on unlabeled rows."""
    agreement_weight = 0.0
    """Weight (times the label's) of the cross-view agreement terms on unlabeled rows."""

    def __init_subclass__(cls, abstract=False, **kwargs):
        """A concrete model must define every abstract method: checked as the class is made."""
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        missing = sorted(
            name
            for name in dir(cls)
            if getattr(getattr(cls, name, None), "__isabstractmethod__", False)
        )
        if missing:
            raise TypeError(
                f"{cls.__name__} does not define {', '.join(missing)}, which every "
                f"model must (see skpoe.models.base.MultimodalModule); declare it "
                f"with `class {cls.__name__}(..., abstract=True)` if it is itself a base."
            )

    @abc.abstractmethod
    def posterior(self, experts, subset):
        """q(z | x_S): mean and variance for each row's subset (every model defines it).

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        subset : torch.Tensor of bool
            The modalities S of each row: shape (n, M), or a stack (n, T, M)
            of T subsets per row (needed by models using
            :class:`~skpoe.models.leave_one_out.LeaveOneOut`).

        Returns
        -------
        mu, var : torch.Tensor
            Mean and variance of q(z | x_S), shape (n, D) or (n, T, D).

        See Also
        --------
        single_posterior : The posterior of one modality's heads.
        infer : The posterior of each row's observed modalities.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.posterior(module.encode(batch), batch.mask)
        >>> mu.shape, bool((var > 0).all())
        (torch.Size([4, 2]), True)
        """

    def single_posterior(self, mu_m, prec_m, m):
        """q(z | x_m) from modality m's heads: the prior times all of them (by default).

        Parameters
        ----------
        mu_m, prec_m : torch.Tensor
            Means and precisions of modality m's heads, shape (n, H, D).
        m : int
            The modality.

        Returns
        -------
        mu, var : torch.Tensor
            Mean and variance of q(z | x_m), shape (n, D).

        See Also
        --------
        posterior : The posterior of a subset of modalities.
        Experts.single : The heads of one modality.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu_m, prec_m = module.encode(batch).single(0)
        >>> mu, var = module.single_posterior(mu_m, prec_m, 0)
        >>> bool((var < 1).all())  # sharper than the prior
        True
        """
        return product_with_prior(prec_m, mu_m * prec_m)

    @abc.abstractmethod
    def paired_terms(self, experts, sample=True):
        """Part: the per-row loss of rows with two or more observed modalities.

        Every model defines it. A part is a generator that yields the
        decoder requests it needs (see :mod:`skpoe.models.fused`).

        Parameters
        ----------
        experts : Experts
            Encoder outputs of the rows (:meth:`encode`).
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        part : generator
            The part; its value (:meth:`evaluate`) is the loss per row, shape (n,).

        See Also
        --------
        paired_loss : The value of this part on a batch.
        loss : The loss of one optimiser step.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> part = module.paired_terms(module.encode(batch))
        >>> module.evaluate(part).shape
        torch.Size([4])
        """

    def encode(self, batch):
        """Experts of every modality for a batch.

        Modalities no row observes are not run through their encoder; they
        get standard normal filler experts (finite, and masked out by every
        model).

        Parameters
        ----------
        batch : Batch
            The rows.

        Returns
        -------
        experts : Experts
            ``mu, prec`` of shape (n, M, H, D).

        See Also
        --------
        stack_experts : Experts from the heads of the present modalities.
        posterior : The posterior of the experts of a subset.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.encode(batch).mu.shape
        torch.Size([4, 2, 1, 2])
        """
        heads = {m: self.encoders[m](batch.inputs[m]) for m in batch.present}
        return self.stack_experts(batch, heads)

    def stack_experts(self, batch, heads):
        """:class:`Experts` of ``batch`` from the heads of its present modalities.

        Parameters
        ----------
        batch : Batch
            The rows.
        heads : dict of int to (torch.Tensor, torch.Tensor)
            ``heads[m] = (mu, prec)``, shape (n, H, D), of the modalities in
            ``batch.present``; the others get standard normal filler experts.

        Returns
        -------
        experts : Experts
            ``mu, prec`` of shape (n, M, H, D).

        See Also
        --------
        encode : Runs the encoders, then this.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> heads = {0: module.encoders[0](x)}
        >>> experts = module.stack_experts(batch, heads)
        >>> experts.prec[:, 1].unique().tolist()  # modality 1: the filler
        [1.0]
        """
        mus, precs = [], []
        filler = None
        for m, x in enumerate(batch.inputs):
            if m in heads:
                mu, prec = heads[m]
            else:
                if filler is None:
                    filler = x.new_zeros(batch.n, self.n_heads, self.n_latent)
                mu, prec = filler, filler + 1.0
            mus.append(mu)
            precs.append(prec)
        return Experts(torch.stack(mus, 1), torch.stack(precs, 1), batch)
