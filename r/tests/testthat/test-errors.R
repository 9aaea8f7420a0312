# Python exceptions arrive as R errors with the Python message; R-side misuse is an R error that
# says what was expected.

test_that("an unknown distribution is an error listing the valid names", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  expect_error(m$dist$dirichlett, "m.dist has no distribution 'dirichlett'; did you mean dirichlet")
  # the same error from inside a model, while NumPyro traces it
  m$data_on_model <- list(y = c(0.1, 0.2))
  model <- function(y) m$dist$normall(0, 1, name = "y", obs = y)
  expect_error(m$fit(model, num_warmup = 10, num_samples = 10, num_chains = 1, progress_bar = FALSE),
               "m.dist has no distribution 'normall'; did you mean normal")
})

test_that("Python's argument errors reach R with their message", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  expect_error(m$dist$normal(0, 1, scal = 2, create_obj = TRUE),
               "m.dist.normal\\(\\) got unexpected argument\\(s\\) \\['scal'\\]; it takes: loc, scale")
  m$data_on_model <- list(data = c(1, 2))
  model <- function(data, K) NULL
  expect_error(m$fit(model, progress_bar = FALSE), "data_on_model has no 'K', needed by model\\(data, K\\)")
  expect_error(m$summary(), "m.summary\\(\\): the last fit failed: ValueError: data_on_model has no 'K'")
  expect_error(bf(platform = "cpu")$summary(), "call m.fit\\(model\\) first")
})

test_that("an R error inside the model surfaces with its message", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  m$data_on_model <- list(y = c(0.1, 0.2))
  model <- function(y) stop("the model found something wrong")
  expect_error(m$fit(model, num_warmup = 10, num_samples = 10, num_chains = 1, progress_bar = FALSE),
               "the model found something wrong")
})

test_that("a model that is not a function is an R error saying what was expected", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  m$data_on_model <- list(y = 1)
  expect_error(m$fit("gmm"), "model must be an R function .* got character", class = "bayesforge_error")
  expect_error(m$fit(42), "model must be an R function .* got numeric", class = "bayesforge_error")
  expect_error(m$fit(function(...) NULL), "named arguments \\(no '...'\\)", class = "bayesforge_error")
  expect_error(m$fit(function(y) NULL, 10), "arguments after the first must be named", class = "bayesforge_error")
})

test_that("data_on_model must be a named list", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  expect_error(m$data_on_model <- 5, "data_on_model must be a named list of the model's arguments .* got numeric",
               class = "bayesforge_error")
  expect_error(m$data_on_model <- list(1, 2), "every element needs the name of a model argument",
               class = "bayesforge_error")
  expect_error(m$data_on_model <- list(y = 1, 2), "every element needs the name", class = "bayesforge_error")
  expect_error(m$data_on_model <- data.frame(y = 1), "got data.frame", class = "bayesforge_error")
  expect_error(m$data_on_model <- list(y = 1, y = 2), "has the name 'y' twice", class = "bayesforge_error")
  expect_error(m$data_on_model <- list(y = factor("a")), "data_on_model\\$y is a factor", class = "bayesforge_error")
  expect_identical(m$data_on_model, structure(list(), names = character(0)))  # unchanged by the failures
})

test_that("bf() checks its arguments in R", {
  expect_error(bf(cores = 2.5), "cores must be a whole number, got 2.5", class = "bayesforge_error")
  expect_error(bf(platform = 1), "platform must be NULL or one of", class = "bayesforge_error")
  expect_error(bf(x64 = "yes"), "x64 must be TRUE or FALSE", class = "bayesforge_error")
  skip_if_no_core()
  expect_error(bf(platform = "quantum"), "platform must be None or one of \\('cpu', 'gpu', 'tpu'\\)")
})
