# The Gaussian mixture of the documentation page (examples/python/gmm_seed.py), written in R.
#
#   R CMD INSTALL r                                   # once: the R package
#   RETICULATE_PYTHON=.venv/bin/python Rscript examples/r/gmm.R [gmm_r.png]
#
# Same data (the page's make_blobs, from bayesforge.mixtures.gmm), same model, same k-means start
# and the same default fit as the Python example: 4 chains x 1000 warmup + 1000 draws.
library(bayesforge)

m <- bf()
jnp <- bf_jnp()

# The page's synthetic data (make_blobs: 500 points, 8 centres), as an R matrix and labels
blobs <- reticulate::import("bayesforge.mixtures.gmm", convert = FALSE)$seed_data()
X <- bf_to_r(reticulate::py_get_item(blobs, 0L))
true_labels <- bf_to_r(reticulate::py_get_item(blobs, 1L))

# The model
gmm <- function(data, K, initial_means) {  # here K is the *exact* number of clusters
  D <- ncol(data)                            # number of features, an R integer
  w <- m$dist$dirichlet(concentration = 0.5 * jnp$ones(K), name = "weights")
  with(m$dist$plate("components", K), {     # use fixed K
    mu <- m$dist$multivariate_normal(loc = initial_means, covariance_matrix = 0.1 * jnp$eye(D), name = "mu")
    sigma <- m$dist$half_cauchy(1, shape = D, event = 1, name = "sigma")
    Lcorr <- m$dist$lkj_cholesky(dimension = D, concentration = 1, name = "Lcorr")
    scale_tril <- jnp$expand_dims(sigma, -1L) * Lcorr   # Python: sigma[..., None] * Lcorr
  })
  m$dist$mixture_same_family(
    mixing_distribution = m$dist$categorical(probs = w, create_obj = TRUE),
    component_distribution = m$dist$multivariate_normal(loc = mu, scale_tril = scale_tril, create_obj = TRUE),
    name = "obs", obs = data
  )
}

# k-means clustering to initiate the means
km <- m$ml$KMEANS(X, n_clusters = 8)
m$data_on_model <- list(data = X, K = 8, initial_means = m$ml$results$centroids)

m$fit(gmm, progress_bar = FALSE)  # MCMC sampling (NUTS)
print(m)
print(m$summary(var_names = c("weights", "mu")))

# Posterior membership probabilities: each point's most probable component
memberships <- bf_membership(m, X)
cluster <- max.col(memberships, ties.method = "first")
metrics <- reticulate::import("sklearn.metrics", convert = FALSE)
ari <- reticulate::py_to_r(metrics$adjusted_rand_score(bf_to_py(true_labels), bf_to_py(cluster)))
cat(sprintf("adjusted Rand index against the true labels: %.3f\n", ari))

args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args)) args[[1]] else "gmm_r.png"
plot(m, file = path, newdata = X)               # the last fit (a Gaussian mixture) over the points
cat("figure written to", path, "\n")
