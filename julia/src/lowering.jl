"""
    Lowering

What `@BF` does, as a plain function from expression to expression: [`lower_bf`](@ref).
This file needs nothing but Julia itself (no PythonCall, no Python), so the tests can
include it on its own and check the lowering without a Python interpreter.

    @BF function gmm(data, K, initial_means)
        body
    end

becomes

    gmm = wrapper(function (data, K, initial_means)
            body
        end, ["data", "K", "initial_means"], "gmm")

where `wrapper` is `BayesForge.foreign_model`: it keeps the anonymous Julia function, its
argument names and its name in a `BayesForge.Model` and touches no Python, so the expansion
can run while a package is precompiled. On first use (`m.fit(gmm)`, `Py(gmm)`) the model
becomes a Python callable (arguments arrive as `Py`, unconverted: JAX tracers stay tracers)
with the signature `(data, K, initial_means)` from `bayesforge.interop.model`, so `m.fit`
matches `m.data_on_model` to it exactly as it does for a Python model.

Argument annotations `::Py` (or `::PythonCall.Py`, `::Any`) are kept: `Py` is exported by
BayesForge, so `@BF function f(a::Py)` needs nothing but `using BayesForge`.
"""
module Lowering

export lower_bf

"""Python's reserved words (`keyword.kwlist`): valid Julia names, invalid Python argument names."""
const PYTHON_KEYWORDS = (
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
    "try", "while", "with", "yield",
)

const USAGE = """
    @BF wants a named function definition whose arguments are plain names, e.g.
        @BF function gmm(data, K, initial_means)
            ...
        end
    m.fit(gmm) then takes each argument from m.data_on_model by its name."""

function _location(source)
    source isa LineNumberNode || return ""
    file = source.file === nothing ? "none" : string(source.file)
    return " (at $(file):$(source.line))"
end

function _fail(message::AbstractString, source)
    throw(ArgumentError("@BF: " * message * _location(source) * "\n" * USAGE))
end

# How a piece of the user's code is quoted in an error message.
_show(ex) = ex isa Union{Expr,Symbol} ? string(ex) : repr(ex)

"""
    is_python_identifier(name::AbstractString) -> Bool

Whether Python accepts `name` as an argument name (`str.isidentifier()` and not a keyword):
a letter or `_`, then letters, digits, combining marks or `_`. Julia also accepts names such
as `x!`, `x₁` or `σ²`, which Python refuses.
"""
function is_python_identifier(name::AbstractString)
    isempty(name) && return false
    name in PYTHON_KEYWORDS && return false
    start = ("Lu", "Ll", "Lt", "Lm", "Lo", "Nl")
    continuing = (start..., "Mn", "Mc", "Nd", "Pc")
    for (i, c) in enumerate(name)
        c == '_' && continue
        category = Base.Unicode.category_abbrev(c)
        category in (i == 1 ? start : continuing) || return false
    end
    return true
end

# `f(args) = body` (short form) or `f(args)::T = body` counts as a function definition.
_is_signature(ex) =
    ex isa Expr && (ex.head === :call || ex.head === :where ||
                    (ex.head === :(::) && length(ex.args) == 2 && _is_signature(ex.args[1])))

function _function_parts(ex, source)
    ex isa Expr || _fail("expected a function definition, got `$(_show(ex))`", source)
    if ex.head === Symbol("function")   # (`:function` confuses some Julia grammars, e.g. tree-sitter's)
        length(ex.args) == 2 ||
            _fail("`function $(_show(ex.args[1])) end` declares no method: give the model its argument list and body", source)
        return ex.args[1], ex.args[2]
    elseif ex.head === :(=) && length(ex.args) == 2 && _is_signature(ex.args[1])
        return ex.args[1], ex.args[2]
    elseif ex.head === :->
        _fail("an anonymous function (`args -> body`) has no name for the model; write `@BF function name(args...) ... end`", source)
    elseif ex.head === :macrocall
        _fail("put @BF directly before `function`, not before another macro (`$(ex.args[1])`)", source)
    end
    _fail("expected a function definition, got `$(_show(ex))`", source)
end

function _name_and_arguments(signature, source)
    if signature isa Expr && signature.head === :where
        _fail("type parameters (`where ...`) are not supported: model arguments arrive as Python objects (`Py`)", source)
    end
    if signature isa Expr && signature.head === :(::)
        _fail("a return type annotation (`::$(_show(signature.args[end]))`) is not supported: the model's value goes back to Python", source)
    end
    if signature isa Symbol
        _fail("`$(signature)` has no argument list: write `@BF function $(signature)(args...) ... end`", source)
    end
    if !(signature isa Expr) || signature.head === :tuple
        _fail("an anonymous function has no name for the model; write `@BF function name(args...) ... end`", source)
    end
    signature.head === :call || _fail("expected a signature `name(args...)`, got `$(_show(signature))`", source)
    name = signature.args[1]
    if !(name isa Symbol)
        _fail("the model's name must be a plain name such as `gmm`, got `$(_show(name))`", source)
    end
    Base.isidentifier(name) || _fail("the model's name must be a plain name such as `gmm`, got `$(name)`", source)
    return name, signature.args[2:end]
end

_is_py_type(T) = T === :Py || T === :Any ||
    (T isa Expr && T.head === :. && length(T.args) == 2 && T.args[2] == QuoteNode(:Py))

function _argument_name(arg, source)
    if arg isa Expr && arg.head === :parameters
        keywords = join((_show(a) for a in arg.args), ", ")
        _fail("keyword arguments (`; $(keywords)`) are not supported: m.fit passes m.data_on_model " *
              "to the model's positional arguments by name; make them positional: `f(a, b)`", source)
    elseif arg isa Expr && arg.head === :kw
        _fail("default values (`$(_show(arg.args[1])) = $(_show(arg.args[2]))`) are not supported: " *
              "every argument comes from m.data_on_model", source)
    elseif arg isa Expr && arg.head === :...
        _fail("a variable number of arguments (`$(_show(arg))`) is not supported: m.fit needs each argument's name", source)
    elseif arg isa Expr && arg.head === :(::)
        if length(arg.args) == 1
            _fail("an argument without a name (`$(_show(arg))`) is not supported: m.fit needs each argument's name", source)
        end
        _is_py_type(arg.args[2]) ||
            _fail("argument `$(_show(arg))`: model arguments arrive as Python objects (`Py`), so a type " *
                  "annotation other than `::Py` would never match; drop it", source)
        return _argument_name(arg.args[1], source)
    elseif !(arg isa Symbol)
        _fail("argument `$(_show(arg))` is not a plain name; m.fit needs each argument's name", source)
    end
    name = String(arg)
    name == "_" && _fail("argument `_` has no name for m.data_on_model to match; name it", source)
    is_python_identifier(name) ||
        _fail("argument name `$(name)` is not a valid Python argument name (a Python keyword, or a character " *
              "such as `!`, `′` or a sub/superscript); m.data_on_model matches arguments by their names in Python", source)
    return name
end

"""
    lower_bf(ex, source = nothing; wrapper = :foreign_model) -> Expr

The expression `@BF ex` expands to: the function definition `ex` as an anonymous function,
handed with its argument names and its name to `wrapper`, the result bound to the
function's name. `source` (the macro's `__source__`) places errors in the user's file.

Throws an `ArgumentError` naming the problem for anything but a named function definition
with plain positional arguments: an anonymous function, keyword or default arguments,
varargs, type annotations other than `::Py`, `where` clauses, names Python refuses.
"""
function lower_bf(ex, source::Union{LineNumberNode,Nothing} = nothing; wrapper = :foreign_model)
    signature, body = _function_parts(ex, source)
    name, arguments = _name_and_arguments(signature, source)
    names = String[_argument_name(a, source) for a in arguments]
    duplicated = unique(filter(n -> count(==(n), names) > 1, names))
    isempty(duplicated) || _fail("argument names repeat: $(join(duplicated, ", "))", source)
    fn = Expr(:function, Expr(:tuple, arguments...), body)
    return Expr(:(=), name, Expr(:call, wrapper, fn, Expr(:vect, names...), String(name)))
end

end # module Lowering
