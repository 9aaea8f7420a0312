# Conversion between R values and Python values.
#
# Arrays travel as raw bytes (see inst/python/_bayesforge_r.py): exact, fast, and independent of
# reticulate's NumPy bindings, which in reticulate 1.28 cannot talk to NumPy 2.

is_py <- function(x) inherits(x, "python.builtin.object")

type_name <- function(x) {
  if (is_py(x)) paste("Python", class(x)[[1L]]) else paste(class(x), collapse = "/")
}

bf_int <- function(x, name = "value") {
  label <- if (is.character(name) && length(name) == 1L) name else "value"
  if (is_py(x)) x <- bf_to_r(x)
  if (!is.numeric(x)) {
    bf_abort(sprintf("%s must be a whole number, got %s", label, type_name(x)))
  }
  if (length(x) == 0L) bf_abort(sprintf("%s must be a whole number, got an empty vector", label))
  if (anyNA(x)) bf_abort(sprintf("%s must be a whole number, got NA", label))
  if (is.integer(x)) return(x)
  bad <- !is.finite(x) | x != round(x) | abs(x) > .Machine$integer.max
  if (any(bad)) {
    value <- x[which(bad)[1L]]
    bf_abort(sprintf("%s must be a whole number, got %s", label, format(value, digits = 15L)))
  }
  out <- as.integer(x)
  dim(out) <- dim(x)
  names(out) <- names(x)
  out
}

bf_to_py <- function(x) to_py(x, whole_as_int = FALSE, where = "x")

# R value -> Python value. whole_as_int: a single whole double (R's 8) becomes a Python int
# (data_on_model: sizes and counts), otherwise doubles stay floats.
to_py <- function(x, whole_as_int, where) {
  if (is_py(x)) return(x)
  if (is.null(x)) return(reticulate::py_none())
  if (is.data.frame(x)) return(frame_to_py(x, where))
  if (is.factor(x)) {
    bf_abort(sprintf("%s is a factor; convert it with as.integer() or as.character() first", where))
  }
  if (is.list(x)) return(list_to_py(x, whole_as_int, where))
  if (is.function(x) || is.environment(x)) return(reticulate::r_to_py(x, convert = FALSE))
  if (is.character(x)) {
    if (!is.null(dim(x))) bf_abort(sprintf("%s: character arrays are not supported", where))
    if (length(x) == 1L) return(reticulate::r_to_py(x))
    return(reticulate::r_to_py(as.list(x)))
  }
  if (!(is.double(x) || is.integer(x) || is.logical(x))) {
    bf_abort(sprintf("%s: cannot give a value of type %s to Python", where, type_name(x)))
  }
  if (is.null(dim(x)) && length(x) == 1L) return(scalar_to_py(x, whole_as_int, where))
  array_to_py(x, where)
}

scalar_to_py <- function(x, whole_as_int, where) {
  if (is.na(x) && !is.nan(x) && !is.double(x)) {
    bf_abort(sprintf("%s is NA; Python has no missing %s", where, typeof(x)))
  }
  if (is.logical(x)) return(reticulate::r_to_py(x))
  if (is.integer(x) || (whole_as_int && is.finite(x) && x == round(x) && abs(x) <= .Machine$integer.max)) {
    return(reticulate::r_to_py(as.integer(x)))
  }
  reticulate::r_to_py(as.double(x))
}

array_to_py <- function(x, where) {
  type <- typeof(x)
  if (type != "double" && anyNA(x)) {
    bf_abort(sprintf("%s has NA values; Python has no missing %s (use a double array with NaN)", where, type))
  }
  dims <- if (is.null(dim(x))) length(x) else dim(x)
  values <- if (type == "logical") as.integer(x) else x
  bytes <- writeBin(as.vector(values), raw(), endian = "little")
  helpers$array_from_r(bytes, type, as.list(as.integer(dims)))
}

frame_to_py <- function(x, where) {
  numeric <- vapply(x, function(column) is.numeric(column) || is.logical(column), logical(1))
  if (!all(numeric)) {
    first <- names(x)[!numeric][1L]
    bf_abort(sprintf("%s: data.frame column '%s' is %s, not numeric; a model needs a numeric N x D matrix",
                     where, first, type_name(x[[first]])))
  }
  matrix <- if (ncol(x) == 0L) matrix(numeric(0), nrow(x), 0L) else as.matrix(x)
  dimnames(matrix) <- NULL
  storage.mode(matrix) <- "double"
  array_to_py(matrix, where)
}

list_to_py <- function(x, whole_as_int, where) {
  keys <- names(x)
  items <- lapply(seq_along(x), function(i) {
    label <- if (!is.null(keys) && nzchar(keys[[i]])) sprintf("%s$%s", where, keys[[i]]) else sprintf("%s[[%d]]", where, i)
    to_py(x[[i]], whole_as_int, label)
  })
  if (is.null(keys)) return(reticulate::r_to_py(items))
  if (any(!nzchar(keys)) || anyDuplicated(keys)) {
    bf_abort(sprintf("%s: a named list given to Python needs unique, non-empty names", where))
  }
  reticulate::py_dict(keys, items, convert = FALSE)
}

bf_to_r <- function(x) {
  if (!is_py(x)) return(x)
  switch(
    reticulate::py_to_r(helpers$kind(x)),
    none = NULL,
    scalar = reticulate::py_to_r(helpers$scalar(x)),
    array = array_to_r(x),
    frame = frame_to_r(x),
    dict = {
      parts <- helpers$dict_parts(x)
      keys <- as.character(reticulate::py_to_r(helpers$item(parts, 0L)))
      values <- helpers$item(parts, 1L)
      out <- lapply(seq_along(keys) - 1L, function(i) bf_to_r(helpers$item(values, i)))
      names(out) <- keys
      out
    },
    series = {
      parts <- helpers$series_parts(x)
      keys <- as.character(unlist(reticulate::py_to_r(helpers$item(parts, 0L))))
      values <- helpers$item(parts, 1L)
      out <- lapply(seq_along(keys) - 1L, function(i) bf_to_r(helpers$item(values, i)))
      names(out) <- keys
      out
    },
    strings = as.character(unlist(reticulate::py_to_r(x))),
    sequence = lapply(seq_len(reticulate::py_len(x)) - 1L, function(i) bf_to_r(helpers$item(x, i))),
    x
  )
}

array_to_r <- function(x) {
  parts <- reticulate::py_to_r(helpers$array_to_r(x))
  values <- parts[[1L]]
  type <- parts[[2L]]
  dims <- as.integer(unlist(parts[[3L]]))
  n <- prod(dims)
  out <- switch(
    type,
    double = readBin(values, "double", n = n, size = 8L, endian = "little"),
    integer = readBin(values, "integer", n = n, size = 4L, endian = "little"),
    logical = readBin(values, "integer", n = n, size = 4L, endian = "little") != 0L,
    character = as.character(unlist(values))
  )
  if (length(dims) >= 2L) dim(out) <- dims
  out
}

frame_to_r <- function(x) {
  parts <- helpers$frame_parts(x)
  names <- as.character(unlist(reticulate::py_to_r(helpers$item(parts, 0L))))
  columns <- helpers$item(parts, 1L)
  rows <- as.character(unlist(reticulate::py_to_r(helpers$item(parts, 2L))))
  out <- lapply(seq_along(names) - 1L, function(i) array_to_r(helpers$item(columns, i)))
  names(out) <- names
  frame <- as.data.frame(out, optional = TRUE, stringsAsFactors = FALSE)
  names(frame) <- names
  if (length(rows) == nrow(frame) && !anyDuplicated(rows)) row.names(frame) <- rows
  frame
}

py_callable <- function(x) isTRUE(reticulate::py_to_r(helpers$is_callable(x)))

# Data given to a model or a fit (an argument called X, data, ...): an N x D numeric matrix,
# checked in R so that every message names the argument and counts rows and columns from 1.
# A data.frame or matrix keeps its column names (NULL when it has none); a plain numeric vector
# is one feature (N x 1), as elsewhere in R.
data_matrix <- function(x, where) {
  if (is.data.frame(x)) return(frame_matrix(x, where))
  expected <- "a numeric matrix or data.frame (N rows x D columns)"
  if (is.list(x)) {
    bf_abort(sprintf(paste0("%s must be %s, got a list of %d; put the columns together with cbind() or ",
                            "data.frame() first"), where, expected, length(x)))
  }
  if (is.factor(x)) bf_abort(sprintf("%s must be %s, got a factor", where, expected))
  if (is.character(x)) {
    bf_abort(sprintf("%s must be %s, got text (character)%s", where, expected, numeric_text_hint(x)))
  }
  if (!(is.numeric(x) || is.logical(x))) bf_abort(sprintf("%s must be %s, got %s", where, expected, type_name(x)))
  dims <- dim(x)
  if (length(dims) > 2L) {
    bf_abort(sprintf("%s must be %s, got an array with %d dimensions", where, expected, length(dims)))
  }
  names <- if (length(dims) == 2L) colnames(x) else NULL
  matrix <- if (is.null(dims)) matrix(as.double(x), ncol = 1L) else matrix(as.double(x), dims[[1L]], dims[[2L]])
  checked_matrix(matrix, names, where)
}

frame_matrix <- function(x, where) {
  for (j in seq_along(x)) {
    column <- x[[j]]
    if (is.numeric(column) || is.logical(column)) next
    what <- sprintf("%s: column %d ('%s')", where, j, names(x)[[j]])
    if (is.character(column)) {
      bf_abort(sprintf("%s is text (character), not numeric%s", what, numeric_text_hint(column)))
    }
    if (is.factor(column)) {
      bf_abort(sprintf("%s is a factor, not numeric; a mixture needs numeric features", what))
    }
    bf_abort(sprintf("%s is %s, not numeric", what, type_name(column)))
  }
  matrix <- matrix(as.double(unlist(x, use.names = FALSE)), nrow = nrow(x), ncol = ncol(x))
  checked_matrix(matrix, names(x), where)
}

numeric_text_hint <- function(x) {
  values <- x[!is.na(x)]
  if (length(values) && !anyNA(suppressWarnings(as.numeric(values)))) {
    return(sprintf("; it looks numeric (\"%s\"): convert it with as.numeric() first", values[[1L]]))
  }
  ""
}

checked_matrix <- function(x, names, where) {
  if (!nrow(x) || !ncol(x)) bf_abort(sprintf("%s is empty (%d rows, %d columns)", where, nrow(x), ncol(x)))
  bad <- which(!is.finite(x), arr.ind = TRUE)
  if (nrow(bad)) {
    first <- bad[order(bad[, 1L], bad[, 2L])[1L], ]
    name <- if (is.null(names)) "" else names[[first[[2L]]]]
    column <- if (is.na(name) || !nzchar(name)) "" else sprintf(" ('%s')", name)
    bf_abort(sprintf("%s has %d missing or infinite value(s) (NA, NaN, Inf), the first at row %d, column %d%s",
                     where, nrow(bad), first[[1L]], first[[2L]], column))
  }
  colnames(x) <- names
  x
}

# A checked data matrix to Python: a pandas DataFrame when it has column names (the core keeps
# them as the fit's feature names), else a NumPy array.
data_to_python <- function(x, where) {
  if (is_py(x)) return(x)
  matrix <- data_matrix(x, where)
  names <- colnames(matrix)
  if (is.null(names)) return(array_to_py(unname(matrix), where))
  bytes <- writeBin(as.vector(matrix), raw(), endian = "little")
  helpers$frame_from_r(bytes, "double", as.list(dim(matrix)), as.list(names))
}
