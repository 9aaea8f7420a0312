# R's operators and dim() on Python objects (JAX arrays and tracers, NumPy arrays), forwarded to
# Python, so a model reads `0.5 * jnp$ones(K)` and `ncol(data)` as in R. Registered by .onLoad
# only where reticulate lacks them (see register_python_methods()).

# R operator -> name in Python's `operator` module.
python_operators <- c(
  "+" = "add", "-" = "sub", "*" = "mul", "/" = "truediv", "^" = "pow", "%%" = "mod",
  "%/%" = "floordiv", "==" = "eq", "!=" = "ne", "<" = "lt", "<=" = "le", ">" = "gt",
  ">=" = "ge", "&" = "and_", "|" = "or_"
)

python_ops <- function(e1, e2) {
  if (missing(e2)) {
    name <- switch(.Generic, "-" = "neg", "+" = "pos", "!" = "invert",
                   bf_abort(sprintf("unary %s is not defined for Python objects", .Generic)))
    return(helpers$unary(name, operand_to_py(e1)))
  }
  name <- python_operators[[.Generic]]
  helpers$binary(name, operand_to_py(e1), operand_to_py(e2))
}

operand_to_py <- function(x) to_py(x, whole_as_int = FALSE, where = "operand")

python_dim <- function(x) {
  shape <- reticulate::py_to_r(helpers$shape(x))
  if (is.null(shape) || length(shape) == 0L) return(NULL)
  as.integer(unlist(shape))
}
