"""torch's process-wide generators: their states, seeding them for a fit, and a fit's seed."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = [
    "GLOBAL_RNG_LOCK",
    "fit_seed",
    "global_rng_state",
    "rng_state",
    "seeded_torch",
    "set_global_rng_state",
    "start_state",
]


def rng_state(device):
    """The state of torch's global generator on ``device`` (CPU or CUDA).

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"`` or a CUDA device.

    Returns
    -------
    state : torch.Tensor
        The generator's state (a ``uint8`` tensor), as ``torch.get_rng_state`` or
        ``torch.cuda.get_rng_state(device)``.

    See Also
    --------
    global_rng_state : The CPU state, and the CUDA one for a CUDA device.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import rng_state
    >>> torch.equal(rng_state("cpu"), torch.get_rng_state())
    True
    """
    device = torch.device(device)
    return torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.get_rng_state()


def global_rng_state(device):
    """torch's global generator states: ``cpu``, and ``cuda`` for a CUDA device.

    Parameters
    ----------
    device : str or torch.device
        The device of the fit.

    Returns
    -------
    state : dict of str to torch.Tensor
        ``{"cpu": ...}``, with ``"cuda"`` (the state of ``device``) for a CUDA device.

    See Also
    --------
    set_global_rng_state : Sets the generators back to such a state.
    rng_state : The state of one device's generator.

    Examples
    --------
    >>> from skpoe.noise import global_rng_state
    >>> sorted(global_rng_state("cpu"))
    ['cpu']
    """
    device = torch.device(device)
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_global_rng_state(state, device):
    """Inverse of :func:`global_rng_state`: set torch's global generators to ``state``.

    Parameters
    ----------
    state : dict of str to torch.Tensor
        ``cpu`` and, optionally, ``cuda`` states (as :func:`global_rng_state` gives).
    device : str or torch.device
        The device of the fit; the ``cuda`` state is set only for a CUDA device.

    See Also
    --------
    global_rng_state : The states this function sets.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import global_rng_state, set_global_rng_state
    >>> state = global_rng_state("cpu")
    >>> first = torch.rand(2)
    >>> set_global_rng_state(state, "cpu")
    >>> torch.equal(torch.rand(2), first)
    True
    """
    device = torch.device(device)
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)


#: Held while a thread seeds or sets torch's process-wide generators (a re-entrant lock, taken
#: by :func:`seeded_torch` and :func:`training_stream`); hold it around any other code that
#: seeds them while fits may run in other threads.
GLOBAL_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded_torch(seed, device, state=None):
    """Seed torch's global generators (CPU and ``device``) inside the block,
    or set them to ``state`` (from :func:`global_rng_state`), and restore the
    caller's generator states after it.

    The generators are process-wide: one thread at a time runs such a block
    (keep it short: build the networks in it, then train inside
    :func:`training_stream`).

    Parameters
    ----------
    seed : int
        Seed of the generators (``torch.manual_seed``).
    device : torch.device
        The fit's device; a CUDA device's generator is seeded and restored too.
    state : dict, default=None
        Generator states to set after seeding, as :func:`global_rng_state` gives.

    See Also
    --------
    start_state : The state a fit's training starts from, taken in this block.
    GLOBAL_RNG_LOCK : The lock held during the block.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import seeded_torch
    >>> with seeded_torch(0, torch.device("cpu")):
    ...     first = torch.rand(2)
    >>> with seeded_torch(0, torch.device("cpu")):
    ...     torch.equal(torch.rand(2), first)
    True
    """
    fork_devices = [device] if device.type == "cuda" else []
    with GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=fork_devices, device_type=device.type):
        torch.manual_seed(seed)
        if state is not None:
            set_global_rng_state(state, device)
        yield


def start_state(seed, device):
    """The random state a fit's training starts from (the generator states
    of :func:`training_stream`).

    Called right after the networks are built from ``seed`` on torch's
    global generators: the rows' draws continue the global stream of
    ``device`` (the draws a fit made before private generators existed), and
    the global generators, which only randomness inside user-supplied
    networks (dropout) draws from during training, restart from a seed
    derived from ``seed``, so that their draws are not those of the rows.
    Sets the global generators: call it where they are restored afterwards
    (:func:`seeded_torch`).

    Parameters
    ----------
    seed : int
        The fit's seed (:func:`fit_seed`).
    device : str or torch.device
        The fit's device.

    Returns
    -------
    state : dict of str to torch.Tensor
        ``rows``, the state of the rows' generator, and the global states of
        :func:`global_rng_state` after the reseeding.

    See Also
    --------
    training_stream : Trains from this state.
    seeded_torch : The block to call it in.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import seeded_torch, start_state
    >>> device = torch.device("cpu")
    >>> with seeded_torch(0, device):
    ...     state = start_state(0, device)
    >>> sorted(state)
    ['cpu', 'rows']
    """
    rows = rng_state(device)
    derived = np.random.SeedSequence([int(seed), 1]).generate_state(1, np.uint64)[0]
    torch.manual_seed(int(derived))
    return {"rows": rows, **global_rng_state(device)}


def fit_seed(random_state, n_iter=None):
    """Seed of one fit (weights, minibatches and later inference draws).

    Drawn from ``random_state`` (fresh entropy for ``None``). ``n_iter``
    offsets it, for a warm start of a model that kept no training state.

    Parameters
    ----------
    random_state : int, numpy.random.RandomState or None
        The estimator's ``random_state``; a ``RandomState`` is advanced by one draw.
    n_iter : int, default=None
        Epochs the model already ran, added to the seed (modulo ``2**31 - 1``).

    Returns
    -------
    seed : int
        A seed in ``[0, 2**31 - 1]``.

    See Also
    --------
    seeded_torch : Seeds torch's generators with it.
    skpoe.distributed.shared_seed : Rank 0's seed on every process.

    Examples
    --------
    >>> from skpoe.noise import fit_seed
    >>> fit_seed(0)
    209652396
    >>> fit_seed(0, n_iter=5) - fit_seed(0)
    5
    """
    if random_state is not None:
        seed = check_random_state(random_state).randint(2**31 - 1)
    else:
        seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    if n_iter is not None:
        seed = (seed + n_iter) % (2**31 - 1)
    return seed
