"""Minibatch variational inference: fit a model's posterior by stochastic optimisation of the ELBO.

:func:`fit_vi` maximises the evidence lower bound with Adam on random batches of
the data's rows, the way NUTS's alternative scales to millions of points:

* every step draws ``batch_size`` row indices with ``jax.random.randint`` (with
  replacement) inside the compiled step, and the observed sites' log-likelihood is
  multiplied by N / B (:class:`ScaleObserved`; priors are left as they are), so the
  step's ELBO and its gradient are unbiased estimates of the full data's;
* row weights (``m.gmm(..., sample_weight=w, method="vi")``) are a data argument drawn
  with the rows (``data_argument=("data", "sample_weight")``) that the model multiplies
  into each row's log-likelihood (:mod:`bayesforge.mixtures.weights`): the batch's
  (N / B) Σ_b w_b log p(x_b | θ) is unbiased for Σ_i w_i log p(x_i | θ);
* steps run ``check_every`` at a time in one compiled call (a ``jax.lax.fori_loop``:
  no round trip to Python per step); between those calls the mean loss of the block
  and its standard error decide whether the fit has converged (:func:`converged`);
  then :data:`POLISH_BLOCKS` blocks at a tenth of the learning rate polish the result
  (:data:`POLISH`): the guide's parameters averaged over them (Polyak averaging: at
  10⁶ rows, 3 blocks left the average about a posterior sd from the optimum and the
  memberships' ARI below EM's on 3 seeds of 4; 20 blocks, ≈ 2 s, put all 4 at or
  above it);
* the guide is built and set up inside the compiled functions (the steps, the draws),
  so each compiles once (NumPyro sets guides up eagerly, an operation and a
  compilation at a time);
* the guide is NumPyro's ``AutoDiagonalNormal`` (a Gaussian per latent coordinate,
  independent, on the unconstrained scale: mean-field; ``guide="normal"``) or
  ``AutoDelta`` (a point, MAP; ``guide="delta"``), with locations started at
  ``init_values``;
* the result holds ``num_draws`` draws from the fitted guide as one "chain"
  (``{site: array(1, S, ...)}``), the shape NUTS's draws have.

Variational fits understate posterior uncertainty (a mean-field Gaussian ignores
correlations and is too narrow for multimodal or skewed posteriors; a point has
none): use them where N makes NUTS too slow, and NUTS where the uncertainty matters.

Why not ``numpyro.plate(..., subsample_size=B)``: on the CPU it draws its indices
with an N-long shuffle at every step, 116–122 s for a 10⁶-point GMM against 21 s
with ``randint``.

>>> import numpy as np, numpyro, numpyro.distributions as dist
>>> def model(y):
...     mu = numpyro.sample("mu", dist.Normal(0.0, 10.0))
...     with numpyro.plate("rows", y.shape[0]):
...         numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)
>>> y = np.random.default_rng(0).normal(3.0, 1.0, 2_000)
>>> fit = fit_vi(model, {"y": y}, data_argument="y", batch_size=200, max_steps=3_000, learning_rate=0.05)
>>> fit.samples["mu"].shape, round(float(fit.samples["mu"].mean()), 1)
((1, 1000), 3.0)
"""
from __future__ import annotations

import contextlib
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers
from numpyro.infer import SVI, Predictive, Trace_ELBO, init_to_value
from numpyro.infer.autoguide import AutoDelta, AutoDiagonalNormal, AutoGuide
from numpyro.optim import Adam
from numpyro.primitives import Messenger

from .device import Devices
from .validation import as_int, positive_float

__all__ = ["GUIDES", "POLISH", "POLISH_BLOCKS", "ScaleObserved", "VIFit", "converged", "fit_vi"]

#: ``guide`` values: AutoDiagonalNormal (mean-field Gaussian) and AutoDelta (a point: MAP).
GUIDES = ("normal", "delta")
#: Blocks of steps in a row without a clear improvement of the loss needed to stop (:func:`converged`).
PATIENCE = 3
#: After convergence, :data:`POLISH_BLOCKS` more blocks run at this fraction of the learning rate; the result is the
#: average of their parameters (Adam at a constant rate jitters around the optimum by about the rate).
POLISH = 0.1
#: Blocks run at the polishing rate; the first :data:`POLISH_SETTLING` of them let Adam settle at the lower rate and the
#: result is the average over the others.
POLISH_BLOCKS = 20
POLISH_SETTLING = 4


class ScaleObserved(Messenger):
    """Multiply the log-density of the observed sites named in ``sites`` by ``scale``; every other site is untouched.

    NumPyro's ``handlers.scale`` scales every site, priors included; a minibatch of
    B of N rows needs only the likelihood scaled (by N / B).

    >>> import numpyro, numpyro.distributions as dist
    >>> def model():
    ...     mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    ...     numpyro.sample("y", dist.Normal(mu, 1.0), obs=0.5)
    >>> trace = handlers.trace(handlers.seed(ScaleObserved(model, 10.0, ("y",)), 0)).get_trace()
    >>> trace["mu"]["scale"], trace["y"]["scale"]
    (None, 10.0)
    """

    def __init__(self, fn: Callable[..., Any] | None = None, scale: float = 1.0, sites: Sequence[str] = ()):
        if not float(scale) > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        self.scale = float(scale)
        self.sites = frozenset(sites)
        super().__init__(fn)

    def process_message(self, msg: dict[str, Any]) -> None:
        if msg["type"] == "sample" and msg["is_observed"] and msg["name"] in self.sites:
            msg["scale"] = self.scale if msg.get("scale") is None else self.scale * msg["scale"]


@dataclass
class VIFit:
    """A finished :func:`fit_vi`: draws from the fitted guide, its parameters, and how the optimisation went."""

    #: Draws from the fitted guide as one chain: ``{site: array(1, num_draws, ...)}`` (latent and deterministic sites).
    samples: dict[str, np.ndarray] = field(repr=False)
    #: The guide's fitted parameters (constrained) per site, e.g. ``"mu_auto_loc"``, ``"mu_auto_scale"`` (the
    #: unconstrained location and scale of site ``mu``: the mean-field guide's ``auto_loc``/``auto_scale`` split
    #: by site, as NumPyro's ``AutoNormal`` names them).
    params: dict[str, np.ndarray] = field(repr=False)
    #: The guide (not set up: NumPyro sets a guide up on its first call with the model's arguments), on the model
    #: with its densities masked (what it is set up on); the mean-field guide's own parameters are the vectors
    #: ``auto_loc``/``auto_scale`` that :attr:`params` splits by site.
    guide: AutoGuide = field(repr=False)
    #: ``"normal"`` (AutoDiagonalNormal) or ``"delta"`` (AutoDelta).
    guide_kind: str
    #: Mean loss (negative ELBO of the full data, estimated from the batches) of each block of ``check_every`` steps.
    losses: np.ndarray = field(repr=False)
    #: Standard error of each of those means (from the spread of the steps' losses).
    loss_errors: np.ndarray = field(repr=False)
    #: Adam's learning rate in each block (the last :data:`PATIENCE` blocks polish at a tenth of it).
    learning_rates: np.ndarray = field(repr=False)
    num_steps: int
    converged: bool
    seconds: float
    batch_size: int
    num_rows: int
    check_every: int
    #: Steps whose loss or update was not finite, and which were therefore skipped.
    skipped_steps: int = 0

    @property
    def elbo(self) -> np.ndarray:
        """The ELBO trace: minus :attr:`losses`."""
        return -self.losses

    @property
    def num_draws(self) -> int:
        """Draws from the fitted guide."""
        return int(next(iter(self.samples.values())).shape[1])

    @property
    def diagnostics(self) -> dict[str, Any]:
        """The fit in numbers, with the keys NUTS fits report where they apply.

        r̂ and the ESS describe Markov chains, so they are NaN here; ``divergences`` is 0.
        """
        return {"method": "vi", "guide": self.guide_kind, "converged": self.converged, "num_steps": self.num_steps,
                "final_loss": float(self.losses[-1]), "batch_size": self.batch_size, "skipped_steps": self.skipped_steps,
                "max_r_hat": math.nan, "min_ess_bulk": math.nan, "divergences": 0, "seconds": float(self.seconds),
                "chain_method": None, "num_chains": 1}


def converged(means: Sequence[float], errors: Sequence[float], tolerance: float, patience: int = PATIENCE) -> bool:
    """Whether the loss has levelled off, from the mean loss of each block of steps and its standard error.

    Block t improved on block t−1 by d_t = m_{t−1} − m_t. The loss has levelled off
    when, for each of the last ``patience`` blocks, d_t is below ``tolerance`` ·
    max(|m_t|, 1) (a relative change) plus twice its standard error
    √(e_{t−1}² + e_t²): it no longer falls by more than the tolerance, or by more than
    minibatch noise can explain.

    >>> converged([100.0, 50.0, 40.0, 39.9, 39.95, 39.9], [0.1] * 6, tolerance=1e-3)
    True
    >>> converged([100.0, 50.0, 40.0, 30.0, 20.0, 10.0], [0.1] * 6, tolerance=1e-3)
    False
    """
    if len(means) < patience + 1:
        return False
    m = np.asarray(means[-patience - 1:], dtype=float)
    e = np.asarray(errors[-patience - 1:], dtype=float)
    improvement = m[:-1] - m[1:]
    allowed = tolerance * np.maximum(np.abs(m[1:]), 1.0) + 2.0 * np.sqrt(e[:-1] ** 2 + e[1:] ** 2)
    return bool(np.all(improvement < allowed))


def initial_scale(num_rows: int) -> float:
    """Where the mean-field guide's scales start: min(0.1, 1/√N) on the unconstrained scale.

    Posterior sds of parameters that all N points inform shrink like 1/√N. From
    NumPyro's 0.1, Adam (about ``learning_rate`` per step on the log scale) spent
    hundreds of steps shrinking them while the loss, too noisy to show it, had
    levelled off: at N = 10⁵ the fit stopped with the means' sds 3× too wide.

    >>> initial_scale(100), initial_scale(10_000)
    (0.1, 0.01)
    """
    return min(0.1, 1.0 / math.sqrt(num_rows))


def _data_arguments(data_argument: Any, model_kwargs: Mapping[str, Any]) -> tuple[tuple[str, ...], int]:
    names = (data_argument,) if isinstance(data_argument, str) else data_argument
    if not isinstance(names, (tuple, list)) or not names or not all(isinstance(n, str) for n in names):
        raise TypeError(f"data_argument must be the name of the model argument holding the data rows, or a list of "
                        f"such names (subsampled together), got {data_argument!r}")
    rows = {}
    for name in names:
        if name not in model_kwargs:
            raise ValueError(f"data_argument {name!r} is not among the model's arguments {sorted(model_kwargs)}")
        shape = np.shape(model_kwargs[name])
        if len(shape) not in (1, 2):
            raise ValueError(f"model argument {name!r} (data_argument) must be a 1-D or 2-D array with one row per "
                             f"data point, got shape {shape}")
        if shape[0] < 1:
            raise ValueError(f"model argument {name!r} (data_argument) has no rows")
        rows[name] = shape[0]
    if len(set(rows.values())) > 1:
        raise ValueError(f"the data arguments must have the same number of rows, got {rows}")
    return tuple(names), next(iter(rows.values()))


@dataclass(frozen=True)
class _Site:
    kind: str  # "latent", "observed" or "deterministic"
    shape: tuple[int, ...]


def _inspect(model: Callable[..., Any], static: Mapping[str, Any], arrays: Mapping[str, Any]) -> dict[str, _Site]:
    """The model's sites and their shapes, from an abstract trace (nothing is computed or compiled)."""
    sites: dict[str, _Site] = {}

    def probe(arrays):
        trace = handlers.trace(handlers.seed(model, 0)).get_trace(**static, **arrays)
        for name, site in trace.items():
            if site["type"] == "sample":
                kind = "observed" if site["is_observed"] else "latent"
            elif site["type"] == "deterministic":
                kind = "deterministic"
            else:
                continue
            sites[name] = _Site(kind, tuple(jnp.shape(site["value"])))
        return jnp.zeros(())

    jax.eval_shape(probe, arrays)
    return sites


def _rowwise_observed(sites: Mapping[str, _Site], num_rows: int) -> tuple[str, ...]:
    """The observed sites with one value per data row: those whose log-likelihood is scaled by N / B."""
    observed = tuple(n for n, s in sites.items() if s.kind == "observed" and s.shape[:1] == (num_rows,))
    if not observed:
        raise ValueError(f"the model observes no site with one value per data row ({num_rows} rows): minibatches "
                         "need the data argument observed row by row (e.g. obs=data)")
    return observed


def _check_init_values(init_values: Any, sites: Mapping[str, _Site]) -> dict[str, Any] | None:
    if init_values is None:
        return None
    if not isinstance(init_values, Mapping):
        raise TypeError(f"init_values must be a dict {{site: value}} or None, got {type(init_values).__name__}")
    latent = [n for n, s in sites.items() if s.kind == "latent"]
    unknown = [n for n in init_values if n not in latent]
    if unknown:
        raise ValueError(f"init_values has {unknown}, which are not latent sites of the model; its latent sites: {latent}")
    values = {}
    for name, value in init_values.items():
        array = jnp.asarray(value)
        if array.shape != sites[name].shape:
            raise ValueError(f"init_values[{name!r}] has shape {array.shape}, but the site's shape is {sites[name].shape}")
        values[name] = array
    return values


def _masked(model: Callable[..., Any]) -> Callable[..., Any]:
    """``model`` with every site's log-density masked out: what a guide is set up on.

    A guide's setup traces the model for its sites, shapes and supports, and checks
    the start values with the potential energy and its gradient (NumPyro's
    ``find_valid_initial_params``). On the model itself that check is a second full
    gradient of the likelihood next to the ELBO's, about a third of the fit's
    compilation; masked, the densities are zeros and nothing is computed. The ELBO
    always scores the model itself: the guide uses its model only for this setup and
    to replay deterministic sites, which masking leaves as they are.
    """
    return handlers.mask(model, mask=False)


@dataclass(frozen=True)
class _Engine:
    """One fit's steps and draws, each compiled once: :meth:`block` starts and runs, :meth:`draws` draws.

    NumPyro's guides set themselves up on their first call, eagerly, one operation
    (and one compilation) at a time: about 500 compilations for the library GMM,
    most of a minute on a busy 2-core machine. Here the guide and the SVI are built
    and set up inside each compiled function, so the setup is traced, not run op by
    op (on the masked model, :func:`_masked`, it computes nothing).

    Compilation, not the steps, is most of a fit's time (measured on 2 cores: the
    100 steps of a block take about 0.25 s at batches of 10 000 rows; compiling the
    block took 15 CPU s), and XLA compiles every random draw into its own threefry
    code (eight Normal draws: about 3 CPU s). So the mean-field Gaussian guide is
    ``AutoDiagonalNormal``, one Gaussian over all unconstrained coordinates (the same
    family as ``AutoNormal``, which draws every site separately), the keys are
    derived inside the compiled functions, and the draws are a small function of
    their own.
    """

    model: Callable[..., Any]
    guide_kind: str
    init_values: Mapping[str, Any] | None
    learning_rate: float
    static: Mapping[str, Any]
    data_names: tuple[str, ...]
    num_rows: int
    batch_size: int
    observed: tuple[str, ...]
    block_steps: int
    num_draws: int
    deterministic: tuple[str, ...]

    def guide(self) -> AutoGuide:
        """The guide, on the model with every log-density masked out (:func:`_masked`)."""
        init = {} if self.init_values is None else {"init_loc_fn": init_to_value(values=dict(self.init_values))}
        if self.guide_kind == "normal":
            return AutoDiagonalNormal(_masked(self.model), init_scale=initial_scale(self.num_rows), **init)
        return AutoDelta(_masked(self.model), **init)

    def svi(self, key, arrays, rate_factor=1.0) -> tuple[SVI, AutoGuide, Any]:
        """A fresh SVI (Adam at ``learning_rate · rate_factor``) set up on a batch drawn with ``key``, and its
        initial state."""
        guide = self.guide()
        scaled = ScaleObserved(self.model, self.num_rows / self.batch_size, self.observed)
        svi = SVI(scaled, guide, Adam(lambda i: self.learning_rate * rate_factor), Trace_ELBO())
        return svi, guide, svi.init(key, **self.static, **self.batch(key, arrays))

    def batch(self, key, arrays) -> dict[str, Any]:
        """``arrays`` with the data arguments replaced by ``batch_size`` rows drawn with replacement."""
        rows = jax.random.randint(key, (self.batch_size,), 0, self.num_rows)
        return {**arrays, **{name: jnp.take(arrays[name], rows, axis=0) for name in self.data_names}}

    def initial_state(self, key, arrays):
        return self.svi(key, arrays)[2]

    def block(self, state, key, index, arrays, steps, first, rate_factor):
        """Block ``index`` (its key: ``key`` folded with it): from ``state`` (the initial state when ``first``),
        ``steps`` ≤ ``block_steps`` Adam steps, each on a fresh batch. Returns the state after them, each step's
        loss (NaN past ``steps``) and the mean of the unconstrained parameters over these steps."""
        setup_key, step_key = jax.random.split(jax.random.fold_in(key, index))
        svi, _, initial = self.svi(setup_key, arrays, rate_factor)
        state = jax.tree.map(lambda start, current: jnp.where(first, start, current), initial, state)

        def step(i, carry):
            state, losses, total = carry
            state, loss = svi.stable_update(state, **self.static, **self.batch(jax.random.fold_in(step_key, i), arrays))
            total = jax.tree.map(jnp.add, total, svi.optim.get_params(state.optim_state))
            return state, losses.at[i].set(loss), total

        losses = jnp.full(self.block_steps, jnp.nan, dtype=jnp.result_type(float))
        total = jax.tree.map(jnp.zeros_like, svi.optim.get_params(state.optim_state))
        state, losses, total = jax.lax.fori_loop(0, steps, step, (state, losses, total))
        return state, losses, jax.tree.map(lambda t: t / jnp.maximum(steps, 1), total)

    def draws(self, key, noise, arrays, averaged):
        """The guide's constrained parameters at ``averaged`` (unconstrained), per site, and ``num_draws`` draws
        from the guide there (latent and deterministic sites).

        ``noise``: for the mean-field guide, ``num_draws`` × coordinates standard Normal
        numbers drawn on the host (XLA compiles every random draw into code of its own:
        drawing here cost 1 CPU s of compilation, as much as the rest of this function);
        None for the point guide.
        """
        svi, guide, _ = self.svi(key, arrays)
        params = svi.constrain_fn(averaged)
        kwargs = {**self.static, **arrays}
        if isinstance(guide, AutoDiagonalNormal):
            latent = params["auto_loc"] + params["auto_scale"] * noise
            # vectorised (sample_posterior maps over the draws one at a time)
            samples = jax.vmap(lambda z: guide._unpack_and_constrain(z, params))(latent)
            loc, scale = guide._unpack_latent(params["auto_loc"]), guide._unpack_latent(params["auto_scale"])
            params = {**{f"{n}_auto_loc": v for n, v in loc.items()}, **{f"{n}_auto_scale": v for n, v in scale.items()}}
            return params, samples
        samples = guide.sample_posterior(key, params, sample_shape=(self.num_draws,), **kwargs)
        missing = [name for name in self.deterministic if name not in samples]
        if missing:  # AutoDelta draws the latent sites only
            latent = {name: value for name, value in samples.items() if name not in self.deterministic}
            predictive = Predictive(self.model, posterior_samples=latent, return_sites=missing)
            samples = {**samples, **predictive(key, **kwargs)}
        return params, samples

def _weighted_mean(blocks: Sequence[tuple[int, Any]]) -> Any:
    """The mean of block means ``[(steps, pytree), ...]`` weighted by their steps (on the host: nothing to compile)."""
    total = sum(steps for steps, _ in blocks)
    leaves = [jax.tree.map(lambda x, w=steps: np.asarray(x, dtype=np.float64) * w / total, mean) for steps, mean in blocks]
    return jax.tree.map(lambda like, *xs: np.sum(xs, axis=0).astype(like.dtype), blocks[0][1], *leaves)


def fit_vi(
    model: Callable[..., Any],
    model_kwargs: Mapping[str, Any],
    *,
    data_argument: str | Sequence[str] = "data",
    init_values: Mapping[str, Any] | None = None,
    guide: str = "normal",
    batch_size: Any = 10_000,
    max_steps: Any = 20_000,
    learning_rate: Any = 0.01,
    tolerance: Any = 1e-4,
    check_every: Any = 100,
    seed: Any = 0,
    num_draws: Any = 1000,
    progress_bar: bool = False,
    devices: Devices | None = None,
) -> VIFit:
    """Fit ``model(**model_kwargs)`` by minibatch SVI and draw ``num_draws`` times from the fitted guide.

    ``data_argument``: the argument (or arguments, subsampled together) whose rows
    are the data points; the model must observe them row by row. ``batch_size``
    rows (all N when fewer) are drawn with replacement at every step, and the
    observed sites' log-likelihood is scaled by N / B. ``guide``: ``"normal"``
    (AutoDiagonalNormal, scales starting at :func:`initial_scale`) or ``"delta"``
    (AutoDelta, MAP). ``init_values``: where the guide's locations start
    (``{site: value}``, constrained; other sites start at NumPyro's default), e.g. a
    k-means solution.

    Adam with ``learning_rate`` runs in blocks of ``check_every`` steps until the
    mean loss of a block improves on the previous block's by less than ``tolerance``
    (relative) plus its minibatch noise for :data:`PATIENCE` blocks in a row
    (:func:`converged`), or until ``max_steps``, which warns. Then :data:`POLISH_BLOCKS`
    more blocks run at :data:`POLISH` times the learning rate, and the guide's
    parameters averaged over them, less the first :data:`POLISH_SETTLING`, are the
    result (``num_steps`` counts them too).
    ``devices``: a :class:`~bayesforge.device.Devices` (its device and precision), or
    None for JAX's defaults. Returns a :class:`VIFit`.
    """
    from .fit import match_arguments

    kwargs = match_arguments(model, model_kwargs)
    data_names, num_rows = _data_arguments(data_argument, kwargs)
    if guide not in GUIDES:
        raise ValueError(f"guide must be one of {GUIDES} ('normal': AutoDiagonalNormal, 'delta': AutoDelta), got {guide!r}")
    batch = min(as_int(batch_size, "batch_size", minimum=1), num_rows)
    steps_cap = as_int(max_steps, "max_steps", minimum=1)
    every = as_int(check_every, "check_every", minimum=1)
    rate = positive_float(learning_rate, "learning_rate")
    tol = positive_float(tolerance, "tolerance")
    seed = as_int(seed, "seed")
    draws = as_int(num_draws, "num_draws", minimum=1)
    if not isinstance(progress_bar, bool):
        raise TypeError(f"progress_bar must be True or False, got {progress_bar!r}")
    if devices is not None and not isinstance(devices, Devices):
        raise TypeError(f"devices must be a bayesforge Devices (m.devices) or None, got {type(devices).__name__}")

    started = time.perf_counter()
    with devices.context() if devices is not None else contextlib.nullcontext():
        arrays = {k: jnp.asarray(v) for k, v in kwargs.items() if isinstance(v, (np.ndarray, jax.Array))}
        static = {k: v for k, v in kwargs.items() if k not in arrays}
        sites = _inspect(model, static, arrays)
        every = min(every, steps_cap)
        engine = _Engine(model, guide, _check_init_values(init_values, sites), rate, static, data_names, num_rows,
                         batch, _rowwise_observed(sites, num_rows), every, draws,
                         tuple(n for n, site in sites.items() if site.kind == "deterministic"))
        key = jax.random.PRNGKey(seed)
        block = jax.jit(engine.block)
        # NumPy's zeros: jnp.zeros would compile once per shape.
        state = jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), jax.eval_shape(engine.initial_state, key, arrays))
        trace, is_converged, index = _Trace(), False, 0
        from tqdm.auto import tqdm

        with tqdm(total=steps_cap, disable=not progress_bar, unit="step", desc="VI") as bar:
            while trace.steps < steps_cap and not is_converged:
                steps = min(every, steps_cap - trace.steps)
                state, block_losses, mean = block(state, key, index, arrays, steps, index == 0, 1.0)
                index += 1
                trace.add(block_losses, steps, rate)
                bar.update(steps)
                bar.set_postfix(loss=f"{trace.losses[-1]:.6g}", refresh=False)
                is_converged = converged(trace.losses, trace.errors, tol)
            bar.set_description("VI (polishing)")
            polished = []
            for _ in range(POLISH_BLOCKS):
                state, block_losses, mean = block(state, key, index, arrays, every, False, POLISH)
                index += 1
                trace.add(block_losses, every, rate * POLISH)
                polished.append((every, mean))
        averaged = _weighted_mean(polished[POLISH_SETTLING:])
        noise = None if "auto_loc" not in averaged else np.random.default_rng(seed).standard_normal(
            (draws, averaged["auto_loc"].shape[-1])).astype(averaged["auto_loc"].dtype)
        params, samples = jax.jit(engine.draws)(key, noise, arrays, averaged)
        samples = {k: np.asarray(v)[None] for k, v in samples.items()}
    if not is_converged:
        warnings.warn(f"VI did not converge within max_steps={steps_cap}: the loss still fell by more than "
                      f"tolerance={tol:g} (relative) per {every} steps; raise max_steps or learning_rate",
                      RuntimeWarning, stacklevel=2)
    if trace.skipped:
        warnings.warn(f"{trace.skipped} of {trace.steps} VI steps had a non-finite ELBO or gradient and were skipped",
                      RuntimeWarning, stacklevel=2)
    return VIFit(samples=samples, params={k: np.asarray(v) for k, v in params.items()}, guide=engine.guide(),
                 guide_kind=guide, losses=np.asarray(trace.losses), loss_errors=np.asarray(trace.errors),
                 learning_rates=np.asarray(trace.rates), num_steps=trace.steps, converged=is_converged,
                 seconds=time.perf_counter() - started, batch_size=batch, num_rows=num_rows, check_every=every,
                 skipped_steps=trace.skipped)


class _Trace:
    """What the blocks of steps have shown so far: mean losses, their standard errors, the learning rates."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.errors: list[float] = []
        self.rates: list[float] = []
        self.steps = 0
        self.skipped = 0

    def add(self, block_losses: Any, steps: int, rate: float) -> None:
        values = np.asarray(block_losses)[:steps]
        finite = np.isfinite(values)
        if not finite.any():
            raise FloatingPointError(
                f"the ELBO was not finite at any of steps {self.steps + 1}–{self.steps + steps}: lower "
                f"learning_rate (now {rate:g}) or start closer to the posterior (init_values)")
        self.skipped += int((~finite).sum())
        self.losses.append(float(values[finite].mean()))
        self.errors.append(float(values[finite].std() / np.sqrt(finite.sum())))
        self.rates.append(rate)
        self.steps += steps
