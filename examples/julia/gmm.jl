# The Julia example of gaussian_mixture_models.md, complete: the page shows the model, `m.fit(gmm)`
# and `m.summary()`; the data, the k-means initialisation and `m.data_on_model` are the Python
# example's (examples/python/gmm_seed.py), written in Julia, so both fit the same 500 points.
# The model itself is the page's Julia code unchanged.
#
# Run from the repository root, with the project's Python (see README.md):
#   JULIA_CONDAPKG_BACKEND=Null JULIA_PYTHONCALL_EXE=$PWD/.venv/bin/python \
#       julia --project=julia examples/julia/gmm.jl
using BayesForge
using PythonCall: pyimport

m = bf()

# Generate synthetic data: the Python example's make_blobs call, brought into Julia
make_blobs = pyimport("sklearn.datasets").make_blobs
X, y = make_blobs(n_samples=500, centers=8, cluster_std=0.8, center_box=(-10, 10), random_state=101)
data = pyconvert(Matrix{Float64}, X)            # a 500×2 Julia matrix; it reaches the model as 500×2

@BF function gmm(data, K, initial_means)
    D = data.shape[1]
    alpha_prior = 0.5 * jnp.ones(K)
    w = m.dist.dirichlet(concentration=alpha_prior, name="weights")

    # We capture the output of the pywith block
    # The block returns a tuple (mu, scale_tril)
    mu, scale_tril = pywith(m.dist.plate("components", K)) do _
        mu_inner = m.dist.multivariate_normal(
            loc=initial_means,
            covariance_matrix=0.1*jnp.eye(D),
            name="mu"
        )

        sigma = m.dist.half_cauchy(1, shape=(D,), event=1, name="sigma")
        Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")

        # FIX: Use expand_dims instead of slicing
        scale_tril_inner = jnp.expand_dims(sigma, -1) * Lcorr

        # Return them so they are available outside
        (mu_inner, scale_tril_inner)
    end

    m.dist.mixture_same_family(
        mixing_distribution=m.dist.categorical(probs=w, create_obj=true),
        component_distribution=m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=true),
        name="obs",
        obs=data
    )
end

# Kmeans clustering to initiate the means
m.ml.KMEANS(data, n_clusters=8)
m.data_on_model = Dict("data" => data, "K" => 8, "initial_means" => m.ml.results["centroids"])

# Run
m.fit(gmm)
println(m.summary())

# The results, back in Julia
mu_draws = pyconvert(Array, m.posteriors["mu"])       # draws × K × D
println("posterior draws of mu: ", join(size(mu_draws), " × "))
draws_py = pyimport("bayesforge.mixtures.draws")
memberships_py = pyimport("bayesforge.mixtures.memberships")
draws = draws_py.gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs, m.sampler.get_samples())
membership = memberships_py.membership_probabilities(draws, BayesForge.to_python(data)).argmax(axis=1)
ari = pyconvert(Float64, pyimport("sklearn.metrics").adjusted_rand_score(y, membership))
println("adjusted Rand index against the true clusters: ", round(ari; digits=3))
