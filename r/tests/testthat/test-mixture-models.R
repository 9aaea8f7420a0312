# The library mixture models from R: the core's messages for bad arguments, and m$dpmm() (the GMM's
# methods are tested in test-fit-methods.R).

three_blobs <- function(n_per = 50L) {
  set.seed(7)
  centres <- rbind(c(-5, 0), c(0, 5), c(5, 0))
  X <- do.call(rbind, lapply(1:3, function(k) cbind(rnorm(n_per, centres[k, 1], 0.5), rnorm(n_per, centres[k, 2], 0.5))))
  list(X = X, labels = rep(1:3, each = n_per), centres = centres)
}

# Each true cluster falls in one predicted cluster, a different one for each (1 = perfect).
purity <- function(truth, predicted) {
  counts <- table(truth, predicted)
  mapped <- apply(counts, 1L, which.max)
  if (anyDuplicated(mapped)) return(0)
  sum(apply(counts, 1L, max)) / length(truth)
}

test_that("m$gmm, m$choose_k and m$dpmm report bad input with the core's messages", {
  skip_if_no_core()
  blobs <- three_blobs(10L)
  m <- bf(platform = "cpu")
  expect_error(m$gmm(blobs$X, K = 0), "K must be at least 1, got 0")
  expect_error(m$gmm(blobs$X, K = 2.5), "K must be a whole number, got 2.5")
  expect_error(m$gmm(blobs$X, K = c(2, 3)), "K must be a single whole number")
  expect_error(m$gmm(blobs$X, K = "three"), "K must be a positive whole number or 'auto', got 'three'")
  expect_error(m$gmm(blobs$X, K = 40), "K=40 is more than the 30 points in data")
  # positions in R's messages count from 1 (the core's from 0): checked in R before Python runs
  bad <- blobs$X
  bad[4, 2] <- NA
  expect_error(m$gmm(bad, K = 2), "data has 1 missing or infinite value\\(s\\) \\(NA, NaN, Inf\\), the first at row 4, column 2",
               class = "bayesforge_error")
  one <- blobs$X[, 1]  # a plain vector is one feature (N x 1)
  one[5] <- NA
  expect_error(m$gmm(one, K = 2), "the first at row 5, column 1", class = "bayesforge_error")
  expect_error(m$gmm(array(0, c(5, 2, 2)), K = 2), "data must be .* got an array with 3 dimensions")
  expect_error(m$gmm(data.frame(x = 1:3, g = letters[1:3]), K = 2), "column 2 \\('g'\\) is text \\(character\\), not numeric")
  expect_error(m$gmm(blobs$X, 3, 100), "gmm\\(\\) takes 2 unnamed argument", class = "bayesforge_error")
  # initial_means arrives as the K x D matrix written in R; "auto" arrives as a string
  expect_error(m$gmm(blobs$X, K = 3, initial_means = t(blobs$centres)),
               "initial_means must be K.D = 3.2 \\(one row per component\\), got shape \\(2, 3\\)")
  expect_error(m$gmm(blobs$X, K = "auto", initial_means = blobs$centres), "initial_means needs a fixed K")
  expect_error(m$choose_k(blobs$X, ks = 1:2, criterion = "aic"), "criterion must be one of")
  expect_error(m$choose_k(blobs$X, ks = c(2, 2)), "ks has repeated values: \\[2, 2\\]")
  expect_error(m$choose_k(blobs$X, ks = c(2, 2.5)), "ks must be a whole number, got 2.5")
  expect_error(m$choose_k(blobs$X, ks = c(2, 0)), "ks must be at least 1, got 0")
  expect_error(m$choose_k(blobs$X, ks = 0), "ks must be at least 1, got 0")  # one K is a sequence too
  expect_error(m$dpmm(blobs$X, T = 1), "T must be at least 2, got 1")
  expect_error(m$dpmm(blobs$X, T = 1.5), "T must be a whole number, got 1.5")
  expect_error(m$dpmm(blobs$X, T = 4, num_samples = 10.5), "num_samples must be a whole number, got 10.5")
  # how the mixture methods pass Python's warnings on: as R warnings, the value unchanged
  warn <- bayesforge:::helpers$recording_warnings(reticulate::import("warnings", convert = FALSE)$warn)
  expect_warning(value <- bayesforge:::with_python_warnings(reticulate::py_call(warn, "a warning from Python")),
                 "a warning from Python")
  expect_null(reticulate::py_to_r(value))
})

# The blobs, truncation and chains of tests/mixtures/test_dpmm.py's fit (scikit-learn's make_blobs, 200 points):
# the same NUTS program, so the run's compilation cache compiles it once for both.
python_test_blobs <- function() {
  blobs <- reticulate::import("sklearn.datasets", convert = FALSE)$make_blobs(
    n_samples = 200L, centers = list(c(-6, 0), c(0, 6), c(6, 0)), cluster_std = 1.0, random_state = 3L)
  list(X = bf_to_r(reticulate::py_get_item(blobs, 0L)), labels = bf_to_r(reticulate::py_get_item(blobs, 1L)) + 1L)
}

test_that("m$dpmm finds the clusters; its members and methods are the fit's", {
  skip_if_no_core()
  blobs <- python_test_blobs()
  m <- bf(platform = "cpu")
  dp <- m$dpmm(blobs$X, T = 6, num_warmup = 150, num_samples = 150, num_chains = 2)
  expect_s3_class(dp, "bayesforge.mixtures.result.MixtureFit")
  expect_identical(dp$kind, "dpmm")
  expect_identical(dp$K, 6L)
  occupied <- dp$occupied_clusters(seed = 1)
  expect_true(is.integer(occupied) && length(occupied) == 300L)
  counts <- tabulate(occupied, nbins = 6)
  expect_identical(which.max(counts), 3L)
  expect_identical(dim(predict(dp, type = "prob")), c(200L, 6L))
  labels <- predict(dp)
  expect_identical(labels, dp$predict())
  expect_true(all(labels %in% 1:6))
  expect_equal(purity(blobs$labels, labels), 1)
  expect_equal(adjusted_rand_index(labels, blobs$labels), 1)
  expect_match(capture.output(print(dp))[[1L]], "^Dirichlet-process mixture of Gaussians \\(DPMM\\), truncated at 6")
  expect_false(any(grepl("\\[0", row.names(summary(dp)))))
  expect_identical(nobs(dp), 200L)
})
