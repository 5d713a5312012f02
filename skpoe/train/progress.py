"""What a fit shows while it runs, and what it concludes at the end.

:class:`Progress` draws a tqdm bar when tqdm is installed (``pip install
"skpoe[progress]"``) and the output is a terminal or a notebook, and plain
lines otherwise; :func:`still_falling` is the criterion of the
``ConvergenceWarning`` given when ``max_iter`` ends while the loss still
falls.
"""

from __future__ import annotations

import math
import sys
import time

__all__ = ["Progress", "format_terms", "still_falling", "tqdm_available"]

#: Share of a fit's progress that its last window of epochs may still bring
#: before the loss counts as "still falling" (see :func:`still_falling`);
#: chosen from the loss curves in ``benchmarks/results/convergence_warning.md``.
FALLING = 0.10

#: And the fall between the last two windows must exceed this share of the
#: loss's level, so that minibatch noise on a flat curve is not "progress".
LEVEL = 0.005


def _clock(seconds):
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _number(v):
    if abs(v) >= 1000 or v == int(v) and abs(v) >= 100:
        return f"{v:.1f}"
    return f"{v:.4g}" if abs(v) < 1 else f"{v:.2f}"


#: How the progress line names the accuracies of ``history_``.
_SHOWN_AS = {"accuracy": "train_acc(labeled)", "val_accuracy": "val_acc"}


def format_terms(record):
    """``loss 123.45  rec[top] 60.12 ...``: one epoch's values, in history order.

    Of the validation rows' values only ``val_loss`` and ``val_accuracy``
    are shown. The accuracies are named for the rows they are measured on:
    ``train_acc(labeled)`` is the label accuracy on the labeled training
    rows (decoded at the posterior mean of all their views, so it reaches
    1.000 early on small data and says little about new rows), ``val_acc``
    that on the labeled rows that ``early_stopping`` holds out.
    """
    parts = []
    for key, value in record.items():
        if key.startswith("val_") and key not in ("val_loss", "val_accuracy"):
            continue  # the validation rows' terms stay in history_ only
        if key in _SHOWN_AS:
            parts.append(f"{_SHOWN_AS[key]} {value:.3f}")
        else:
            parts.append(f"{key} {_number(value)}")
    return "  ".join(parts)


def tqdm_available(stream):
    """Whether a tqdm bar suits ``stream``: tqdm is installed and the output
    is a terminal or a Jupyter kernel (a log file gets plain lines)."""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    if "ipykernel" in sys.modules:
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """Progress of one fit: an epoch counter, elapsed and remaining time, terms.

    Parameters
    ----------
    verbose : int
        0 shows nothing; 1 a tqdm bar (or, without tqdm or a terminal, about
        ten lines per fit); 2 and more a line per epoch.
    max_iter : int
        Epochs this fit runs at most.
    done : int, default=0
        Epochs of this fit already run (a resumed fit).
    offset : int, default=0
        Epochs of earlier fits (a warm start), added to the shown epoch.
    name : str, default="fit"
    stream : file, default=None
        Where lines go (``sys.stdout`` when ``None``).
    bar : bool or None, default=None
        Force the tqdm bar on or off (``None``: :func:`tqdm_available`).
    """

    def __init__(self, verbose, max_iter, done=0, offset=0, name="fit", stream=None, bar=None):
        self.verbose = int(verbose)
        self.max_iter = max_iter
        self.done0 = done
        self.offset = offset
        self.stream = stream if stream is not None else sys.stdout
        self.every = 1 if self.verbose > 1 else max(1, max_iter // 10)
        self.start = time.perf_counter()
        self.bar = None
        if bar is None:
            bar = self.verbose == 1 and tqdm_available(sys.stderr)
        if self.verbose and bar:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=max_iter,
                initial=done,
                desc=name,
                unit="epoch",
                dynamic_ncols=True,
                leave=True,
            )

    def message(self, text):
        """A line of its own (kept above the bar)."""
        if not self.verbose:
            return
        if self.bar is not None:
            self.bar.write(text)
        else:
            print(text, file=self.stream, flush=True)

    def timing(self, done):
        """Elapsed and estimated remaining seconds after ``done`` epochs of this fit."""
        elapsed = time.perf_counter() - self.start
        ran = done - self.done0
        left = elapsed / ran * (self.max_iter - done) if ran > 0 else math.nan
        return elapsed, left

    def update(self, done, record, last=False):
        """Report epoch ``done`` (of this fit) with its history ``record``."""
        if not self.verbose:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(format_terms(record), refresh=False)
            self.bar.update(done - self.bar.n)
            return
        if done % self.every and not last:
            return
        elapsed, left = self.timing(done)
        width = len(str(self.offset + self.max_iter))
        line = (
            f"epoch {self.offset + done:>{width}}/{self.offset + self.max_iter}  "
            f"{format_terms(record)}  [{_clock(elapsed)} elapsed"
        )
        line += "]" if last or math.isnan(left) else f", {_clock(left)} left]"
        print(line, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def still_falling(curve, rel=FALLING):
    """Whether a loss curve was still falling at its end.

    With windows of ``w = max(2, len(curve) // 10)`` epochs, the fall of the
    mean loss between the last two windows is compared with the fall from
    the first window to the last, the progress the whole fit made: the curve
    is still falling when its last window brought more than ``rel`` (10%) of
    that progress. A straight line gives ``w / (len(curve) - w)`` (11% for 50
    epochs), a curve that has flattened out much less. The level of the loss
    is not used: a VAE's loss holds a large constant (the data's own
    entropy) and can be negative for Gaussian views; the fall must only
    exceed ``LEVEL`` (0.5%) of it, so that noise on a flat curve does not
    count as progress. Averaging over windows
    keeps minibatch noise from deciding. Curves shorter than ``2 w`` epochs
    (4) are not judged.

    On the project's data sets the default fits (50 epochs) end at 0.5-6.2%
    and fits of 5 epochs at 36-67% (``benchmarks/results/convergence_warning.md``).

    Returns
    -------
    drop : float or None
        The share of the progress made by the last window when the curve is
        still falling, else ``None``.
    """
    w = max(2, len(curve) // 10)
    if len(curve) < 2 * w:
        return None
    first = sum(curve[:w]) / w
    recent = sum(curve[-w:]) / w
    before = sum(curve[-2 * w : -w]) / w
    if not all(math.isfinite(v) for v in (first, recent, before)):
        return None
    total = first - recent
    if total <= 0:
        return None
    share = (before - recent) / total
    if before - recent <= LEVEL * max(abs(before), abs(recent)):
        return None
    return share if share > rel else None
