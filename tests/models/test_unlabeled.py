"""The label terms of unlabeled rows (pseudo-labels and cross-view agreement): their formula,
their gradient, and how a fit turns them on and off."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from conftest import tiny

import skpoe
from skpoe.data._validation import LABEL
from skpoe.models import Batch
from skpoe.models.unlabeled import unlabeled_label_terms

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: both terms on, whatever the defaults
ON = dict(pseudo_label_weight=0.2, agreement_weight=0.2)


def _unlabeled_batch(model, X):
    """Rows: (0) both views, (1) top only, (2) bottom only; no label anywhere."""
    top, bottom = X["top"][:3].astype(np.float32), X["bottom"][:3].astype(np.float32)
    lab = model.likelihoods_[LABEL]
    mask = torch.tensor([[1, 1, 0], [1, 0, 0], [0, 1, 0]], dtype=torch.bool)
    inputs = [
        torch.from_numpy(top) * mask[:, :1],
        torch.from_numpy(bottom) * mask[:, 1:2],
        torch.zeros(3, lab.n_inputs),
    ]
    targets = [inputs[0], inputs[1], torch.zeros(3, 1, dtype=torch.int64)]
    return Batch(inputs, targets, mask, present=(0, 1), max_observed=2)


def _direct(module, batch, soft, weight, pseudo, agree, detach=True):
    """The terms written out: posteriors from each view set, decoded at their means."""
    experts = module.encode(batch)
    L, c = module.label, module.weights[module.label]

    def logp(views, row):
        sub = torch.zeros(3, module.M, dtype=torch.bool)
        sub[:, list(views)] = True
        mu, _ = module.posterior(experts, sub)
        return torch.log_softmax(module.decoders[L](mu[row]), -1)

    rows = []
    for r, views in enumerate([(0, 1), (0,), (1,)]):
        joint = logp(views, r)
        dists = [joint] + ([logp((v,), r) for v in views] if len(views) >= 2 else [])
        ce = sum(-(soft[r] * d).sum() for d in dists)
        total = pseudo * weight[r] * ce
        if len(views) >= 2:
            target = joint.exp().detach() if detach else joint.exp()
            total = total + agree * sum(-(target * logp((v,), r)).sum() for v in views)
        rows.append(c * total)
    return torch.stack(rows)


@pytest.fixture(scope="module")
def fitted(small):
    return tiny(max_iter=2, **ON).fit(small.X, small.y_part)


@pytest.mark.parametrize("Estimator", skpoe.ESTIMATORS, ids=lambda e: e.__name__)
def test_terms_match_direct_computation(Estimator, small):
    from conftest import TINY

    model = Estimator(**{**TINY, "max_iter": 2}).fit(small.X, small.y_part)
    module = copy.deepcopy(model.module_)
    module.pseudo_label_weight, module.agreement_weight = 0.3, 0.7
    batch = _unlabeled_batch(model, small.X)
    k = len(model.classes_)
    soft = torch.softmax(torch.randn(3, k, generator=torch.Generator().manual_seed(0)), -1)
    weight = torch.tensor([0.9, 0.5, 0.0])
    with torch.no_grad():
        got = unlabeled_label_terms(module, batch, soft, weight, sample=False)
        want = _direct(module, batch, soft, weight, 0.3, 0.7)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    assert got[2] == 0  # one view and no confidence: nothing to learn from
    with torch.no_grad():  # variants the comparison catches: confidence ignored, terms swapped
        unweighted = _direct(module, batch, soft, torch.ones(3), 0.3, 0.7)
        swapped = _direct(module, batch, soft, weight, 0.7, 0.3)
    assert not torch.allclose(got, unweighted, rtol=1e-3) and not torch.allclose(
        got, swapped, rtol=1e-3
    )


def test_agreement_stops_the_gradient_of_its_target(fitted, small):
    module = copy.deepcopy(fitted.module_)
    module.pseudo_label_weight, module.agreement_weight = 0.0, 1.0
    batch = _unlabeled_batch(fitted, small.X)
    soft, weight = torch.zeros(3, len(fitted.classes_)), torch.zeros(3)
    params = [p for p in module.encoders[0].parameters()]

    def grads(loss):
        return torch.autograd.grad(loss.sum(), params, allow_unused=True)

    got = grads(unlabeled_label_terms(module, batch, soft, weight, sample=False))
    want = grads(_direct(module, batch, soft, weight, 0.0, 1.0, detach=True))
    wrong = grads(_direct(module, batch, soft, weight, 0.0, 1.0, detach=False))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)
    assert any(not torch.allclose(w, x, atol=1e-6) for w, x in zip(want, wrong))


def test_zero_weights_give_the_papers_objective(small):
    off = dict(pseudo_label_weight=0.0, agreement_weight=0.0)
    a = tiny(max_iter=3, **off).fit(small.X, small.y_part)
    b = tiny(max_iter=3, **ON).fit(small.X, small.y_part)
    assert not np.array_equal(a.transform(small.X), b.transform(small.X))
    # only agreement: no graph, and still another model than the paper's
    c = tiny(max_iter=3, pseudo_label_weight=0.0, agreement_weight=0.2).fit(small.X, small.y_part)
    assert not np.array_equal(a.transform(small.X), c.transform(small.X))


def test_the_unlabeled_group_is_drawn_only_when_it_teaches(small, monkeypatch):
    from skpoe.estimators._fit import prepare_fit

    _, trainer = prepare_fit(tiny(**ON), small.X, small.y_part, False)
    assert trainer.unlabeled and len(trainer.groups.unlabeled) == (small.y_part == -1).sum()
    w = trainer.data.soft_weight.numpy()
    assert (w[small.y_part != -1] == 0).all() and (w[small.y_part == -1] > 0).mean() > 0.9
    _, off = prepare_fit(
        tiny(pseudo_label_weight=0, agreement_weight=0), small.X, small.y_part, False
    )
    assert not off.unlabeled and off.data.soft is None
    _, unsup = prepare_fit(tiny(**ON), small.X, None, False)
    assert not unsup.unlabeled


def test_pseudo_labels_are_right_where_they_are_confident(small):
    from skpoe.estimators._fit import prepare_fit

    _, trainer = prepare_fit(tiny(**ON), small.X, small.y_part, False)
    soft = trainer.data.soft.numpy()
    w = trainer.data.soft_weight.numpy()
    confident = w > 0.5
    assert confident.sum() > 50
    assert (soft[confident].argmax(1) == small.y[confident]).mean() > 0.85


def test_early_stopping_labels_do_not_leak_into_targets(small):
    from skpoe.estimators._fit import prepare_fit

    _, trainer = prepare_fit(tiny(early_stopping=True, **ON), small.X, small.y_part, False)
    val = trainer.val_rows
    labeled_val = val[small.y_part[val] != -1]
    assert len(labeled_val)
    # a labeled validation row is no seed of the spreading (a seed gets weight 0), and it is
    # not in the group the unlabeled terms train on
    assert (trainer.data.soft_weight.numpy()[labeled_val] > 0).all()
    assert not np.isin(labeled_val, trainer.groups.unlabeled).any()
