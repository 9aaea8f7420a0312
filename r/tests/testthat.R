library(testthat)
library(bayesforge)

test_check("bayesforge")
