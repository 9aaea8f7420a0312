# Old Faithful (R's built-in `faithful`: eruption time and waiting time, 272 eruptions) as a
# mixture of K = 2 bivariate normals: short and long eruptions.
#
#   R CMD INSTALL r
#   RETICULATE_PYTHON=.venv/bin/python Rscript examples/r/faithful.R [faithful.png]
#
# The model is the seed GMM unchanged; the data are standardised so that its priors
# (mu ~ N(k-means centroid, 0.1 I), sigma ~ HalfCauchy(1)) suit both columns.
library(bayesforge)

m <- bf()
jnp <- bf_jnp()

scaled <- scale(faithful)           # a 272 x 2 R matrix; the data.frame itself works too
centre <- attr(scaled, "scaled:center")
spread <- attr(scaled, "scaled:scale")

gmm <- function(data, K, initial_means) {
  D <- ncol(data)
  w <- m$dist$dirichlet(concentration = 0.5 * jnp$ones(K), name = "weights")
  with(m$dist$plate("components", K), {
    mu <- m$dist$multivariate_normal(loc = initial_means, covariance_matrix = 0.1 * jnp$eye(D), name = "mu")
    sigma <- m$dist$half_cauchy(1, shape = D, event = 1, name = "sigma")
    Lcorr <- m$dist$lkj_cholesky(dimension = D, concentration = 1, name = "Lcorr")
    scale_tril <- jnp$expand_dims(sigma, -1L) * Lcorr
  })
  m$dist$mixture_same_family(
    mixing_distribution = m$dist$categorical(probs = w, create_obj = TRUE),
    component_distribution = m$dist$multivariate_normal(loc = mu, scale_tril = scale_tril, create_obj = TRUE),
    name = "obs", obs = data
  )
}

km <- m$ml$KMEANS(scaled, n_clusters = 2)
m$data_on_model <- list(data = scaled, K = 2, initial_means = km$centroids)

# Start every chain at the k-means solution. With NumPyro's default (uniform in [-2, 2]) a chain
# can start, and stay, with the two components swapped: averages over chains then mix them up.
# Python functions reached through reticulate itself (not through m) need bf_to_py() for R arrays.
infer <- reticulate::import("numpyro.infer", convert = FALSE)
start <- list(mu = km$centroids, weights = as.vector(table(km$labels)) / nrow(scaled))
m$fit(gmm, num_warmup = 500, num_samples = 500, num_chains = 4, progress_bar = FALSE,
      init_strategy = infer$init_to_value(values = bf_to_py(start)))

draws <- m$posteriors
weights <- colMeans(draws$weights)
means <- apply(draws$mu, c(2, 3), mean)                   # K x 2, standardised
means <- sweep(sweep(means, 2, spread, "*"), 2, centre, "+")  # back to minutes
result <- data.frame(weight = weights, eruptions = means[, 1], waiting = means[, 2])
result <- result[order(result$eruptions), ]
row.names(result) <- c("short", "long")
print(round(result, 2))

cluster <- max.col(bf_membership(m, scaled), ties.method = "first")
print(table(component = cluster, long_eruption = faithful$eruptions > 3))

args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args)) args[[1]] else "faithful.png"
plot(m, file = path, newdata = scaled)          # the last fit (a Gaussian mixture) over the points
cat("figure (standardised units) written to", path, "\n")
