"""
    BayesForge

Julia front end of BayesForge: write a model in Julia, fit it with the Python core (NUTS on
JAX/NumPyro) through PythonCall.

    using BayesForge
    m = bf()
    @BF function gmm(data, K, initial_means)
        D = data.shape[1]                       # Python indexing: shape[1] is the 2nd entry
        w = m.dist.dirichlet(concentration=0.5 * jnp.ones(K), name="weights")
        mu, scale_tril = pywith(m.dist.plate("components", K)) do _
            ...
            (mu_inner, scale_tril_inner)
        end
        m.dist.mixture_same_family(...; name="obs", obs=data)
    end
    m.data_on_model = Dict("data" => X, "K" => 8, "initial_means" => centroids)
    m.fit(gmm); m.summary()

Exports `bf`, `@BF`, `jnp` (`jax.numpy`), and from PythonCall `Py` (the type of a model's
arguments: `@BF function f(data::Py, K)`), `pywith` (the plate), `pydict` and `pyconvert`
(draws back to Julia: `pyconvert(Array, m.posteriors["mu"])`). `m.dist.<name>`, `m.ml`,
`m.summary()`, ... are the Python workspace's own attributes, reached directly. Python is
imported in `__init__`, never at precompile time, and `@BF` creates its Python callable on
first use, so `@BF` works at the top level of a package that is being precompiled.
"""
module BayesForge

using PythonCall
using PythonCall: pyfunc, pyisjl, pyjlvalue, pyrepr

export bf, @BF, jnp, Py, pywith, pydict, pyconvert

include("lowering.jl")
using .Lowering: lower_bf

# -- Python modules, bound in __init__ -------------------------------------------------------
"""`jax.numpy`, for use inside models: `jnp.ones(K)`, `jnp.eye(D)`, `jnp.expand_dims(x, -1)`."""
const jnp = PythonCall.pynew()
const _numpy = PythonCall.pynew()
const _bayesforge = PythonCall.pynew()
const _interop = PythonCall.pynew()

const SETUP_HELP = """
    BayesForge.jl needs the Python package `bayesforge` of its repository (not on PyPI). Either
    point PythonCall at a Python that has it (`pip install "bayesforge @ git+<repository URL>"`
    or `pip install <checkout>`), before starting Julia:
        JULIA_CONDAPKG_BACKEND=Null JULIA_PYTHONCALL_EXE=/path/to/that/python
    or let CondaPkg install it (leave both variables unset): in a checkout of the repository
    (`julia --project=julia`, `Pkg.develop(path="julia")`, `Pkg.test()`) julia/CondaPkg.toml
    installs the checkout; after `Pkg.add(url=..., subdir="julia")` add it to your environment:
        using CondaPkg; CondaPkg.add_pip("bayesforge"; version = "@ git+<repository URL>")"""

function __init__()
    # Nothing touches Python while a package that depends on us is being precompiled.
    ccall(:jl_generating_output, Cint, ()) == 1 && return nothing
    try
        # Imports only: none of these starts JAX's backend, so bf() can still choose the
        # platform and the number of host devices (one per parallel chain).
        PythonCall.pycopy!(_numpy, pyimport("numpy"))
        PythonCall.pycopy!(jnp, pyimport("jax.numpy"))
        PythonCall.pycopy!(_bayesforge, pyimport("bayesforge"))
        PythonCall.pycopy!(_interop, pyimport("bayesforge.interop"))
    catch err
        err isa PyException || rethrow()
        python = try
            PythonCall.python_executable_path()
        catch
            "unknown"
        end
        error("BayesForge: could not import the Python core from Python at $(python):\n  ",
              sprint(showerror, err), "\n", SETUP_HELP)
    end
    return nothing
end

function _require_python()
    PythonCall.pyisnull(_interop) &&
        error("BayesForge: the Python core is not loaded (BayesForge.__init__ has not run).\n", SETUP_HELP)
    return nothing
end

# -- Julia values on their way to Python -----------------------------------------------------
const _NUMPY_ELTYPES = Union{Bool,Int8,Int16,Int32,Int64,UInt8,UInt16,UInt32,UInt64,Float16,Float32,Float64}

"""
    BayesForge.to_python(x) -> Py

`x` as the Python value a model expects. Arrays of numbers become numpy arrays with the
same shape and the same elements (a Julia `N×D` `Matrix` is an `N×D` array, `X[i, j]` is
`a[i-1, j-1]`; the copy is C-ordered); `BitArray`s, ranges, views and adjoints are made
dense first, other `Real` element types become `Float64`. `Dict`s and `NamedTuple`s become
`dict`s (`Symbol` keys as `str`), tuples `tuple`s, vectors of other things `list`s;
Python objects pass through, except wrapped Julia values, which are unwrapped and converted.
Everything else is converted by PythonCall's `Py`.
"""
to_python(x) = ispy(x) ? _from_py(Py(x)) : Py(x)
to_python(x::Symbol) = Py(String(x))
to_python(x::Tuple) = pytuple(map(to_python, x))
to_python(x::NamedTuple) = to_python(pairs(x))

function to_python(x::AbstractDict)
    ispy(x) && return _from_py(Py(x))          # a PyDict: already a Python dict
    dict = pydict()
    for (key, value) in x
        dict[key isa Union{Symbol,AbstractString} ? String(key) : to_python(key)] = to_python(value)
    end
    return dict
end

function to_python(x::AbstractArray{<:Real})
    ispy(x) && return _from_py(Py(x))          # a PyArray: already a Python array
    dense = x isa Array{<:_NUMPY_ELTYPES} ? x : _dense(x)
    return _numpy.array(dense, order = "C")    # numpy reads shape and strides: N×D stays N×D
end
_dense(x::AbstractArray{T}) where {T<:_NUMPY_ELTYPES} = Array{T}(x)
_dense(x::AbstractArray{<:Real}) = Array{Float64}(x)

function to_python(x::AbstractArray)
    ispy(x) && return _from_py(Py(x))
    if Missing <: eltype(x) && any(ismissing, x)
        throw(ArgumentError("BayesForge: an array with missing values cannot go to a model; " *
                            "drop them or give the model a mask (m.dist.x(...; mask=...))"))
    end
    all(v -> v isa Real, x) && return to_python(Array{Float64}(x))
    x isa AbstractVector && return pylist(map(to_python, x))
    return Py(x)
end

# A Python object, unless it wraps a Julia value (`pydict(data = X)` holds `X` wrapped).
_from_py(x::Py) = pyisjl(x) ? to_python(pyjlvalue(x)) : x

# -- data_on_model ---------------------------------------------------------------------------
function _named_items(x)
    if ispy(x)
        py = Py(x)
        pyhasattr(py, "keys") && return [key => py[key] for key in py.keys()]
    elseif x isa Union{AbstractDict,NamedTuple}
        return collect(pairs(x))
    elseif x isa AbstractVector{<:Pair}
        return x
    end
    throw(ArgumentError("m.data_on_model must be a Dict, a NamedTuple, a vector of pairs or a Python dict " *
                        "of the model's arguments by name, got $(typeof(x))"))
end

_argument_key(key::Union{Symbol,AbstractString}) = String(key)
function _argument_key(key)
    ispy(key) && pyisinstance(key, pybuiltins.str) && return Py(key)
    throw(ArgumentError("m.data_on_model: keys are the model's argument names (String or Symbol), got $(repr(key))"))
end

"""
    BayesForge.data_on_model(x) -> Py

A Python `dict` `{argument name => to_python(value)}` from a `Dict`, a `NamedTuple`, a
vector of pairs or a Python dict: what `m.data_on_model = x` stores.
"""
function data_on_model(x)
    dict = pydict()
    for (key, value) in _named_items(x)
        dict[_argument_key(key)] = to_python(value)
    end
    return dict
end

# -- the workspace ---------------------------------------------------------------------------
"""
    Workspace

What [`bf`](@ref) returns: the Python workspace of the core, with Julia conveniences.
Every attribute is the Python one (`m.dist`, `m.ml`, `m.summary()`, `m.posteriors`,
`m.sampler`, ...), except that

* `m.data_on_model = x` accepts a `Dict`, a `NamedTuple`, pairs or a Python dict and
  stores numpy arrays (see [`BayesForge.to_python`](@ref));
* `m.fit(model; kwargs...)` converts Julia values put into `m.data_on_model` since, refuses
  a plain Julia function (define models with `@BF`) and returns `m`.

`Py(m)` is the Python object; passing `m` to a Python function passes it.
"""
struct Workspace
    py::Py
end

PythonCall.ispy(::Workspace) = true
PythonCall.Py(m::Workspace) = getfield(m, :py)

function Base.getproperty(m::Workspace, name::Symbol)
    name === :fit && return (model, args...; kwargs...) -> _fit(m, model, args...; kwargs...)
    return getproperty(getfield(m, :py), name)
end

function Base.setproperty!(m::Workspace, name::Symbol, value)
    converted = name === :data_on_model ? data_on_model(value) : value
    setproperty!(getfield(m, :py), name, converted)
    return value
end

Base.propertynames(m::Workspace, private::Bool = false) = propertynames(getfield(m, :py), private)
Base.hasproperty(m::Workspace, name::Symbol) = hasproperty(getfield(m, :py), name)

Base.show(io::IO, m::Workspace) = print(io, "BayesForge.Workspace(", pyrepr(String, getfield(m, :py)), ")")
Base.show(io::IO, ::MIME"text/plain", m::Workspace) = print(io, pyrepr(String, getfield(m, :py)))

function _fit(m::Workspace, model, args...; kwargs...)
    if !ispy(model)
        name = model isa Function ? string(nameof(model)) : "model"
        throw(ArgumentError("m.fit: a model must be a Python callable; define it with " *
                            "`@BF function $(name)(args...) ... end` (got a $(typeof(model)))"))
    end
    py = getfield(m, :py)
    # `m.data_on_model["x"] = julia_array` stored a wrapped Julia value: make it a numpy array.
    setproperty!(py, :data_on_model, data_on_model(getproperty(py, :data_on_model)))
    getproperty(py, :fit)(model, args...; kwargs...)
    return m
end

"""
    bf(platform = nothing; cores = nothing, x64 = false) -> Workspace

A BayesForge workspace (the Python core's `bf()`): `platform` is `nothing` (JAX's
default), `"cpu"`, `"gpu"` or `"tpu"`; `cores` the number of host devices for parallel
chains on the CPU (set only before JAX starts: call `bf()` before any JAX computation);
`x64` fits in double precision.
"""
function bf(platform = nothing; cores = nothing, x64::Bool = false)
    _require_python()
    platform isa Symbol && (platform = String(platform))     # bf(:cpu) as bf("cpu")
    return Workspace(_bayesforge.bf(platform = platform, cores = cores, x64 = x64))
end

# -- @BF -------------------------------------------------------------------------------------
"""
    BayesForge.Model

What `@BF function name(args...) ... end` binds to `name`: the Julia function, its argument
names and its name, and the Python callable made from them on first use (see
[`BayesForge.python_model`](@ref)). Defining one touches no Python, so `@BF` works at the top
level of a package while it is precompiled; the Python callable is made at run time.

A `Model` is a Python object to PythonCall (`ispy`, `Py(model)`): `m.fit(model)` and any
Python function given it receive the callable. `model.attr` and `model(args...)` are those of
the callable (`gmm.__name__ == "gmm"`).
"""
struct Model
    f::Any                       # the Julia function; called by Python with `Py` arguments
    names::Vector{String}        # the Python signature: m.fit matches m.data_on_model to it
    name::String
    py::Py                       # NULL until the first python_model(model)
end

"""
    foreign_model(f, names, name) -> Model

What `@BF` expands to: a [`BayesForge.Model`](@ref) of the Julia function `f` with the
argument names `names`. Touches no Python (the callable is made by `python_model` on first
use), so that it can run while a package is precompiled.
"""
foreign_model(f, names::AbstractVector, name::AbstractString) =
    Model(f, String[String(n) for n in names], String(name), PythonCall.pynew())

"""
    BayesForge.python_model(model::Model) -> Py

The model's Python callable, made on first use and kept: the Julia function wrapped by
`pyfunc` (called with Python objects, unconverted: JAX tracers stay tracers, `K = 8` arrives
as a Python `int`), given the signature `(names...)` by `bayesforge.interop.model`, which
`m.fit` matches `m.data_on_model` against.
"""
function python_model(model::Model)
    py = getfield(model, :py)
    PythonCall.pyisnull(py) || return py
    if ccall(:jl_generating_output, Cint, ()) == 1
        error("BayesForge: the @BF model `$(getfield(model, :name))` was used while a package was being " *
              "precompiled; define it at the top level if you like, but fit it at run time (in a function or `__init__`)")
    end
    _require_python()
    name = getfield(model, :name)
    callback = pyfunc(getfield(model, :f); name = name)
    callable = _interop.model(callback, pylist(getfield(model, :names)); name = name)
    PythonCall.pycopy!(py, callable)       # `py` is NULL here, so nothing leaks
    return py
end

PythonCall.ispy(::Model) = true
PythonCall.Py(model::Model) = python_model(model)

Base.getproperty(model::Model, name::Symbol) = getproperty(python_model(model), name)
Base.propertynames(model::Model, private::Bool = false) = propertynames(python_model(model), private)
(model::Model)(args...; kwargs...) = python_model(model)(args...; kwargs...)

function Base.show(io::IO, model::Model)
    print(io, "BayesForge.Model ", getfield(model, :name), "(", join(getfield(model, :names), ", "), ")")
end

const FOREIGN_MODEL = GlobalRef(@__MODULE__, :foreign_model)

"""
    @BF function name(args...)
        body
    end

Define `name` as a BayesForge model (a [`BayesForge.Model`](@ref)): a Python callable with the
signature `(args...)`, made on first use, so `m.fit(name)` takes each argument from
`m.data_on_model` by its name, exactly as for a Python model. `@BF` itself touches no Python:
it may stand at the top level of a package. Inside, arguments are Python objects (`Py`,
exported; `a::Py` is the one annotation allowed): Python indexing
(`data.shape[1]` is the second dimension), `jnp` for arrays, `pywith(m.dist.plate(...)) do _
... end` for plates (return a tuple to use values outside). The work is done by
[`BayesForge.Lowering.lower_bf`](@ref); anything but a named function with plain positional
arguments is an error at expansion.
"""
macro BF(ex)
    return esc(lower_bf(ex, __source__; wrapper = FOREIGN_MODEL))
end

end # module BayesForge
