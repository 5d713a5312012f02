"""The whole training step as one compiled tensor function.

``compile=True`` compiles a step's posterior, KL terms, likelihoods and
backward as one graph (:class:`CompiledStep`); the optimiser update follows
it (eager by default, or compiled on its own).

Two things stop :func:`torch.compile` from tracing the eager step as it is
written: its loss terms are Python generators (the *parts* of
:mod:`skpoe.models.fused`) and its noise comes from a private generator
(:mod:`skpoe.noise`). So the step is traced once per shape of its
minibatches with :func:`torch.fx.experimental.proxy_tensor.make_fx` on fake
tensors: the generators run as plain Python during the trace, which records
only the tensor operations they issue, forward and backward (the trace
calls :func:`torch.autograd.grad`). The traced graph is a plain function of
the parameters, buffers, minibatch tensors and noise tensors, which
:func:`torch.compile` then compiles (inductor by default).

The noise is drawn outside the graph: the first trace records what the step
draws (:func:`skpoe.noise.draws_from`), the second takes those draws as
inputs, and every step makes them with the private generator, in the order,
shapes and memory layouts of the eager step, so the compiled step trains
on the noise the eager step draws. Randomness inside user-supplied networks
(dropout) stays in the graph and draws from the compiled code's own
generator.

Every step of a fit has the same shapes: the batch groups are cycled
(:class:`~skpoe.train.batches.BatchGroups`), so there is no short last
minibatch to pad or to mark dynamic, and a fit traces and compiles once
(once more per distinct shape, e.g. a warm start on other data).
"""

from __future__ import annotations

import dataclasses
import threading
import time
import warnings

import torch
from torch import nn

from skpoe.exceptions import SkpoeWarning
from skpoe.noise import current_generator, draws_from
from skpoe.train.batches import batches_loss

__all__ = ["CompiledStep", "compile_backends"]

#: The ``backend`` values of :class:`CompiledStep`: ``None`` runs the traced
#: graph as is (no code generation; for checks of the trace).
compile_backends = (None, "inductor", "aot_eager", "eager")

#: Held while a step is traced and while a compiled step runs: tracing patches
#: ``nn.Module.__call__`` for the whole process, and a compiled function called
#: from another thread meanwhile raises, so fits in threads take turns.
_GRAPH_LOCK = threading.RLock()


class _Loss(nn.Module):
    """``module``'s loss on gathered minibatches, as a module to call functionally."""

    def __init__(self, module):
        super().__init__()
        self.inner = module

    def forward(self, paired, singles, unlabeled):
        return batches_loss(self.inner, paired, singles, unlabeled).total


def _split(obj, leaves):
    """A hashable skeleton of ``obj`` with its tensors appended to ``leaves``."""
    if isinstance(obj, torch.Tensor):
        leaves.append(obj)
        return ("T", tuple(obj.shape), obj.stride(), obj.dtype, obj.device)
    if isinstance(obj, (list, tuple)):
        return (type(obj), tuple(_split(o, leaves) for o in obj))
    if dataclasses.is_dataclass(obj):
        fields = dataclasses.fields(obj)
        return (type(obj), tuple((f.name, _split(getattr(obj, f.name), leaves)) for f in fields))
    return ("V", obj)


def _join(skeleton, leaves):
    """Inverse of :func:`_split`: the object, its tensors taken from iterator ``leaves``."""
    kind, content = skeleton[0], skeleton[1]
    if kind == "T":
        return next(leaves)
    if kind == "V":
        return content
    if kind in (list, tuple):
        return kind(_join(s, leaves) for s in content)
    return kind(**{name: _join(s, leaves) for name, s in content})


class _Recorder:
    """A draw source that records each draw and hands back zeros of its layout."""

    def __init__(self):
        self.specs = []

    def __call__(self, fill, like, shape, device, dtype):
        if like is not None:
            out = torch.empty_like(like)
        else:
            out = torch.empty(shape, device=device, dtype=dtype)
        self.specs.append((fill, tuple(out.shape), out.stride(), out.dtype, out.device))
        return out.zero_()


class _Replay:
    """A draw source that hands back given tensors, in order."""

    def __init__(self, tensors):
        self.tensors = iter(tensors)

    def __call__(self, fill, like, shape, device, dtype):
        return next(self.tensors)


def _empty(shape, stride, dtype, device):
    return torch.empty_strided(shape, stride, dtype=dtype, device=device)


def _traceable(fn):
    """``fn`` traced on fake tensors (values are never computed)."""
    from torch.fx.experimental.proxy_tensor import make_fx  # heavy: only when compiling

    return make_fx(fn, tracing_mode="fake", _allow_non_fake_inputs=True)


class CompiledStep:
    """Loss and gradients of a training step from one compiled graph.

    Parameters
    ----------
    module : MultimodalModule
        The model being trained (its parameters and buffers are the graph's
        inputs: the optimiser's in-place updates are seen by the next step).
    backend : str or None, default="inductor"
        The :func:`torch.compile` backend (see :data:`compile_backends`).

    Attributes
    ----------
    compile_seconds : float
        Wall time spent tracing and compiling, the first run of each graph
        included (kept out of the step times).
    n_graphs : int
        Graphs built (one per distinct shape of a step's minibatches).
    """

    def __init__(self, module, backend="inductor"):
        if backend not in compile_backends:
            raise ValueError(f"backend must be one of {compile_backends}; got {backend!r}.")
        self.module = module
        self.backend = backend
        self._loss = _Loss(module)
        named = list(module.named_parameters())
        self._names = [n for n, p in named if p.requires_grad]
        self._param_list = [p for _, p in named if p.requires_grad]
        self._buffer_names = [n for n, _ in module.named_buffers()]
        self._buffer_list = [b for _, b in module.named_buffers()]
        self._graphs = {}
        self.compile_seconds = 0.0
        self.n_graphs = 0

    def __call__(self, paired, singles, unlabeled=None):
        """``(total, grads)`` of a step's gathered minibatches
        (:func:`~skpoe.train.batches.step_batches`), or ``None`` where the
        step cannot be traced (the caller then runs the eager step).

        ``grads`` holds one gradient per trainable parameter (``None`` for
        a parameter the loss does not use, as eager backward leaves it).
        """
        leaves: list[torch.Tensor] = []
        skeleton = _split((paired, singles, unlabeled), leaves)
        key = (skeleton, getattr(self.module, "autocast_dtype", None))
        if key not in self._graphs:
            with _GRAPH_LOCK:
                self._graphs[key] = self._build(skeleton, leaves)
        graph = self._graphs[key]
        if graph is None:
            return None
        fn, specs = graph
        g = current_generator()
        noise = [fill(_empty(*spec), g) for fill, *spec in specs]
        with torch.no_grad(), _GRAPH_LOCK:  # the graph holds its own backward
            return fn(self.parameters(), self.buffers(), leaves, noise)

    def parameters(self):
        """The trainable parameters, in the order of the gradients."""
        return self._param_list

    def buffers(self):
        return self._buffer_list

    def _step_function(self, skeleton, source):
        names = self._names + self._buffer_names

        def step(params, buffers, leaves, noise):
            state = {f"inner.{n}": t for n, t in zip(names, [*params, *buffers])}
            batches = _join(skeleton, iter(leaves))
            with draws_from(source(noise)):
                total = torch.func.functional_call(self._loss, state, batches)
            grads = torch.autograd.grad(total, params, allow_unused=True)
            return total.detach(), list(grads)

        return step

    def _build(self, skeleton, leaves):
        """Trace and compile the step of this skeleton; ``None`` if it cannot be traced."""
        start = time.perf_counter()
        params, buffers = self.parameters(), self.buffers()
        recorder = _Recorder()
        try:
            _traceable(self._step_function(skeleton, lambda _: recorder))(
                params, buffers, leaves, []
            )
            noise = [_empty(*spec).zero_() for _, *spec in recorder.specs]
            graph = _traceable(self._step_function(skeleton, _Replay))(
                params, buffers, leaves, noise
            )
        except Exception as exc:  # noqa: BLE001 - any trace failure falls back to eager
            warnings.warn(
                f"compile=True: the training step could not be traced as one graph "
                f"({type(exc).__name__}: {exc}); this fit runs the eager step.",
                SkpoeWarning,
                stacklevel=4,
            )
            return None
        fn = graph
        if self.backend is not None:
            fn = torch.compile(graph, backend=self.backend, fullgraph=True, dynamic=False)
            # the first run compiles: on copies of the buffers, which the graph may update
            with torch.no_grad():
                fn(params, [b.clone() for b in buffers], leaves, noise)
        self.compile_seconds += time.perf_counter() - start
        self.n_graphs += 1
        return fn, recorder.specs
