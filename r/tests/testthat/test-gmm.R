# The seed's Gaussian mixture, written in R, on R data (a data.frame), with small counts: the fit is
# seed_gmm_from_r() (helper-bayesforge.R), shared with test-parity.R.

test_that("the seed GMM fitted from R recovers the clusters (ARI >= 0.9)", {
  skip_if_no_core()
  seed <- seed_gmm_from_r()
  m <- seed$m
  X <- seed$X
  expect_identical(dim(seed$kmeans$centroids), c(8L, 2L))
  expect_identical(sort(unique(seed$kmeans$labels)), 1:8)  # k-means labels count from 1 in R too
  expect_identical(dim(m$ml$results$centroids), c(8L, 2L))
  expect_identical(seed$returned, m)  # m$fit() returns the workspace
  expect_match(format(m), "fitted gmm\\(\\) with 2 chain\\(s\\)")

  memberships <- bf_membership(m, X)
  expect_identical(dim(memberships), c(500L, 8L))
  expect_equal(rowSums(memberships), rep(1, 500), tolerance = 1e-5)
  labels <- max.col(memberships, ties.method = "first")
  ari <- adjusted_rand_index(labels, seed$labels)
  metrics <- reticulate::import("sklearn.metrics", convert = FALSE)
  expect_equal(ari, reticulate::py_to_r(metrics$adjusted_rand_score(bf_to_py(seed$labels), bf_to_py(labels))))
  expect_gte(ari, 0.9)

  table <- m$summary()
  expect_s3_class(table, "data.frame")
  expect_true(all(c("mu[1,1]", "weights[8]", "sigma[4,2]") %in% row.names(table)))  # 1-based, as Stan
  expect_true(all(c("mean", "sd", "ess_bulk", "r_hat") %in% names(table)))
  expect_lt(max(table[grep("^mu", row.names(table)), "r_hat"]), 1.1)

  draws <- m$posteriors
  expect_identical(sort(names(draws)), c("Lcorr", "mu", "sigma", "weights"))
  expect_identical(dim(draws$mu), c(300L, 8L, 2L))
  expect_identical(dim(draws$Lcorr), c(300L, 8L, 2L, 2L))
  expect_equal(rowSums(draws$weights), rep(1, 300), tolerance = 1e-5)
  frame <- bf_draws(m)
  expect_identical(dim(frame), c(300L, 8L + 16L + 16L + 32L + 3L))
  expect_identical(frame[["mu[3,2]"]][frame$.chain == 1], draws$mu[1:150, 3, 2])

  path <- tempfile(fileext = ".png")
  m$plot(X = X, sampler = m$sampler, path = path)
  expect_gt(file.size(path), 10000)
})
