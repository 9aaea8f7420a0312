"""bayesforge.interop: integral floats for sizes, named signatures for foreign callables, and the
PythonCall / reticulate protocol (a positional-only callable, a plate entered by hand) proven in Python."""
import inspect
import math

import numpy as np
import pytest

from bayesforge import interop, validation
from bayesforge.mixtures.gmm import gmm_model  # the seed's GMM, written with m.dist as the page has it


# -- as_int / as_shape --------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    (8, 8), (8.0, 8), (-3.0, -3), (np.float64(8.0), 8), (np.float32(2.0), 2), (np.int32(5), 5),
    (np.array(8.0), 8), (np.array([7.0])[0], 7), (1e15, 10**15),
])
def test_as_int_accepts_whole_numbers_and_integral_floats(value, expected):
    result = validation.as_int(value, "K")
    assert result == expected and type(result) is int


@pytest.mark.parametrize("value, error, match", [
    (8.5, ValueError, r"^K must be a whole number, got 8.5$"),
    (np.float32(8.5), ValueError, r"^K must be a whole number, got (np\.float32\()?8\.5\)?$"),
    (math.nan, ValueError, r"^K must be a whole number, got nan$"),
    (math.inf, ValueError, r"^K must be a whole number, got inf$"),
    ("8", TypeError, r"^K must be a whole number, got str '8'$"),
    (True, TypeError, r"^K must be a whole number, got bool True$"),
    (np.bool_(False), TypeError, r"^K must be a whole number, got bool False$"),
    (None, TypeError, r"^K must be a whole number, got NoneType None$"),
    (8 + 0j, TypeError, r"^K must be a whole number, got complex \(8\+0j\)$"),
    ([8], TypeError, r"^K must be a single whole number, got an array of shape \(1,\)$"),
])
def test_as_int_rejects_everything_else_naming_the_argument(value, error, match):
    with pytest.raises(error, match=match):
        validation.as_int(value, "K")


def test_as_int_minimum_names_the_argument():
    assert validation.as_int(1.0, "num_chains", minimum=1) == 1
    with pytest.raises(ValueError, match=r"^num_chains must be at least 1, got 0$"):
        validation.as_int(0.0, "num_chains", minimum=1)


@pytest.mark.parametrize("value, expected", [
    (None, ()), (3, (3,)), (3.0, (3,)), (np.array(4.0), (4,)), ([2.0, 3], (2, 3)), ((2, 0), (2, 0)),
    (np.array([2.0, 3.0]), (2, 3)), ([], ()),
])
def test_as_shape_accepts_integral_floats(value, expected):
    shape = validation.as_shape(value, "shape")
    assert shape == expected and all(type(n) is int for n in shape)


@pytest.mark.parametrize("value, error, match", [
    ([2, 2.5], ValueError, r"^shape\[1\] must be a whole number, got 2.5$"),
    ([2, math.nan], ValueError, r"^shape\[1\] must be a whole number, got nan$"),
    (8.5, ValueError, r"^shape must be a whole number, got 8.5$"),
    ([2, -1], ValueError, r"^shape\[1\] must be at least 0, got -1$"),
    (True, TypeError, r"^shape must be a whole number, got bool True$"),
    ([3, False], TypeError, r"^shape\[1\] must be a whole number, got bool False$"),
    (["2"], TypeError, r"^shape\[0\] must be a whole number, got str '2'$"),
    ("3", TypeError, r"^shape(\[0\])? must be a whole number"),
    (object(), TypeError, r"^shape must be a whole number or a sequence of whole numbers, got <object"),
])
def test_as_shape_rejects_the_rest_naming_the_argument(value, error, match):
    with pytest.raises(error, match=match):
        validation.as_shape(value, "shape")


# -- model(fn, names) ---------------------------------------------------------------------------
def recorder():
    calls = []

    def fn(*args):  # like a Julia function or an R closure: positional arguments only, no names
        calls.append(args)
        return ("result", len(calls))
    return fn, calls


def test_model_has_the_signature_of_the_names():
    fn, _ = recorder()
    wrapped = interop.model(fn, ["data", "K", "initial_means"])
    signature = inspect.signature(wrapped)
    assert str(signature) == "(data, K, initial_means)"
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in signature.parameters.values())
    assert wrapped.__name__ == "fn" and wrapped.__wrapped_foreign__ is fn
    assert interop.model(fn, ("a",), name="gmm").__name__ == "gmm"
    assert str(inspect.signature(interop.model(fn, []))) == "()"


def test_model_passes_positional_and_keyword_calls_in_signature_order_unconverted():
    fn, calls = recorder()
    wrapped = interop.model(fn, ["data", "K", "initial_means"])
    data, means = np.zeros((3, 2)), [[1.0, 2.0]]
    assert wrapped(data, 8.0, means) == ("result", 1)
    wrapped(data, K=8.0, initial_means=means)
    wrapped(initial_means=means, data=data, K=8.0)
    assert len(calls) == 3
    for args in calls:
        assert len(args) == 3 and args[0] is data and args[2] is means
        assert args[1] == 8.0 and type(args[1]) is float  # passed through: only sizes convert it
    with pytest.raises(TypeError, match="missing a required argument: 'initial_means'"):
        wrapped(data, 8.0)
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'k'"):
        wrapped(data, 8.0, means, k=1)
    assert len(calls) == 3


@pytest.mark.parametrize("fn, names, error, match", [
    (len, ["x", "1x"], ValueError, r"arg_names: '1x' is not a valid argument name"),
    (len, ["class"], ValueError, r"arg_names: 'class' is not a valid argument name"),
    (len, [""], ValueError, r"arg_names: '' is not a valid argument name"),
    (len, ["a b"], ValueError, r"arg_names: 'a b' is not a valid argument name"),
    (len, ["a", "b", "a", "b", "c"], ValueError, r"arg_names: duplicated names \['a', 'b'\]"),
    (len, "data", TypeError, r"arg_names must be a sequence of argument names, not a single string"),
    (42, ["x"], TypeError, r"fn must be callable, got int"),
    (None, ["x"], TypeError, r"fn must be callable, got NoneType"),
])
def test_model_rejects_bad_names_duplicates_and_non_callables(fn, names, error, match):
    with pytest.raises(error, match=match):
        interop.model(fn, names)


# -- the PythonCall / reticulate protocol, proven in Python -------------------------------------
def pywith(ctx, body):
    """What PythonCall's ``pywith(ctx) do _ ... end`` does: enter through the type, run the body,
    exit (with the error, if any) and hand back the body's value."""
    kind = type(ctx)
    value = kind.__enter__(ctx)
    try:
        result = body(value)
    except BaseException as error:
        if not kind.__exit__(ctx, type(error), error, error.__traceback__):
            raise
        return None
    kind.__exit__(ctx, None, None, None)
    return result


def foreign_gmm(m, seen):
    """The seed GMM as a Julia function reaches Python: ``f(*args)``, the plate entered by hand and
    a tuple handed back out of it; ``K`` arrives as ``8.0`` and only plate and shape sizes use it."""
    import jax
    import jax.numpy as jnp

    def gmm(*args):
        data, K, initial_means = args
        seen["args"].append(args)
        D = data.shape[1]
        w = m.dist.dirichlet(concentration=0.5 * jnp.ones(initial_means.shape[0]), name="weights")

        def components(_):
            mu = m.dist.multivariate_normal(loc=initial_means, covariance_matrix=0.1 * jnp.eye(D), name="mu")
            sigma = m.dist.half_cauchy(1, shape=(K, D), event=1, name="sigma")  # a float K as a shape size
            Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")
            seen["tracers"].append(all(isinstance(v, jax.core.Tracer) for v in (w, mu, sigma, Lcorr)))
            return mu, sigma[..., None] * Lcorr

        mu, scale_tril = pywith(m.dist.plate("components", K), components)
        m.dist.mixture_same_family(
            mixing_distribution=m.dist.categorical(probs=w, create_obj=True),
            component_distribution=m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=True),
            name="obs", obs=data)
    return gmm


@pytest.fixture(scope="module")
def blobs():
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs

    data, _ = make_blobs(n_samples=200, centers=8, cluster_std=0.8, center_box=(-10, 10), random_state=101)
    return data, KMeans(n_clusters=8, n_init=10, random_state=0).fit(data).cluster_centers_


# Identity of draws needs no converged chains: short, and trees capped so the cost is bounded.
FIT = dict(num_warmup=50, num_samples=50, num_chains=2, seed=7, progress_bar=False, max_tree_depth=5)


def test_a_foreign_positional_model_gives_the_draws_of_the_same_python_model(m, blobs):
    import jax

    data, centroids = blobs
    seen = {"args": [], "tracers": []}
    wrapped = interop.model(foreign_gmm(m, seen), ["data", "K", "initial_means"], name="gmm")
    m.data_on_model = {"data": data, "K": 8.0, "initial_means": centroids}
    foreign = m.fit(wrapped, **FIT).posteriors

    assert seen["args"], "the foreign model was never called"
    for data_arg, K, means_arg in seen["args"]:
        assert type(K) is float and K == 8.0
        assert isinstance(data_arg, jax.Array) and isinstance(means_arg, jax.Array)
    assert any(seen["tracers"]), "the foreign model never saw JAX tracers"

    m.data_on_model = {"data": data, "K": 8, "initial_means": centroids}
    python = m.fit(gmm_model(m), **FIT).posteriors  # the seed's GMM in Python
    assert sorted(foreign) == sorted(python) == ["Lcorr", "mu", "sigma", "weights"]
    assert foreign["mu"].shape == (100, 8, 2) and foreign["sigma"].shape == (100, 8, 2)
    for site in python:
        assert np.array_equal(foreign[site], python[site]), site


def test_a_foreign_plate_size_of_eight_and_a_half_is_refused_naming_the_size(m):
    with pytest.raises(ValueError, match=r"^size must be a whole number, got 8.5$"):
        m.dist.plate("components", 8.5)
    with pytest.raises(ValueError, match=r"^shape\[0\] must be a whole number, got 8.5$"):
        m.dist.half_cauchy(1, shape=(8.5, 2), create_obj=True)


@pytest.mark.parametrize("data_on_model, match", [
    ({"data": np.zeros((4, 2)), "K": 8.0},
     r"^data_on_model has no 'initial_means', needed by gmm\(data, K, initial_means\)$"),
    ({"K": 8.0}, r"^data_on_model has no 'data', 'initial_means', needed by gmm\(data, K, initial_means\)$"),
    ({"data": np.zeros((4, 2)), "K": 8.0, "initial_means": np.zeros((8, 2)), "prior_scale": 1.0},
     r"^data_on_model has 'prior_scale', which is not an argument of gmm\(data, K, initial_means\)$"),
])
def test_fit_names_a_missing_argument_and_an_extra_key_of_a_wrapped_model(m, data_on_model, match):
    seen = {"args": [], "tracers": []}
    m.data_on_model = data_on_model
    with pytest.raises(ValueError, match=match):
        m.fit(interop.model(foreign_gmm(m, seen), ["data", "K", "initial_means"], name="gmm"), **FIT)
    assert seen["args"] == []  # refused before the model ran
