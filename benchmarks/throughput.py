"""Fit throughput of skpoe's MultimodalPoEVAE next to a hand-written torch loop.

Both sides train THE SAME networks on THE SAME objective with the same batch
composition, optimiser and number of steps per epoch:

* one MLP encoder per modality with ``M * 2 * D`` outputs (M Gaussian heads:
  mean and ``softplus + 1e-4`` variance), one MLP decoder per modality;
* posterior of an observed set S = prior x one expert per slot (own expert if
  the slot's modality is observed, else the mean-precision geometric mean of
  the observed modalities' substitutes);
* paired groups: reconstruction of the observed modalities under q(z|S),
  ``beta * KL(q(z|S) || q(z|S minus {m}))`` per observed m and, with M > 2, on
  rows with more than two observed views also ``beta * KL(q(z|S) || q(z|{m}))``;
  per-modality groups: the single-modality ELBO;
* the label's encoder and decoder have no hidden layer (skpoe's default);
  skpoe runs with ``view_supervision=0``, ``pseudo_label_weight=0`` and
  ``agreement_weight=0``, the paper's objective;
* per step: one minibatch of the labeled paired rows, one of the unlabeled
  paired rows (skpoe splits the paired rows by label presence) and one per
  modality, each of ``batch_size`` rows (fewer if the group is smaller),
  cycled; ``ceil(n / batch_size)`` steps per epoch; Adam.

The hand-written loop is plain PyTorch written from the method description
(it imports nothing from skpoe). Knowing the batch groups, it encodes only
the modalities a group observes and computes all posteriors of a group with
one contraction. Before timing, the script copies skpoe's weights into it and
checks that one step gives the same loss and gradients (z at the posterior
mean).

Throughput = training rows * epochs / seconds of the whole fit (skpoe's
``fit`` includes its input validation and set-up; the hand-written side
includes building its networks and optimiser). Runs alternate (skpoe,
hand-written, skpoe, ...) after an untimed warm-up fit of each; the best and
the median of the repeats are reported. A second configuration (digits
upsampled to 784 pixels, wider networks, larger batches) shows the effect of
size. A probe then fits skpoe longer with ``torch.set_flush_denormal`` off and
on and counts subnormal floats in the weights and Adam state.

Usage::

    python benchmarks/throughput.py            # ~2-3 min on 2 cores
    python benchmarks/throughput.py --quick    # ~30 s
    python benchmarks/throughput.py --epochs 20 --batch-size 128 --threads 2

The tables are printed and written to ``benchmarks/results/throughput.md``.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from skpoe import MultimodalPoEVAE  # noqa: E402
from skpoe.models.base import Batch  # noqa: E402  (equivalence check only)
from skpoe.train._trainer import Trainer  # noqa: E402  (its compile_optimizer switch)

VAR_FLOOR = 1e-4


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
@dataclass
class Config:
    name: str
    top: np.ndarray  # (n, d0) in [0, 1]
    bottom: np.ndarray  # (n, d1) in [0, 1]
    y: np.ndarray  # (n,) int, -1 = unlabeled
    hidden: tuple
    n_latent: int
    batch_size: int
    epochs: int

    @property
    def n(self):
        return self.top.shape[0]

    @property
    def dims(self):
        return f"{self.top.shape[1]}+{self.bottom.shape[1]}+10"


def digits_halves(label_every=10):
    images, labels = load_digits(return_X_y=True)
    y = np.where(np.arange(len(labels)) % label_every == 0, labels, -1)
    return images[:, :32] / 16.0, images[:, 32:] / 16.0, y


def digits_28x28(copies=2, label_every=10, seed=0):
    """Digits upsampled to 28 x 28 (bilinear), halves of 392 pixels each.

    ``copies`` jittered copies (one-pixel shifts) enlarge the data set.
    """
    from scipy.ndimage import shift, zoom

    images, labels = load_digits(return_X_y=True)
    big = zoom(images.reshape(-1, 8, 8) / 16.0, (1, 3.5, 3.5), order=1).clip(0.0, 1.0)
    rng = np.random.RandomState(seed)
    parts = [big]
    for _ in range(copies - 1):
        dy, dx = rng.randint(-1, 2, size=2)
        parts.append(shift(big, (0, dy, dx), order=0))
    big = np.concatenate(parts).reshape(-1, 784)
    labels = np.tile(labels, copies)
    y = np.where(np.arange(len(labels)) % label_every == 0, labels, -1)
    return big[:, :392], big[:, 392:], y


# ---------------------------------------------------------------------------
# the hand-written loop (plain PyTorch, nothing from skpoe)
# ---------------------------------------------------------------------------
def mlp(n_in, hidden, n_out):
    layers, prev = [], n_in
    for h in hidden:
        layers += [nn.Linear(prev, h), nn.ReLU()]
        prev = h
    return nn.Sequential(*layers, nn.Linear(prev, n_out))


class HandPoE(nn.Module):
    """Modalities 0, 1: Bernoulli pixels; modality 2: the label (categorical)."""

    M = 3

    def __init__(self, d_top, d_bottom, n_classes, hidden, n_latent, label_weight, beta=1.0):
        super().__init__()
        M, D = self.M, n_latent
        self.D = D
        self.dims = [d_top, d_bottom, n_classes]
        # the label's networks have no hidden layer (skpoe's default for labels)
        hiddens = [tuple(hidden), tuple(hidden), ()]
        self.enc = nn.ModuleList(mlp(d, h, M * 2 * D) for d, h in zip(self.dims, hiddens))
        self.dec = nn.ModuleList(mlp(D, h[::-1], d) for d, h in zip(self.dims, hiddens))
        self.w = [1.0, 1.0, float(label_weight)]
        self.beta = float(beta)
        # posterior weights: W[t, i, k] = weight of observed modality i's head for
        # slot k in subset t (own head 1; substitutes averaged over the subset)
        self.plans = {}
        for S in ((0, 1, 2), (0, 1)):
            subsets = [S] + [tuple(j for j in S if j != m) for m in S]
            if len(S) > 2:
                subsets += [(m,) for m in S]
            W = torch.zeros(len(subsets), len(S), M)
            for t, T in enumerate(subsets):
                for i, m in enumerate(S):
                    if m not in T:
                        continue
                    for k in range(M):
                        W[t, i, k] = (1.0 if k == m else 0.0) if k in T else 1.0 / len(T)
            self.plans[S] = W

    def experts(self, m, x):
        """(n, M, 2, D): precision and precision-weighted mean of m's M heads."""
        out = self.enc[m](x).view(x.shape[0], self.M, 2, self.D)
        prec = 1.0 / (F.softplus(out[:, :, 1]) + VAR_FLOOR)
        return torch.stack((prec, out[:, :, 0] * prec), 2)

    @staticmethod
    def gaussian(nat):
        prec = 1.0 + nat[..., 0, :]
        return nat[..., 1, :] / prec, prec

    def nll(self, m, z, t):
        out = self.dec[m](z)
        if m == 2:
            return self.w[2] * F.cross_entropy(out, t, reduction="none")
        return F.binary_cross_entropy_with_logits(out, t, reduction="none").sum(-1)

    @staticmethod
    def kl(mu_q, prec_q, mu_p, prec_p):
        """KL(N(mu_q, 1/prec_q) || N(mu_p, 1/prec_p)) summed over the last dim."""
        r = prec_p / prec_q
        return 0.5 * (r - torch.log(r) + (mu_q - mu_p) ** 2 * prec_p - 1.0).sum(-1)

    def paired_loss(self, S, xs, ts, sample=True):
        E = torch.stack([self.experts(m, xs[m]) for m in S], 1)  # (n, |S|, M, 2, D)
        nat = torch.einsum("nimcd,tim->ntcd", E, self.plans[S])
        mu, prec = self.gaussian(nat)  # (n, T, D)
        q_mu, q_prec = mu[:, 0], prec[:, 0]
        z = q_mu + torch.randn_like(q_mu) * q_prec.rsqrt() if sample else q_mu
        loss = sum(self.nll(m, z, ts[m]) for m in S)
        kl = self.kl(q_mu[:, None], q_prec[:, None], mu[:, 1:], prec[:, 1:]).sum(1)
        return (loss + self.beta * kl).mean()

    def single_loss(self, m, x, t, sample=True):
        mu, prec = self.gaussian(self.experts(m, x).sum(1))
        z = mu + torch.randn_like(mu) * prec.rsqrt() if sample else mu
        kl = 0.5 * ((1.0 / prec) + mu * mu - 1.0 + torch.log(prec)).sum(-1)
        return (self.nll(m, z, t) + self.beta * kl).mean()


def cycled(rows, n_steps, size, rng):
    need = n_steps * size
    order = np.concatenate([rng.permutation(rows) for _ in range(math.ceil(need / len(rows)))])
    return torch.from_numpy(order[:need].reshape(n_steps, size))


def hand_tensors(cfg):
    """Per-modality inputs/targets and the row groups of the batch composition."""
    lab = cfg.y >= 0
    onehot = np.zeros((cfg.n, 10), np.float32)
    onehot[lab, cfg.y[lab]] = 1.0
    x = [
        torch.tensor(cfg.top, dtype=torch.float32),
        torch.tensor(cfg.bottom, dtype=torch.float32),
        torch.from_numpy(onehot),
    ]
    t = [x[0], x[1], torch.from_numpy(np.where(lab, cfg.y, 0).astype(np.int64))]
    rows = np.arange(cfg.n)
    groups = {
        "paired": [((0, 1, 2), rows[lab]), ((0, 1), rows[~lab])],
        "single": [(0, rows), (1, rows), (2, rows[lab])],
    }
    return x, t, groups


def hand_fit(cfg, epochs, batch_size, lr=1e-3, seed=0, label_weight=50.0):
    """Train the hand-written model; returns the mean loss of each epoch."""
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    x, t, groups = hand_tensors(cfg)
    model = HandPoE(
        cfg.top.shape[1], cfg.bottom.shape[1], 10, cfg.hidden, cfg.n_latent, label_weight
    )
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n_steps = math.ceil(cfg.n / batch_size)
    losses = []
    for _ in range(epochs):
        paired = [
            (S, cycled(r, n_steps, min(batch_size, len(r)), rng)) for S, r in groups["paired"]
        ]
        single = [
            (m, cycled(r, n_steps, min(batch_size, len(r)), rng)) for m, r in groups["single"]
        ]
        running = torch.zeros(())
        for step in range(n_steps):
            loss = 0.0
            for S, idx in paired:
                i = idx[step]
                loss = loss + model.paired_loss(S, {m: x[m][i] for m in S}, {m: t[m][i] for m in S})
            for m, idx in single:
                i = idx[step]
                loss = loss + model.single_loss(m, x[m][i], t[m][i])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.detach()
        losses.append(float(running) / n_steps)
    return losses


# ---------------------------------------------------------------------------
# skpoe side
# ---------------------------------------------------------------------------
def skpoe_estimator(cfg, epochs, batch_size, seed=0):
    return MultimodalPoEVAE(
        n_components=cfg.n_latent,
        hidden_layer_sizes=cfg.hidden,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=10**9,  # never stop early: run exactly `epochs` epochs
        # the paper's objective, as the hand-written loop: no view-label terms, and none of the
        # unlabeled rows' label terms (no neighbourhood graph to build, no extra label passes)
        view_supervision=0.0,
        pseudo_label_weight=0.0,
        agreement_weight=0.0,
        random_state=seed,
        device="cpu",
    )


class CompileTime:
    """Callback keeping the fit's tracing and compiling time (``trainer.compile_seconds``)."""

    seconds = 0.0

    def on_fit_end(self, estimator, trainer):
        self.seconds = trainer.compile_seconds


def skpoe_fit(cfg, epochs, batch_size, seed=0, compile=False, compile_optimizer=False):
    """The fitted estimator; ``est.compile_seconds`` holds its compile time."""
    X = {"top": cfg.top, "bottom": cfg.bottom}
    timer = CompileTime()
    est = skpoe_estimator(cfg, epochs, batch_size, seed)
    est.set_params(compile=compile, callbacks=[timer])
    Trainer.compile_optimizer = compile_optimizer
    try:
        est.fit(X, cfg.y)
    finally:
        Trainer.compile_optimizer = False
    assert est.n_iter_ == epochs, est.n_iter_
    est.compile_seconds = timer.seconds
    return est


# ---------------------------------------------------------------------------
# equivalence check: same weights, same batch, z at the posterior mean
# ---------------------------------------------------------------------------
def equivalence_check(cfg, batch_size):
    est = skpoe_fit(cfg, 1, batch_size, seed=1)
    sk = est.module_
    assert list(est.classes_) == list(range(10))
    hand = HandPoE(
        cfg.top.shape[1],
        cfg.bottom.shape[1],
        10,
        cfg.hidden,
        cfg.n_latent,
        est.supervision_weight,
        est.beta,
    )
    pairs = []
    with torch.no_grad():
        for mine, theirs in zip(
            list(hand.enc) + list(hand.dec), list(sk.encoders) + list(sk.decoders)
        ):
            lin_a = [l for l in mine if isinstance(l, nn.Linear)]
            lin_b = [l for l in theirs.net if isinstance(l, nn.Linear)]
            assert len(lin_a) == len(lin_b)
            for a, b in zip(lin_a, lin_b):
                a.weight.copy_(b.weight)
                a.bias.copy_(b.bias)
                pairs += [(a.weight, b.weight), (a.bias, b.bias)]
    x, t, groups = hand_tensors(cfg)
    mask = np.stack([np.ones(cfg.n, bool), np.ones(cfg.n, bool), cfg.y >= 0], 1)
    mask_t = torch.from_numpy(mask)
    t_sk = [t[0], t[1], t[2][:, None]]
    rng = np.random.RandomState(3)
    picks = {}
    for S, r in groups["paired"]:
        picks[S] = torch.from_numpy(rng.choice(r, min(batch_size, len(r)), replace=False))
    for m, r in groups["single"]:
        picks[m] = torch.from_numpy(rng.choice(r, min(batch_size, len(r)), replace=False))

    paired = [
        Batch([xm[picks[S]] for xm in x], [tm[picks[S]] for tm in t_sk], mask_t[picks[S]])
        for S, _ in groups["paired"]
    ]
    singles = [(m, x[m][picks[m]], t_sk[m][picks[m]]) for m, _ in groups["single"]]
    sk.train()

    def skpoe_loss(sample):
        sk.zero_grad(set_to_none=True)
        loss = sk.loss(paired, singles, sample=sample).total
        loss.backward()
        return float(loss.detach())

    def hand_loss(sample):
        hand.zero_grad(set_to_none=True)
        loss = 0.0
        for S, _ in groups["paired"]:
            i = picks[S]
            loss = loss + hand.paired_loss(
                S, {m: x[m][i] for m in S}, {m: t[m][i] for m in S}, sample
            )
        for m, _ in groups["single"]:
            i = picks[m]
            loss = loss + hand.single_loss(m, x[m][i], t[m][i], sample)
        loss.backward()
        return float(loss.detach())

    # z at the posterior mean; then sampled z with the same seed (both draw the
    # noise in the same order: paired groups, then modalities)
    a, b = skpoe_loss(False), hand_loss(False)
    grad_diff = max(float((a_.grad - b_.grad).abs().max()) for a_, b_ in pairs)
    grad_scale = max(float(b_.grad.abs().max()) for _, b_ in pairs)
    with torch.random.fork_rng():
        torch.manual_seed(5)
        a_s = skpoe_loss(True)
        torch.manual_seed(5)
        b_s = hand_loss(True)
    rel_s = abs(a_s - b_s) / abs(a_s)
    return {
        "skpoe": a,
        "hand": b,
        "rel": abs(a - b) / abs(a),
        "grad_max_abs_diff": grad_diff,
        "grad_max_abs": grad_scale,
        "skpoe_sampled": a_s,
        "hand_sampled": b_s,
        "rel_sampled": rel_s,
        "ok": abs(a - b) / abs(a) < 1e-5 and grad_diff <= 1e-4 * grad_scale and rel_s < 1e-5,
    }


# ---------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------
def timed(fn):
    """Wall and process CPU seconds of ``fn()``, and its result."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def measure(cfg, reps, warmup_epochs=1):
    """Alternating timed fits; per-pair ratios are robust to slow drifts in load."""
    bs, ep = cfg.batch_size, cfg.epochs
    skpoe_fit(cfg, warmup_epochs, bs)  # warm-up: lazy imports, allocator, kernels
    hand_fit(cfg, warmup_epochs, bs)
    sk, hand = [], []
    for _ in range(reps):
        sk.append(timed(lambda: skpoe_fit(cfg, ep, bs)))
        hand.append(timed(lambda: hand_fit(cfg, ep, bs)))
    rows = cfg.n * ep
    w_sk, w_hand = [r[0] for r in sk], [r[0] for r in hand]
    c_sk, c_hand = [r[1] for r in sk], [r[1] for r in hand]
    return {
        "sk_best": rows / min(w_sk),
        "hand_best": rows / min(w_hand),
        "sk_med": rows / statistics.median(w_sk),
        "hand_med": rows / statistics.median(w_hand),
        "ratio_best": min(w_hand) / min(w_sk),
        "ratio_pairs": statistics.median(h / s for h, s in zip(w_hand, w_sk)),
        "ratio_cpu": min(c_hand) / min(c_sk),
        "t_sk": w_sk,
        "t_hand": w_hand,
        "loss_sk": sk[-1][2].loss_curve_[-1],
        "loss_hand": hand[-1][2][-1],
    }


COMPILED_SIDES = {
    "eager": {},
    "compile": {"compile": True},
    "compile + compiled Adam": {"compile": True, "compile_optimizer": True},
}


def step_flops(cfg):
    """FLOPs of the matrix products of one skpoe training step (forward and backward)."""
    from torch.utils.flop_counter import FlopCounterMode

    from skpoe.estimators._fit import prepare_fit
    from skpoe.noise import training_stream
    from skpoe.train.batches import step_loss

    est = skpoe_estimator(cfg, 1, cfg.batch_size)
    new, trainer = prepare_fit(est, {"top": cfg.top, "bottom": cfg.bottom}, cfg.y, False)
    module = new.module_.train()
    _, paired, singles = trainer.epoch_batches()
    paired_idx = [idx[0] for idx in paired]
    singles_idx = [(m, idx[0]) for m, idx in singles]
    with training_stream(trainer.torch_state, "cpu"), FlopCounterMode(display=False) as c:
        step_loss(module, trainer.data, trainer.groups, paired_idx, singles_idx).total.backward()
    return c.get_total_flops()


def layer_rate(rows, width, repeats=5, calls=20):
    """FLOP/s of the layer-shaped product (rows, width) @ (width, width), best of repeats."""
    a, w = torch.randn(rows, width), torch.randn(width, width)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            a @ w
        best = min(best, (time.perf_counter() - t0) / calls)
    return 2 * rows * width * width / best


def measure_compiled(cfg, reps):
    """Alternating timed fits of skpoe eager, ``compile=True`` (eager and
    compiled Adam update) and the hand-written loop. A compiled fit's time
    leaves out its tracing and compiling (reported apart); the first compiled
    fit of the process compiles from scratch, later ones reuse inductor's
    caches."""
    bs, ep = cfg.batch_size, cfg.epochs
    first = {}
    for name, kw in COMPILED_SIDES.items():  # warm-up, and the cold compile time
        first[name] = skpoe_fit(cfg, 1, bs, **kw).compile_seconds
    hand_fit(cfg, 1, bs)
    times = {name: [] for name in [*COMPILED_SIDES, "hand"]}
    compile_s = {name: [] for name in COMPILED_SIDES}
    losses = {}
    for _ in range(reps):
        for name, kw in COMPILED_SIDES.items():
            wall, _, est = timed(lambda kw=kw: skpoe_fit(cfg, ep, bs, **kw))
            times[name].append(wall - est.compile_seconds)
            compile_s[name].append(est.compile_seconds)
            losses[name] = est.loss_curve_[-1]
        wall, _, hand_losses = timed(lambda: hand_fit(cfg, ep, bs))
        times["hand"].append(wall)
        losses["hand"] = hand_losses[-1]
    rows = cfg.n * ep
    flops = step_flops(cfg) * math.ceil(cfg.n / bs) * ep  # the fit's training steps
    rate = layer_rate(bs, cfg.hidden[0])
    return {
        "share": {k: flops / min(v) / rate for k, v in times.items() if k != "hand"},
        "rate": rate,
        "best": {k: rows / min(v) for k, v in times.items()},
        "ratio_pairs": {
            k: statistics.median(h / s for h, s in zip(times["hand"], times[k]))
            for k in COMPILED_SIDES
        },
        "compile_first": first,
        "compile_later": {k: statistics.median(v) for k, v in compile_s.items()},
        "loss": losses,
        "times": times,
    }


def emit_compiled(emit, results, reps):
    emit("## Whole-step compile (`compile=True`) next to the eager step and the hand-written loop")
    emit()
    emit(
        f"Throughput in training samples/s, best of {reps} alternating runs; ratio to the "
        f"hand-written loop = median of the {reps} ratios of adjacent runs. A compiled fit's "
        "time leaves out its tracing and compiling (which includes one run of each graph), "
        "given apart: the first compiled fit of the process (cold caches) and the median "
        "of the later fits (inductor's caches warm). `compile + compiled Adam` also compiles "
        "the optimiser update (`torch.compile(optimizer.step)`); `compile` keeps the eager "
        "fused Adam."
    )
    emit()
    sides = list(COMPILED_SIDES)
    emit(
        "| data | batch | steps/epoch | epochs | hand-written | "
        + " | ".join(f"skpoe {s}" for s in sides)
        + " | "
        + " | ".join(f"{s} / hand" for s in sides)
        + " | compile s, first fit | compile s, later fits | "
        + " | ".join(f"{s}: share of layer rate" for s in sides)
        + " |"
    )
    emit("|---" * (6 + 3 * len(sides)) + "|---|")
    for cfg, r in results:
        steps = math.ceil(cfg.n / cfg.batch_size)
        compiled = [s for s in sides if s != "eager"]
        emit(
            f"| {cfg.name} | {cfg.batch_size} | {steps} | {cfg.epochs} | "
            f"{r['best']['hand']:,.0f} | "
            + " | ".join(f"{r['best'][s]:,.0f}" for s in sides)
            + " | "
            + " | ".join(f"**{r['ratio_pairs'][s]:.2f}**" for s in sides)
            + " | "
            + " / ".join(f"{r['compile_first'][s]:.1f}" for s in compiled)
            + " | "
            + " / ".join(f"{r['compile_later'][s]:.1f}" for s in compiled)
            + " | "
            + " | ".join(f"{r['share'][s]:.0%}" for s in sides)
            + " |"
        )
    emit()
    emit(
        "Share of layer rate: FLOPs of the matrix products of the fit's training steps "
        "(counted on one eager step, forward and backward, by FlopCounterMode) over the best "
        "fit time, against the rate of a layer-shaped product (batch, hidden) @ (hidden, "
        "hidden) measured in the same run ("
        + ", ".join(f"{cfg.name}: {r['rate'] / 1e9:.0f} GFLOP/s" for cfg, r in results)
        + "); the fit time includes the per-epoch evaluations, so this understates the "
        "step's own share."
    )
    emit()
    emit(
        "Compile seconds are given as `compile` / `compile + compiled Adam`. Mean training "
        "loss of the last epoch (last timed run): "
        + "; ".join(
            f"{cfg.name}: " + ", ".join(f"{k} {v:.2f}" for k, v in r["loss"].items())
            for cfg, r in results
        )
        + "."
    )
    emit()


def emit_eager(emit, configs, reps):
    """Time skpoe eager against the hand-written loop and emit the table."""
    results = []
    for cfg in configs:
        r = measure(cfg, reps)
        results.append((cfg, r))
        print(
            f"  [{cfg.name}: skpoe fits {', '.join(f'{s:.2f}' for s in r['t_sk'])} s; "
            f"hand-written {', '.join(f'{s:.2f}' for s in r['t_hand'])} s]",
            flush=True,
        )

    emit(
        f"Fit throughput in training samples/s = n x epochs / wall seconds of the whole fit; "
        f"best of {reps} alternating runs (median in parentheses). Ratio = skpoe / "
        f"hand-written: of the best runs; the median of the {reps} ratios of adjacent runs "
        "(headline: adjacent runs see the same load); of the best process CPU times "
        "(insensitive to other processes on the machine)."
    )
    emit()
    emit(
        "| data | n | views (dims) | hidden | latent | batch | steps/epoch | epochs | "
        "skpoe | hand-written | ratio (best) | ratio (median pair) | ratio (CPU time) |"
    )
    emit("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg, r in results:
        steps = math.ceil(cfg.n / cfg.batch_size)
        emit(
            f"| {cfg.name} | {cfg.n} | {cfg.dims} | {cfg.hidden} | {cfg.n_latent} | "
            f"{cfg.batch_size} | {steps} | {cfg.epochs} | {r['sk_best']:,.0f} "
            f"({r['sk_med']:,.0f}) | {r['hand_best']:,.0f} ({r['hand_med']:,.0f}) | "
            f"{r['ratio_best']:.2f} | **{r['ratio_pairs']:.2f}** | {r['ratio_cpu']:.2f} |"
        )
    emit()
    emit(
        "Mean training loss of the last epoch (last timed run; a sanity check that both "
        "train the same objective): "
        + "; ".join(
            f"{cfg.name}: skpoe {r['loss_sk']:.1f}, hand-written {r['loss_hand']:.1f}"
            for cfg, r in results
        )
        + "."
    )
    emit()
    emit(
        "Each step trains 5 minibatches (labeled paired, unlabeled paired, top, bottom, "
        "label), so about 5 n rows go through the networks per epoch. Timed runs are single-"
        "threaded by default: on a shared 2-core machine a second intra-op thread makes every "
        "parallel op wait for a core whenever another process runs (measured: single fits "
        "50-100x slower); pass `--threads 2` on an idle machine."
    )


def count_subnormal(tensors):
    tiny = torch.finfo(torch.float32).tiny
    n = total = 0
    for x in tensors:
        x = x.detach()
        n += int(((x != 0) & (x.abs() < tiny)).sum())
        total += x.numel()
    return n, total


def _adam_state(opt):
    return [v for st in opt.state.values() for k, v in st.items() if k != "step"]


def denormal_probe(cfg, epochs):
    """Do subnormal floats appear during a long skpoe fit, and do they cost time?

    * skpoe fits of ``epochs`` epochs with ``torch.set_flush_denormal`` off and
      on; a global optimiser step hook catches skpoe's Adam and timestamps every
      step (per-epoch times show any slowdown mid-training);
    * the Adam step alone on the state of the fit without flushing (which
      holds the subnormals), flush off vs on.
    """
    from torch.optim.optimizer import register_optimizer_step_post_hook

    bs = cfg.batch_size
    n_steps = math.ceil(cfg.n / bs)
    caught, stamps = [None], []

    def hook(opt, args, kwargs):
        caught[0] = opt
        stamps.append(time.thread_time())

    skpoe_fit(cfg, 1, bs)  # warm-up
    handle = register_optimizer_step_post_hook(hook)
    res = {}
    try:
        for mode in ("off", "on"):
            torch.set_flush_denormal(mode == "on")
            stamps.clear()
            try:
                total, cpu, est = timed(lambda: skpoe_fit(cfg, epochs, bs))
            finally:
                torch.set_flush_denormal(False)
            step = np.diff(np.array(stamps[n_steps - 1 :]))  # steps of epochs 2..E
            k = max(1, len(step) // 5)
            res[mode] = {
                "total": total,
                "cpu": cpu,
                "early": float(np.median(step[:k])),
                "late": float(np.median(step[-k:])),
                "k": k,
            }
            if mode == "off":
                opt = caught[0]
                res["sub_adam"] = count_subnormal(_adam_state(opt))
                res["sub_w"] = count_subnormal(est.module_.parameters())
                saved_opt = copy.deepcopy(opt.state_dict())
                params = [p for g in opt.param_groups for p in g["params"]]
                saved_w = [p.detach().clone() for p in params]
    finally:
        handle.remove()
    # the optimiser step alone, on the state with its subnormals (same last grads)
    step_t = {"off": [], "on": []}
    for _ in range(3):
        for mode in ("off", "on"):
            opt.load_state_dict(copy.deepcopy(saved_opt))
            with torch.no_grad():
                for p, w in zip(params, saved_w):
                    p.copy_(w)
            torch.set_flush_denormal(mode == "on")
            try:
                t0 = time.thread_time()
                for _ in range(50):
                    opt.step()
                step_t[mode].append((time.thread_time() - t0) / 50)
            finally:
                torch.set_flush_denormal(False)
    res["step_off"] = min(step_t["off"])
    res["step_on"] = min(step_t["on"])
    return res


# ---------------------------------------------------------------------------
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="~30 s: fewer epochs and repeats, no denormal probe"
    )
    p.add_argument(
        "--epochs", type=int, default=None, help="epochs per timed fit, digits (default 6; quick 2)"
    )
    p.add_argument(
        "--large-epochs",
        type=int,
        default=None,
        help="epochs per timed fit, 784-d config (default 1)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="batch size, digits (default 64, skpoe's default)",
    )
    p.add_argument(
        "--large-batch-size", type=int, default=256, help="batch size, 784-d config (default 256)"
    )
    p.add_argument(
        "--reps",
        type=int,
        default=None,
        help="alternating timed repeats per side (default 5; quick 3)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads (default 1: see the note in the output)",
    )
    p.add_argument("--no-large", action="store_true", help="skip the 784-d configuration")
    p.add_argument(
        "--compile",
        action="store_true",
        help="time skpoe eager, compile=True (eager and compiled Adam) and the hand-written "
        "loop side by side, instead of the eager table",
    )
    p.add_argument(
        "--denormal-epochs",
        type=int,
        default=None,
        help="epochs of the flush-denormal probe on digits (default 50; 0 skips)",
    )
    p.add_argument(
        "--output",
        default=str(HERE / "results" / "throughput.md"),
        help="markdown file for the tables",
    )
    args = p.parse_args(argv)

    start = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(False)
    quick = args.quick
    reps = args.reps or (3 if quick else 5)
    ep = args.epochs or (2 if quick else 6)
    ep_large = args.large_epochs or 1
    ep_den = args.denormal_epochs if args.denormal_epochs is not None else (0 if quick else 50)
    if args.compile:
        ep_den = 0  # the probe times the eager step

    top, bottom, y = digits_halves()
    configs = [
        Config("digits 8x8, top/bottom halves", top, bottom, y, (128, 128), 16, args.batch_size, ep)
    ]
    if not args.no_large:
        top, bottom, y = digits_28x28()
        configs.append(
            Config(
                "digits upsampled to 28x28, x2 (shifted copy)",
                top,
                bottom,
                y,
                (512, 512),
                64,
                args.large_batch_size,
                ep_large,
            )
        )

    out = []

    def emit(line=""):
        print(line, flush=True)
        out.append(line)

    argv_s = " ".join(sys.argv[1:] if argv is None else argv)
    emit("# Fit throughput: skpoe `MultimodalPoEVAE.fit` vs a hand-written torch loop")
    emit()
    emit(f"- command: `python benchmarks/throughput.py{' ' + argv_s if argv_s else ''}`")
    emit(
        f"- torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), "
        f"{platform.machine()}, {os.cpu_count()} CPUs visible, "
        f"`torch.set_num_threads({args.threads})`, flush_denormal off, load average at start "
        f"{os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    emit(
        "- 10% of rows labeled (every 10th); labels are a third modality (categorical, weight "
        "50 = skpoe's default `supervision_weight`); beta 1, Adam lr 1e-3"
    )
    for cfg in configs:
        chk = equivalence_check(cfg, cfg.batch_size)
        emit(
            f"- equivalence check, {cfg.name} (skpoe's weights after one epoch copied into "
            f"the hand-written networks, same 5 minibatches): z = posterior mean: loss skpoe "
            f"{chk['skpoe']:.6f}, hand-written {chk['hand']:.6f} (rel. diff {chk['rel']:.1e}), "
            f"max abs gradient difference {chk['grad_max_abs_diff']:.1e} (largest gradient "
            f"{chk['grad_max_abs']:.1e}); sampled z, same seed: {chk['skpoe_sampled']:.6f} vs "
            f"{chk['hand_sampled']:.6f} (rel. diff {chk['rel_sampled']:.1e}): "
            f"**{'PASS' if chk['ok'] else 'FAIL'}**"
        )
    emit()

    if args.compile:
        compiled = [(cfg, measure_compiled(cfg, reps)) for cfg in configs]
        for cfg, r in compiled:
            print(f"  [{cfg.name}: {r['times']}]", flush=True)
        emit_compiled(emit, compiled, reps)
    else:
        emit_eager(emit, configs, reps)

    if ep_den > 0:
        cfg = configs[0]
        d = denormal_probe(cfg, ep_den)
        off, on = d["off"], d["on"]
        k = off["k"]
        emit()
        emit(
            f"## Denormal floats ({cfg.name}, skpoe fit of {ep_den} epochs = "
            f"{ep_den * math.ceil(cfg.n / cfg.batch_size)} steps)"
        )
        emit()
        emit("| | flush_denormal off | on | off / on |")
        emit("|---|---|---|---|")
        emit(
            f"| whole fit, wall s (one run each) | {off['total']:.2f} | {on['total']:.2f} | "
            f"{off['total'] / on['total']:.2f} |"
        )
        emit(
            f"| whole fit, CPU s | {off['cpu']:.2f} | {on['cpu']:.2f} | "
            f"{off['cpu'] / on['cpu']:.2f} |"
        )
        emit(
            f"| step CPU time, median of the first {k} steps after epoch 1, ms | "
            f"{off['early'] * 1e3:.2f} | {on['early'] * 1e3:.2f} | "
            f"{off['early'] / on['early']:.2f} |"
        )
        emit(
            f"| step CPU time, median of the last {k} steps, ms | {off['late'] * 1e3:.2f} | "
            f"{on['late'] * 1e3:.2f} | {off['late'] / on['late']:.2f} |"
        )
        emit(
            f"| Adam step alone on the final state (flush-off fit), CPU ms, best of 3 x 50 | "
            f"{d['step_off'] * 1e3:.3f} | {d['step_on'] * 1e3:.3f} | "
            f"{d['step_off'] / d['step_on']:.2f} |"
        )
        emit()
        emit(
            f"Subnormal values at the end of the flush-off fit: weights {d['sub_w'][0]} of "
            f"{d['sub_w'][1]:,}; Adam state {d['sub_adam'][0]:,} of {d['sub_adam'][1]:,} "
            "(first moments of weights whose gradient is exactly zero, e.g. into dead ReLU "
            "units, shrink by 0.9 per step into the subnormal range after ~800 steps). "
            "The first steps hold no subnormals yet, so their off/on ratio shows the noise "
            "level of these single runs."
        )
        emit()

    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    print(f"\nwritten to {path} ({time.perf_counter() - start:.0f} s in all)")


if __name__ == "__main__":
    main()
