# Tests of BayesForge.jl. From the repository root, with the project's Python:
#   JULIA_CONDAPKG_BACKEND=Null JULIA_PYTHONCALL_EXE=$PWD/.venv/bin/python \
#       julia --project=julia -e 'using Pkg; Pkg.test()'
# tests/e2e/test_julia.py runs exactly this when `julia` is on PATH.
#
# Part 1 needs no Python: it includes src/lowering.jl on its own and checks what @BF expands to.
# Part 2 loads the package (so PythonCall and the Python core) and fits models: conversions, the
# seed GMM, the shared scenarios of bayesforge/testing/cases checked by bayesforge.testing, parity with the
# same model written in Python, errors, and examples/julia/gmm.jl.
using Test

# ============================================================================================
# Part 1: the lowering of @BF, plain Julia
# ============================================================================================
include(joinpath(@__DIR__, "..", "src", "lowering.jl"))
using .Lowering: lower_bf

"""The exception `lower_bf(ex, source)` throws, or `nothing`."""
function lowering_error(ex, source = nothing)
    try
        lower_bf(ex, source)
        return nothing
    catch err
        return err
    end
end

@testset "@BF lowering (no Python)" begin
    @testset "a named function becomes wrapper(anonymous function, argument names, name)" begin
        ex = :(function gmm(data, K, initial_means)
            D = data.shape[1]
            return D
        end)
        lowered = lower_bf(ex; wrapper = :wrap)
        @test lowered.head === :(=) && lowered.args[1] === :gmm
        call = lowered.args[2]
        @test call.head === :call && call.args[1] === :wrap && length(call.args) == 4
        fn, names, name = call.args[2], call.args[3], call.args[4]
        @test fn.head === Symbol("function") && fn.args[1] == Expr(:tuple, :data, :K, :initial_means)
        @test fn.args[2] === ex.args[2]           # the body, line numbers included, untouched
        @test names == Expr(:vect, "data", "K", "initial_means")
        @test name == "gmm"
        # the default wrapper name, and `::Py` annotations (arguments are Python objects)
        @test lower_bf(ex).args[2].args[1] === :foreign_model
        typed = lower_bf(:(function f(a::Py, b::PythonCall.Py, c::Any) a end); wrapper = :wrap)
        @test typed.args[2].args[3] == Expr(:vect, "a", "b", "c")
        @test typed.args[2].args[2].args[1] == Expr(:tuple, :(a::Py), :(b::PythonCall.Py), :(c::Any))
    end

    @testset "the lowered code runs and binds the name" begin
        # Evaluated in a sandbox module; what an assignment binds is its value, which Core.eval
        # returns. Functions made by eval are newer than this block: call them with invokelatest.
        sandbox = Module(:LoweringSandbox)
        Core.eval(sandbox, :(wrap(f, names, name) = (f = f, names = names, name = name)))
        Core.eval(sandbox, :(with(f, context) = f(context)))    # pywith's shape: f(value of __enter__)
        evaluate(ex) = Core.eval(sandbox, lower_bf(ex; wrapper = :wrap))
        affine = evaluate(:(function affine(x, a, b)
            y = a * x
            return y + b
        end))
        @test affine.names == ["x", "a", "b"] && affine.name == "affine"
        @test Base.invokelatest(affine.f, 2, 3, 1) == 7
        @test Base.invokelatest(getglobal, sandbox, :affine) === affine     # bound to its name
        # short form and unicode names
        twice = evaluate(:(twice(σ) = 2σ))
        @test twice.names == ["σ"] && Base.invokelatest(twice.f, 4) == 8
        # a do-block handing a tuple out, destructured (the plate of the seed GMM)
        plated = evaluate(:(function plated(x)
            a, b = with(10) do k
                (x + k, x - k)
            end
            a * b
        end))
        @test Base.invokelatest(plated.f, 3) == 13 * -7
        # no arguments
        constant = evaluate(:(function constant() 42 end))
        @test isempty(constant.names) && Base.invokelatest(constant.f) == 42
    end

    @testset "bad use is an ArgumentError that says what is wrong and what to write" begin
        cases = [
            (:(x = 1), "expected a function definition"),
            (42, "expected a function definition"),
            (:(begin f(x) end), "expected a function definition"),
            (:((a, b) -> a + b), "anonymous function"),
            (:(function (a, b) a + b end), "anonymous function"),
            (:(function f(; a, b) a end), "keyword arguments"),
            (:(function f(a; b = 1) a end), "keyword arguments"),
            (:(function f(a, b = 2) a end), "default values"),
            (:(function f(args...) args end), "variable number of arguments"),
            (:(function f(a::Int) a end), "type annotation"),
            (:(function f(::Int) 1 end), "without a name"),
            (:(function f(a) where {T} a end), "where"),
            (:(function f(a)::Int a end), "return type"),
            (:(function f end), "no method"),
            (:(function Base.f(a) a end), "plain name"),
            (:(function f(lambda) lambda end), "not a valid Python argument name"),
            (:(function f(x!) x! end), "not a valid Python argument name"),
            (:(function f(x₁) x₁ end), "not a valid Python argument name"),
            (:(function f(_) 1 end), "no name"),
            (:(function f(a, a) a end), "repeat"),
            (:(@inline function f(a) a end), "directly before `function`"),
        ]
        for (ex, words) in cases
            err = lowering_error(ex)
            @test err isa ArgumentError
            err isa ArgumentError || continue
            @test startswith(err.msg, "@BF: ")
            @test occursin(words, err.msg)
            @test occursin("@BF function gmm(data, K, initial_means)", err.msg)
        end
        err = lowering_error(:(x = 1), LineNumberNode(12, Symbol("model.jl")))
        @test err isa ArgumentError && occursin("(at model.jl:12)", err.msg)
    end

    @testset "Python argument names" begin
        ok = Lowering.is_python_identifier
        @test all(ok, ["data", "K", "initial_means", "σ", "μ_k", "_x", "x2", "ẋ"])
        @test !any(ok, ["", "2x", "x!", "x₁", "σ²", "x′", "lambda", "None", "class"])
    end
end

# ============================================================================================
# Part 2: with Python
# ============================================================================================
using BayesForge
using PythonCall

const np = pyimport("numpy")
const testing = pyimport("bayesforge.testing")
const draws_py = pyimport("bayesforge.mixtures.draws")
const memberships_py = pyimport("bayesforge.mixtures.memberships")
const sklearn_metrics = pyimport("sklearn.metrics")
const make_blobs = pyimport("sklearn.datasets").make_blobs
const PYRO_STACK = pyimport("numpyro.primitives")._PYRO_STACK

# The first bf() of the process sets the host device count: the CPU, so the tests give the same
# draws on any machine, with a device per chain (2 chains run in parallel).
const m = bf("cpu")

"""All draws of the last fit, as Julia arrays: site => draws × site shape."""
julia_draws(m) = Dict(pyconvert(String, k) => pyconvert(Array, m.posteriors[k]) for k in m.posteriors)

"""The exception `f()` throws (a macro expansion error unwrapped from its LoadError), or `nothing`."""
function thrown(f)
    try
        f()
        return nothing
    catch err
        return err isa LoadError ? err.error : err
    end
end

"""The seed's Julia GMM (gaussian_mixture_models.md), as on the page; a fresh model per call."""
function seed_gmm()
    @BF function gmm(data, K, initial_means)
        D = data.shape[1]
        alpha_prior = 0.5 * jnp.ones(K)
        w = m.dist.dirichlet(concentration=alpha_prior, name="weights")

        # We capture the output of the pywith block
        # The block returns a tuple (mu, scale_tril)
        mu, scale_tril = pywith(m.dist.plate("components", K)) do _
            mu_inner = m.dist.multivariate_normal(
                loc=initial_means,
                covariance_matrix=0.1*jnp.eye(D),
                name="mu"
            )

            sigma = m.dist.half_cauchy(1, shape=(D,), event=1, name="sigma")
            Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")

            # FIX: Use expand_dims instead of slicing
            scale_tril_inner = jnp.expand_dims(sigma, -1) * Lcorr

            # Return them so they are available outside
            (mu_inner, scale_tril_inner)
        end

        m.dist.mixture_same_family(
            mixing_distribution=m.dist.categorical(probs=w, create_obj=true),
            component_distribution=m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=true),
            name="obs",
            obs=data
        )
    end
    return gmm
end

# The shared scenarios' models in Julia, written from bayesforge/testing/cases/*.json (defined at top level,
# as a user's script would).
@BF function normal_mean(y)
    mu = m.dist.normal(0.0, 10.0, name="mu")
    sigma = m.dist.half_normal(5.0, name="sigma")
    pywith(m.dist.plate("n", y.shape[0])) do _
        m.dist.normal(mu, sigma, name="y", obs=y)
    end
end

@BF function linear_regression(x, y)
    alpha = m.dist.normal(0.0, 10.0, name="alpha")
    beta = m.dist.normal(0.0, 10.0, name="beta")
    sigma = m.dist.half_normal(5.0, name="sigma")
    pywith(m.dist.plate("n", y.shape[0])) do _
        m.dist.normal(alpha + beta * x, sigma, name="y", obs=y)
    end
end

const SCENARIO_MODELS = Dict(
    "normal_mean" => normal_mean,
    "linear_regression" => linear_regression,
    "gmm_seed_small" => seed_gmm(),
)

"""A scenario's data as a Julia user has it: numpy arrays as Julia arrays, numbers as Julia numbers."""
function julia_data(case)
    data = case.data_on_model(m)            # k-means through m.ml.KMEANS, as in the seed
    value(v) = pyisinstance(v, np.ndarray) ? pyconvert(Array, v) : pyconvert(Any, v)
    return Dict(pyconvert(String, k) => value(data[k]) for k in data)
end

"""A scenario's `m.fit` settings as Julia keyword arguments."""
fit_settings(case) = [Symbol(k) => v for (k, v) in pyconvert(Dict{String,Any}, case.fit_settings)]

@testset "BayesForge.jl" begin
    @testset "@BF expands through lower_bf; bad use fails at expansion" begin
        ex = macroexpand(@__MODULE__, :(@BF function f(a, b) a end))
        @test ex.head === :(=) && ex.args[1] === :f
        @test ex.args[2].args[1] == GlobalRef(BayesForge, :foreign_model)
        @test ex.args[2].args[3] == Expr(:vect, "a", "b")
        for bad in (:(@BF x = 1), :(@BF (a, b) -> a), :(@BF function (a, b) a end), :(@BF function f(; a) a end))
            err = thrown(() -> macroexpand(@__MODULE__, bad))
            @test err isa ArgumentError
            if err isa ArgumentError
                @test startswith(err.msg, "@BF: ")
                @test occursin("runtests.jl", err.msg)          # points at the user's line
            end
        end
        # what @BF defines: a Model, made a Python callable with the Julia argument names and name
        # on first use, once (the expansion itself touches no Python: precompilation-safe)
        @BF function named(data, K, initial_means) nothing end
        @test named isa BayesForge.Model && ispy(named)
        @test PythonCall.pyisnull(getfield(named, :py))                  # nothing made yet
        @test pyconvert(Bool, pybuiltins.callable(named))
        @test !PythonCall.pyisnull(getfield(named, :py))
        @test pyis(Py(named), Py(named)) && pyis(Py(named), BayesForge.python_model(named))   # cached
        @test pyconvert(String, pystr(pyimport("inspect").signature(named))) == "(data, K, initial_means)"
        @test pyconvert(String, named.__name__) == "named"
        @test sprint(show, named) == "BayesForge.Model named(data, K, initial_means)"
        # `::Py` annotations work with `using BayesForge` alone (BayesForge exports Py)
        typed = Module(:TypedModel)
        Core.eval(typed, :(using BayesForge))
        Core.eval(typed, :(@BF function typed(a::Py, b)
            return (a, b)
        end))
        typed_model = Base.invokelatest(getglobal, typed, :typed)
        @test pyconvert(Tuple{Int,Int}, typed_model(1, 2)) == (1, 2)
        @test Base.invokelatest(getglobal, typed, :Py) == PythonCall.Py
    end

    @testset "@BF at the top level of a package that is precompiled" begin
        # A package whose top level defines a model: precompiling it runs @BF without Python.
        packages = mktempdir()                                 # a package directory on LOAD_PATH
        pkg = joinpath(packages, "BFUser")
        mkpath(joinpath(pkg, "src"))
        write(joinpath(pkg, "src", "BFUser.jl"), """
            module BFUser
            using BayesForge
            @BF function shifted(y, a::Py)
                y + a
            end
            end
            """)
        pushfirst!(LOAD_PATH, packages)
        try
            user = Base.require(Main, :BFUser)                 # precompiles BFUser, then loads it
            if Base.JLOptions().use_compiled_modules != 0
                @test Base.isprecompiled(Base.PkgId("BFUser"))  # loaded from its cache file
            end
            model = Base.invokelatest(getglobal, user, :shifted)
            @test model isa BayesForge.Model
            @test pyconvert(Int, model(2, 3)) == 5              # the Python callable, made now
        finally
            filter!(!=(packages), LOAD_PATH)
        end
    end

    @testset "Julia values reach Python as a Julia user expects" begin
        X = [1.0 2.0; 3.0 4.0; 5.0 6.0]
        a = BayesForge.to_python(X)
        @test pyisinstance(a, np.ndarray)
        @test pyconvert(Tuple{Int,Int}, a.shape) == (3, 2)                  # N×D, not transposed
        @test pyconvert(Float64, a[0, 1]) == 2.0 && pyconvert(Float64, a[2, 0]) == 5.0
        @test pyconvert(Matrix{Float64}, a) == X
        @test pyconvert(Bool, a.flags.c_contiguous)
        @test pyconvert(String, a.dtype.name) == "float64"
        for (x, dtype) in ((1:3, "int64"), ([true, false], "bool"), (BitVector([true, false, true]), "bool"),
                           (Float32[1, 2], "float32"), (view(X, :, 2), "float64"), ([1 // 2, 1 // 4], "float64"))
            b = BayesForge.to_python(x)
            @test pyconvert(String, b.dtype.name) == dtype
            @test pyconvert(Array, b) == collect(x)
        end
        @test pyconvert(Matrix{Float64}, BayesForge.to_python(permutedims(X))) == permutedims(X)
        @test pyconvert(Matrix{Float64}, BayesForge.to_python(X')) == Matrix(X')
        @test pyis(BayesForge.to_python(true), pybuiltins.True)
        @test pyis(BayesForge.to_python(nothing), pybuiltins.None)
        t = BayesForge.to_python((3, "a", :b))
        @test pyisinstance(t, pybuiltins.tuple) && pyconvert(Tuple{Int,String,String}, t) == (3, "a", "b")
        nt = BayesForge.to_python((data = X, K = 8))
        @test pyisinstance(nt, pybuiltins.dict) && pyisinstance(nt["data"], np.ndarray)
        @test_throws ArgumentError BayesForge.to_python([1.0, missing])

        # true/false and tuples as m.dist options
        d = m.dist.half_cauchy(1, shape=(3,), event=1, create_obj=true)
        @test pyconvert(Tuple{Int}, d.event_shape) == (3,) && pylen(d.batch_shape) == 0

        # data_on_model from a Dict (String or Symbol keys), a NamedTuple, pairs, a Python dict
        for value in (Dict("data" => X, "K" => 8), Dict(:data => X, :K => 8), (data = X, K = 8),
                      ["data" => X, "K" => 8], pydict(data = X, K = 8))
            m.data_on_model = value
            stored = m.data_on_model
            @test pyisinstance(stored, pybuiltins.dict) && pylen(stored) == 2
            @test pyisinstance(stored["data"], np.ndarray) && pyconvert(Matrix{Float64}, stored["data"]) == X
            @test pyisinstance(stored["K"], pybuiltins.int) && pyconvert(Int, stored["K"]) == 8
        end
        @test_throws ArgumentError (m.data_on_model = Dict(1 => X))
        @test_throws ArgumentError (m.data_on_model = [1, 2])
        m.data_on_model = Dict{String,Any}()
    end

    @testset "errors say what went wrong, and leave no plate behind" begin
        plain(y) = y
        err = thrown(() -> m.fit(plain))
        @test err isa ArgumentError && occursin("@BF function", err.msg) && occursin("plain", err.msg)

        @BF function broken(y)
            mu = m.dist.normal(0.0, 1.0, name="mu")
            pywith(m.dist.plate("n", y.shape[0])) do _
                error("boom inside the plate")
            end
        end
        @BF function misspelt(y)
            pywith(m.dist.plate("n", y.shape[0])) do _
                m.dist.normall(0.0, 1.0, name="y", obs=y)
            end
        end
        quick = (num_warmup=20, num_samples=20, num_chains=1, progress_bar=false)
        m.data_on_model = Dict("y" => [0.1, -0.2, 0.3])
        err = thrown(() -> m.fit(broken; quick...))                 # a Julia error inside the plate
        @test err isa PyException && occursin("boom inside the plate", sprint(showerror, err))
        @test pylen(PYRO_STACK) == 0
        err = thrown(() -> m.fit(misspelt; quick...))               # a Python error inside the plate
        @test err isa PyException && occursin("did you mean normal", sprint(showerror, err))
        @test pylen(PYRO_STACK) == 0
        @test m.fit(normal_mean; quick...) === m                    # and the next fit works
        @test size(julia_draws(m)["mu"]) == (20,)

        m.data_on_model = Dict{String,Any}()                         # the core names what is missing
        err = thrown(() -> m.fit(normal_mean; quick...))
        @test err isa PyException && occursin("data_on_model has no 'y', needed by normal_mean(y)", sprint(showerror, err))
    end

    @testset "the seed GMM with small counts: ARI ≥ 0.9" begin
        X, y = make_blobs(n_samples=500, centers=8, cluster_std=0.8, center_box=(-10, 10), random_state=101)
        data = pyconvert(Matrix{Float64}, X)
        @test size(data) == (500, 2)
        m.ml.KMEANS(data, n_clusters=8)                                  # a Julia matrix straight to Python
        centroids = pyconvert(Matrix{Float64}, m.ml.results["centroids"])
        m.data_on_model = Dict("data" => data, "K" => 8)
        m.data_on_model["initial_means"] = centroids                     # a wrapped Julia matrix ...
        @test pyisjl(m.data_on_model["initial_means"])
        @test m.fit(seed_gmm(); num_warmup=200, num_samples=200, num_chains=2, progress_bar=false) === m
        @test pyisinstance(m.data_on_model["initial_means"], np.ndarray)  # ... that m.fit made numpy
        @test pyconvert(String, m.sampler.chain_method) == "parallel"
        @test pyconvert(Matrix{Float32}, np.asarray(m.posterior.model_kwargs["data"])) == Float32.(data)

        draws = julia_draws(m)
        @test sort(collect(keys(draws))) == ["Lcorr", "mu", "sigma", "weights"]
        @test size(draws["mu"]) == (400, 8, 2) && size(draws["Lcorr"]) == (400, 8, 2, 2)
        @test all(isfinite, draws["mu"])
        summary = m.summary()
        @test "mu[0, 0]" in pyconvert(Vector{String}, pylist(summary.index))
        table = sprint(print, summary)
        @test occursin("r_hat", table) && occursin("weights[7]", table)

        mixture_draws = draws_py.gaussian_mixture_draws(m.posterior.model, m.posterior.model_kwargs,
                                                       m.posterior.draws)            # relabelled draws
        membership = memberships_py.membership_probabilities(mixture_draws, BayesForge.to_python(data)).argmax(axis=1)
        ari = pyconvert(Float64, sklearn_metrics.adjusted_rand_score(y, membership))
        @info "seed GMM (2 chains × 200 + 200)" ari
        @test ari ≥ 0.9
    end

    @testset "the library GMM and DPMM from Julia: m.gmm, memberships, choosing K" begin
        X, y = make_blobs(n_samples=150, centers=3, cluster_std=0.5, center_box=(-6, 6), random_state=3)
        data = pyconvert(Matrix{Float64}, X)
        fit = m.gmm(data; K=3, num_warmup=150, num_samples=150, num_chains=2)
        P = pyconvert(Matrix{Float64}, fit.predict_proba())
        @test size(P) == (150, 3) && all(isapprox.(sum(P; dims=2), 1.0; atol=1e-5))
        labels = pyconvert(Vector{Int}, fit.predict())                  # 0-based, as in Python
        @test pyconvert(Float64, sklearn_metrics.adjusted_rand_score(y, labels)) ≥ 0.95
        @test pyconvert(Float64, fit.diagnostics["max_r_hat"]) ≤ 1.05
        @test pyis(m.posterior, fit.posterior)                            # m.summary() shows this fit (a Py per access: not ===)
        @test pyconvert(Int, fit.predict(data[1:2, :])[0]) == labels[1]   # new points: a Julia matrix
        err = thrown(() -> m.gmm(data; K=0))
        @test err isa PyException && occursin("K must be at least 1", sprint(showerror, err))
        selection = m.choose_k(data; ks=[2, 3, 4], num_warmup=150, num_samples=150, num_chains=2)
        @test pyconvert(Int, selection.selected_k) == 3
        dp = m.dpmm(data; T=6, num_warmup=150, num_samples=150, num_chains=2)
        counts = pyconvert(Vector{Int}, np.bincount(dp.occupied_clusters()))
        @test argmax(counts) - 1 == 3                                     # index 0 counts zero clusters
    end

    @testset "shared scenario $(name), checked by bayesforge.testing" for name in pyconvert(Vector{String}, testing.list_cases())
        @test haskey(SCENARIO_MODELS, name)      # every scenario needs a Julia model above
        if haskey(SCENARIO_MODELS, name)
            case = testing.load_case(name)
            model = SCENARIO_MODELS[name]
            signature = pyconvert(Vector{String}, pylist(pyimport("inspect").signature(model).parameters))
            @test signature == pyconvert(Vector{String}, case.argument_names)
            m.data_on_model = julia_data(case)   # Julia arrays in, numpy arrays stored
            m.fit(model; fit_settings(case)...)
            report = case.check(m)               # an AssertionError (PyException) lists failed checks
            println(report)
            @test pyconvert(Bool, report.passed)
        end
    end

    @testset "parity: the same model in Python and with @BF, same seed ⇒ identical draws" begin
        namespace = pydict()
        namespace["m"] = m
        pyexec("""
        import jax.numpy as jnp

        def gmm(data, K, initial_means):
            D = data.shape[1]
            alpha_prior = 0.5 * jnp.ones(K)
            w = m.dist.dirichlet(concentration=alpha_prior, name="weights")
            with m.dist.plate("components", K):
                mu = m.dist.multivariate_normal(loc=initial_means, covariance_matrix=0.1*jnp.eye(D), name="mu")
                sigma = m.dist.half_cauchy(1, shape=(D,), event=1, name="sigma")
                Lcorr = m.dist.lkj_cholesky(dimension=D, concentration=1.0, name="Lcorr")
                scale_tril = jnp.expand_dims(sigma, -1) * Lcorr
            m.dist.mixture_same_family(
                mixing_distribution=m.dist.categorical(probs=w, create_obj=True),
                component_distribution=m.dist.multivariate_normal(loc=mu, scale_tril=scale_tril, create_obj=True),
                name="obs",
                obs=data,
            )
        """, namespace)
        X, _ = make_blobs(n_samples=200, centers=4, cluster_std=0.8, center_box=(-10, 10), random_state=7)
        data = pyconvert(Matrix{Float64}, X)
        m.ml.KMEANS(data, n_clusters=4)
        m.data_on_model = Dict("data" => data, "K" => 4, "initial_means" => m.ml.results["centroids"])
        settings = (num_warmup=100, num_samples=100, num_chains=2, seed=3, progress_bar=false)
        m.fit(namespace["gmm"]; settings...)
        python = julia_draws(m)
        m.fit(seed_gmm(); settings...)
        julia = julia_draws(m)
        @test sort(collect(keys(julia))) == sort(collect(keys(python))) == ["Lcorr", "mu", "sigma", "weights"]
        @test size(julia["mu"]) == (200, 4, 2)
        for (site, draws) in python
            @test julia[site] == draws
        end
    end

    @testset "examples/julia/gmm.jl runs as written (4 chains × 1000 + 1000)" begin
        example = Module(:GMMExample)
        Base.include(example, joinpath(@__DIR__, "..", "..", "examples", "julia", "gmm.jl"))
        defined(name) = Base.invokelatest(getglobal, example, name)    # bound after this block began
        @test defined(:ari) ≥ 0.9
        @test size(defined(:mu_draws)) == (4000, 8, 2)
        @test pyconvert(Int, defined(:m).sampler.num_chains) == 4
    end
end
