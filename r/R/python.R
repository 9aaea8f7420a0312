# The one path by which members of the core's Python objects reach R.
#
# `x$name` on a fit, a K selection, a workspace or m$ml reads the Python attribute `name`: a
# value is converted to R (bf_to_r: arrays, tables, numbers, lists; other Python objects stay
# Python objects), a method becomes an R function whose arguments are converted to Python and
# whose result is converted back. Nothing here lists the members: what the core adds is
# reachable from R at once. Only members whose R meaning differs (1-based labels and names)
# have R versions, given to python_member() as `overrides`.
#
# Arguments: R's unnamed arguments fill the Python parameters in order (Python's signature is
# asked for their names), data arguments (data_arguments) are checked in R as N x D numeric
# matrices (data_matrix: messages count rows and columns from 1), the rest convert as everywhere
# (to_py). Counts may be written as R doubles: the core turns whole floats into ints where it
# wants them (bayesforge.interop.as_int), with a message naming the argument otherwise. Python's
# warnings become R warnings.

# Parameters that take data: an N x D numeric matrix.
data_arguments <- c("X", "data", "initial_means")
# Parameters that take a sequence, also of one element (R has no scalars: ks = 3 is one K).
sequence_arguments <- c("ks")

python_member <- function(x, name, overrides = list()) {
  override <- overrides[[name]]
  if (!is.null(override)) return(override(x))
  value <- reticulate::py_get_attr(x, name)
  if (py_callable(value)) python_method(value, name) else bf_to_r(value)
}

python_method <- function(fn, name) {
  force(fn)
  force(name)
  function(...) bf_to_r(call_python(fn, list(...), paste0(name, "()")))
}

# Call the Python callable `fn` with R arguments (a list, named or not); the raw Python result.
call_python <- function(fn, args, what = "a Python method") {
  args <- python_arguments(fn, args, what)
  with_python_warnings(do.call(reticulate::py_call, c(list(helpers$recording_warnings(fn)), args)))
}

python_arguments <- function(fn, args, what) {
  keys <- names(args)
  if (is.null(keys)) keys <- rep("", length(args))
  unnamed <- which(!nzchar(keys))
  if (length(unnamed)) {
    parameters <- bf_to_r(helpers$positional_names(fn))  # NULL: Python takes them as they come
    if (!is.null(parameters)) {
      free <- setdiff(as.character(parameters), keys)
      if (length(unnamed) > length(free)) {
        bf_abort(sprintf("%s takes %d unnamed argument(s) (%s), got %d", what, length(free),
                         paste(free, collapse = ", "), length(unnamed)))
      }
      keys[unnamed] <- free[seq_along(unnamed)]
    }
  }
  out <- lapply(seq_along(args), function(i) {
    key <- keys[[i]]
    label <- if (nzchar(key)) key else sprintf("argument %d", i)
    value <- args[[i]]
    if (is.null(value) || is_py(value)) return(to_py(value, whole_as_int = FALSE, where = label))
    if (key %in% data_arguments) return(data_to_python(value, label))
    if (key %in% sequence_arguments && is.atomic(value)) value <- as.list(value)
    to_py(value, whole_as_int = FALSE, where = label)
  })
  names(out) <- keys
  out
}

# A Python (result, [messages]) pair from helpers$recording_warnings(): the messages as R
# warnings, then the result.
with_python_warnings <- function(pair) {
  messages <- reticulate::py_to_r(helpers$item(pair, 1L))
  for (message in as.character(unlist(messages))) warning(message, call. = FALSE)
  helpers$item(pair, 0L)
}
