# Data given to a mixture (m$gmm(data), predict(fit, newdata), ...) is checked in R: every bad
# input is an R error naming the argument, positions count from 1, nothing reaches Python.

with_na <- function(row, column, value = NA) {
  x <- matrix(as.double(1:12), nrow = 4)
  x[row, column] <- value
  x
}

bad_inputs <- list(
  list(what = "a list of vectors", value = list(1:5, 6:10),
       error = "data must be a numeric matrix or data.frame \\(N rows x D columns\\), got a list of 2; put the columns together with cbind\\(\\)"),
  list(what = "complex numbers", value = complex(real = 1:4, imaginary = 1),
       error = "data must be a numeric matrix or data.frame .*, got complex"),
  list(what = "text that looks numeric", value = c("1.5", "2.5", "3"),
       error = "data must be a numeric matrix or data.frame .*, got text \\(character\\); it looks numeric \\(\"1.5\"\\): convert it with as.numeric\\(\\)"),
  list(what = "text", value = c("a", "b"), error = "got text \\(character\\)$"),
  list(what = "a numeric-looking character column", value = data.frame(x = 1:3, y = c("1.5", "2", "2.5")),
       error = "data: column 2 \\('y'\\) is text \\(character\\), not numeric; it looks numeric \\(\"1.5\"\\)"),
  list(what = "a factor column", value = data.frame(x = 1:3, g = factor(c("a", "b", "a"))),
       error = "data: column 2 \\('g'\\) is a factor, not numeric"),
  list(what = "a list column", value = local({ d <- data.frame(x = 1:2); d$l <- list(1, 2); d }),
       error = "data: column 2 \\('l'\\) is list, not numeric"),
  list(what = "a factor", value = factor(c("a", "b")), error = "data must be a numeric matrix .*, got a factor"),
  list(what = "a 3-d array", value = array(0, c(2, 2, 2)), error = "got an array with 3 dimensions"),
  list(what = "a function", value = mean, error = "data must be a numeric matrix .*, got function"),
  list(what = "NA at [3,2]", value = with_na(3, 2),
       error = "data has 1 missing or infinite value\\(s\\) \\(NA, NaN, Inf\\), the first at row 3, column 2$"),
  list(what = "NaN at [1,3]", value = with_na(1, 3, NaN), error = "the first at row 1, column 3$"),
  list(what = "Inf at [4,1]", value = with_na(4, 1, Inf), error = "the first at row 4, column 1$"),
  list(what = "NA in a vector (one feature)", value = c(1, 2, NA, 4), error = "the first at row 3, column 1$"),
  list(what = "NA in a data.frame, named column", value = data.frame(a = c(1, 2, 3), b = c(1, NA, NA)),
       error = "data has 2 missing .* the first at row 2, column 2 \\('b'\\)$"),
  list(what = "the first NA by rows", value = { x <- with_na(4, 1); x[2, 3] <- NA; x },
       error = "data has 2 missing .* the first at row 2, column 3$"),
  list(what = "no rows", value = matrix(numeric(0), 0, 2), error = "data is empty \\(0 rows, 2 columns\\)"),
  list(what = "no columns", value = data.frame(row.names = 1:3), error = "data is empty \\(3 rows, 0 columns\\)")
)

test_that("bad data is an R error naming the argument, positions from 1 (table)", {
  for (case in bad_inputs) {
    expect_error(bayesforge:::data_matrix(case$value, "data"), case$error, class = "bayesforge_error",
                 label = case$what)
  }
})

test_that("good data becomes a numeric matrix with its column names", {
  frame <- data.frame(eruptions = c(3.6, 1.8), waiting = c(79L, 54L), long = c(TRUE, FALSE))
  expect_identical(bayesforge:::data_matrix(frame, "data"),
                   matrix(c(3.6, 1.8, 79, 54, 1, 0), 2, dimnames = list(NULL, c("eruptions", "waiting", "long"))))
  expect_identical(bayesforge:::data_matrix(c(1L, 2L, 3L), "X"), matrix(c(1, 2, 3), ncol = 1L))
  expect_identical(bayesforge:::data_matrix(matrix(1:4, 2), "X"), matrix(as.double(1:4), 2))
  named <- matrix(1:4, 2, dimnames = list(c("r1", "r2"), c("a", "b")))
  expect_identical(bayesforge:::data_matrix(named, "X"), matrix(as.double(1:4), 2, dimnames = list(NULL, c("a", "b"))))
})

test_that("the mixture methods check their data in R before Python runs", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  x <- c(-1, -1.2, -0.8, 1, 1.1, 0.9)
  # m$gmm(list(x, y)) once fitted "2 x 80 data"; now each bad input is refused with its name
  expect_error(m$gmm(list(x, x + 1), K = 2), "data must be a numeric matrix .*, got a list of 2", class = "bayesforge_error")
  expect_error(m$gmm(data = complex(real = x), K = 2), "data must be .*got complex", class = "bayesforge_error")
  expect_error(m$dpmm(data.frame(a = x, b = as.character(x)), T = 3),
               "data: column 2 \\('b'\\) is text \\(character\\), not numeric; it looks numeric", class = "bayesforge_error")
  expect_error(m$choose_k(cbind(x, c(1, 2, NA, 4, 5, 6)), ks = 1:2),
               "data has 1 missing or infinite value\\(s\\) .* the first at row 3, column 2$",
               class = "bayesforge_error")
  expect_error(m$gmm(x, K = 2, initial_means = c(-1, NA)), "initial_means has 1 missing .* row 2, column 1",
               class = "bayesforge_error")
  expect_error(m$ml$KMEANS(list(x), n_clusters = 2), "data must be a numeric matrix", class = "bayesforge_error")
  expect_error(m$gmm(x, 2, 3), "takes 2 unnamed argument\\(s\\) \\(data, K\\), got 3", class = "bayesforge_error")
  expect_error(m$fit(function(y) NULL, 100), "arguments after the first must be named", class = "bayesforge_error")
})
