# R values in, Python values out and back: orientation, types, data.frames, exactness, speed.

np <- function() reticulate::import("numpy", convert = FALSE)
py_value <- function(x) reticulate::py_to_r(x)
py_type <- function(x) py_value(reticulate::import_builtins(convert = FALSE)$type(x)$`__name__`)
py_shape <- function(x) as.integer(unlist(py_value(reticulate::py_get_attr(x, "shape"))))
element <- function(x, ...) py_value(reticulate::py_get_item(x, reticulate::tuple(...))$item())

test_that("an R matrix reaches Python with the same rows and columns", {
  skip_if_no_core()
  x <- matrix(c(1.5, 2.5, 3.5, 4.5, 5.5, 6.5), nrow = 2)  # columns (1.5, 2.5), (3.5, 4.5), (5.5, 6.5)
  p <- bf_to_py(x)
  expect_equal(py_shape(p), c(2L, 3L))
  expect_identical(element(p, 0L, 2L), 5.5)
  expect_identical(element(p, 1L, 0L), 2.5)
  expect_identical(py_value(p$dtype$name), "float64")
  expect_true(py_value(p$flags$c_contiguous))
  expect_identical(bf_to_r(p), x)
})

test_that("a 3-d array keeps its index order both ways", {
  skip_if_no_core()
  x <- array(as.double(seq_len(24)), dim = c(2, 3, 4))
  p <- bf_to_py(x)
  expect_equal(py_shape(p), c(2L, 3L, 4L))
  expect_identical(element(p, 1L, 2L, 3L), x[2, 3, 4])
  expect_identical(element(p, 0L, 1L, 2L), x[1, 2, 3])
  expect_identical(bf_to_r(p), x)
  # and an array made in Python: numpy.arange(24).reshape(2, 3, 4) in C order
  q <- bf_to_r(np()$arange(24L)$reshape(2L, 3L, 4L))
  expect_identical(dim(q), c(2L, 3L, 4L))
  expect_identical(q[2, 3, 4], 23L)
  expect_identical(q[1, 2, 3], 6L)  # 0*12 + 1*4 + 2
})

test_that("a data.frame becomes an N x D float matrix, columns in order", {
  skip_if_no_core()
  frame <- data.frame(a = 1:3, b = c(0.5, 1.5, 2.5), c = c(TRUE, FALSE, TRUE))
  p <- bf_to_py(frame)
  expect_equal(py_shape(p), c(3L, 3L))
  expect_identical(py_value(p$dtype$name), "float64")
  expect_identical(bf_to_r(p), unname(as.matrix(data.frame(a = c(1, 2, 3), b = c(0.5, 1.5, 2.5), c = c(1, 0, 1)))))
  expect_error(bf_to_py(data.frame(a = 1:2, who = c("x", "y"))), "column 'who' is character, not numeric",
               class = "bayesforge_error")
})

test_that("types: integers, logicals, doubles, strings, NULL, lists", {
  skip_if_no_core()
  expect_identical(py_value(bf_to_py(1:4)$dtype$name), "int32")
  expect_identical(py_value(bf_to_py(c(TRUE, FALSE))$dtype$name), "bool")
  expect_identical(py_type(bf_to_py(8)), "float")
  expect_identical(py_type(bf_to_py(8L)), "int")
  expect_identical(py_type(bf_to_py(TRUE)), "bool")
  expect_identical(py_type(bf_to_py("a")), "str")
  expect_identical(py_type(bf_to_py(NULL)), "NoneType")
  expect_identical(py_type(bf_to_py(c(1, 2))), "ndarray")
  expect_identical(py_type(bf_to_py(list(a = 1, b = list(2, "x")))), "dict")
  expect_identical(bf_to_r(bf_to_py(list(a = 1, b = list(2L, "x")))), list(a = 1, b = list(2L, "x")))
  expect_identical(bf_to_r(bf_to_py(c(TRUE, NA, FALSE)[c(1, 3)])), c(TRUE, FALSE))
  with_na <- bf_to_py(c(1, NA))
  expect_true(bf_to_r(np()$isnan(reticulate::py_get_item(with_na, 1L))))  # NaN in Python
  expect_identical(bf_to_r(with_na), c(1, NA))  # and NA_real_ again in R (same bits)
  expect_error(bf_to_py(c(1L, NA)), "has NA values", class = "bayesforge_error")
  expect_error(bf_to_py(factor("a")), "is a factor", class = "bayesforge_error")
  # what Python gives back
  expect_identical(bf_to_r(np()$arange(3L)$astype("int64")), 0:2)
  expect_identical(bf_to_r(np()$left_shift(np()$arange(1L, 3L)$astype("int64"), 40L)), c(1, 2) * 2^40)
  expect_identical(bf_to_r(bf_jnp()$ones(2L)), c(1, 1))  # float32 -> double, exactly
  expect_identical(bf_to_r(reticulate::py_eval("{'x': None, 'y': (1, 2.5)}", convert = FALSE)),
                   list(x = NULL, y = list(1L, 2.5)))
  expect_identical(bf_to_r(reticulate::py_eval("('eruptions', 'waiting')", convert = FALSE)), c("eruptions", "waiting"))
  pd <- reticulate::import("pandas", convert = FALSE)
  series <- pd$Series(list(-10.5, "log", bf_to_py(c(1, 2))), index = list("elpd", "scale", "pointwise"))
  expect_identical(bf_to_r(series), list(elpd = -10.5, scale = "log", pointwise = c(1, 2)))  # as ArviZ's ELPDData
  expect_identical(bf_to_r(pd$Series(bf_to_py(c(0.5, 1.5)))), c(0.5, 1.5))
})

test_that("a 10^6-element array round-trips exactly and fast", {
  skip_if_no_core()
  set.seed(1)
  x <- c(rnorm(1e6 - 6), Inf, -Inf, NaN, 5e-324, -0, .Machine$double.xmax)
  elapsed <- system.time(back <- bf_to_r(p <- bf_to_py(x)))[["elapsed"]]
  expect_true(identical(back, x, num.eq = FALSE))  # bit for bit (sign of zero included)
  expect_identical(py_shape(p), 1000000L)
  expect_identical(element(p, 17L), x[18])
  expect_lt(elapsed, 5)  # ~0.05 s; building arrays from R lists took over a minute
  m <- matrix(x, nrow = 1000)
  expect_true(identical(bf_to_r(bf_to_py(m)), m, num.eq = FALSE))
})

test_that("a pandas DataFrame becomes an R data.frame with its row names", {
  skip_if_no_core()
  pd <- reticulate::import("pandas", convert = FALSE)
  frame <- pd$DataFrame(reticulate::py_dict(list("mean", "label"), list(bf_to_py(c(0.5, 1.5)), list("a", "b"))),
                        index = list("mu[0]", "mu[1]"))
  r <- bf_to_r(frame)
  expect_s3_class(r, "data.frame")
  expect_identical(row.names(r), c("mu[0]", "mu[1]"))
  expect_identical(r$mean, c(0.5, 1.5))
  expect_identical(r$label, c("a", "b"))
})

test_that("bf_int accepts whole numbers and refuses the rest with the name", {
  expect_identical(bf_int(8), 8L)
  expect_identical(bf_int(c(2, 3)), c(2L, 3L))
  expect_identical(bf_int(5L), 5L)
  expect_error(bf_int(8.5, "num_warmup"), "num_warmup must be a whole number, got 8.5", class = "bayesforge_error")
  expect_error(bf_int("8", "K"), "K must be a whole number, got character", class = "bayesforge_error")
  expect_error(bf_int(NA_real_, "K"), "K must be a whole number, got NA")
  expect_error(bf_int(Inf, "K"), "K must be a whole number, got Inf")
  expect_error(bf_int(3e9, "K"), "K must be a whole number")
})

test_that("data_on_model: whole numbers become ints, arrays arrays, and it reads back as R", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  m$data_on_model <- list(data = matrix(c(1, 2, 3, 4), 2), K = 8, scale = 0.5, n = 3L, y = c(1, 2, 3))
  stored <- reticulate::py_get_attr(m, "data_on_model")
  types <- vapply(c("data", "K", "scale", "n", "y"), function(k) py_type(reticulate::py_get_item(stored, k)), "")
  expect_identical(unname(types), c("ndarray", "int", "float", "int", "ndarray"))
  back <- m$data_on_model
  expect_identical(back, list(data = matrix(c(1, 2, 3, 4), 2), K = 8L, scale = 0.5, n = 3L, y = c(1, 2, 3)))
  m$data_on_model$K <- 4  # read, modify, write back
  expect_identical(m$data_on_model$K, 4L)
})

test_that("fit counts written as R doubles are whole numbers for the core, and 20.5 is refused", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  # the model, data and settings of test-persist.R's m$fit(): one compilation serves both
  m$data_on_model <- list(y = c(0.9, 1.1, 1.0))
  model <- r_normal_mean(m)
  m$fit(model, num_warmup = 100, num_samples = 100, num_chains = 1, progress_bar = FALSE)  # doubles, as R writes them
  expect_identical(dim(m$posteriors$mu), NULL)
  expect_length(m$posteriors$mu, 100L)
  expect_error(m$fit(model, num_warmup = 20.5, progress_bar = FALSE), "num_warmup must be a whole number, got 20.5")
})

test_that("R operators and dim() work on Python arrays", {
  skip_if_no_core()
  jnp <- bf_jnp()
  x <- jnp$arange(1, 4)  # [1, 2, 3]
  expect_identical(bf_to_r(0.5 * x), c(0.5, 1, 1.5))
  expect_identical(bf_to_r(x - bf_to_py(c(1, 1, 1))), c(0, 1, 2))
  expect_identical(bf_to_r(-x), c(-1, -2, -3))
  expect_identical(bf_to_r(x^2), c(1, 4, 9))
  expect_identical(bf_to_r(x / x), c(1, 1, 1))
  expect_identical(bf_to_r(x %% 2), c(1, 0, 1))
  expect_identical(bf_to_r(jnp$ones(c(2L, 3L)) * matrix(1:6, 2)), matrix(as.double(1:6), 2))
  expect_identical(dim(jnp$ones(c(2L, 3L))), c(2L, 3L))
  expect_identical(ncol(jnp$ones(c(4L, 5L))), 5L)
  expect_null(dim(reticulate::py_eval("object()", convert = FALSE)))
})

test_that("the package adds Ops only where reticulate has no arithmetic of its own", {
  reticulate_has_arithmetic <- !is.null(utils::getS3method("+", "python.builtin.object", optional = TRUE,
                                                           envir = asNamespace("reticulate")))
  ours <- utils::getS3method("Ops", "python.builtin.object", optional = TRUE)
  if (reticulate_has_arithmetic) {  # reticulate >= 1.29: its operators are used as they are
    expect_null(ours)
  } else {                          # reticulate 1.28 (Debian): ours, with R arrays sent as NumPy arrays
    expect_identical(ours, python_ops)
    skip_if_no_core()
    x <- bf_jnp()$arange(1, 4)
    expect_identical(bf_to_r(x - c(1, 1, 1)), c(0, 1, 2))
    expect_identical(bf_to_r(c(3, 2, 1) * x), c(3, 4, 3))
  }
  expect_false(is.null(utils::getS3method("dim", "python.builtin.object", optional = TRUE)))
})
