// One pass over the rows of a Gaussian mixture: per-row log-likelihood and the per-component moments its
// gradient needs (bayesforge/likelihood.py), as XLA FFI handlers for the CPU.
//
// For rows x_n (N x D) and components k with whitening W_k = L_k^-1, means mu_k and constants c_k = hi_k + lo_k:
//   z_nk = W_k (x_n - mu_k),  log p(x_n) = logsumexp_k (hi_k + (lo_k - |z_nk|^2 / 2)),
//   r_nk = omega_n exp(log-joint - log p(x_n)),
//   count_k = sum_n r_nk,  first_k = sum_n r_nk z_nk,  second_k = sum_n r_nk z_nk z_nk^T.
// Each point-component pair is exponentiated once; the moments are summed per lane over blocks of rows and
// then in double. Rows are processed in blocks of 16 (structure of arrays) so that the compiler vectorises
// over rows; the sweep is compiled for AVX-512, AVX2+FMA and the x86-64 baseline and chosen at run time.
//
// Buffers: x (N, D); row_weights (N) or (0) for omega = 1; loc (K, D); inverse (K, D, D); hi (K); lo (K).
// Results: out (N) or (0) to skip the values; count (K), first (K, D), second (K, D, D), or all three of size
// 0 to skip the moments.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "xla/ffi/api/ffi.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace ffi = xla::ffi;

namespace {

template <typename T>
struct Problem {
  const T* x;
  const T* weights;  // nullptr: every row weighs 1
  const T* loc;
  const T* inverse;
  const T* hi;
  const T* lo;
  int64_t n;
  int dim;
  int k;
  T* out;          // nullptr: no values
  double* count;   // nullptr: no moments
  double* first;
  double* second;
  T* scratch;
};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BAYESFORGE_MULTIVERSION 1
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma,bmi,bmi2")
namespace avx512 {
#include "gmm_body.inc"
}  // namespace avx512
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2")
namespace avx2 {
#include "gmm_body.inc"
}  // namespace avx2
#pragma GCC pop_options
#endif

namespace baseline {
#include "gmm_body.inc"
}  // namespace baseline

enum class Isa { kBaseline, kAvx2, kAvx512 };

Isa detect() {
#ifdef BAYESFORGE_MULTIVERSION
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
    return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
    return Isa::kAvx2;
#endif
  return Isa::kBaseline;
}

// Subnormal numbers flushed to zero (and read as zero) while the sweep runs, the caller's mode restored after:
// responsibilities of far components multiplied by small residuals reach them, and each costs a microcode
// assist of ~100 cycles on x86. What they would add to a sum whose terms are >= 1e-38 is below its rounding.
class FlushSubnormals {
 public:
#if defined(__x86_64__) || defined(__i386__)
  FlushSubnormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }  // FTZ | DAZ
  ~FlushSubnormals() { _mm_setcsr(saved_); }

 private:
  unsigned int saved_;
#endif
};

template <typename T>
void dispatch(const Problem<T>& p) {
  static const Isa isa = detect();  // the CPU does not change: computed once, never written again
  FlushSubnormals flush;
#ifdef BAYESFORGE_MULTIVERSION
  if (isa == Isa::kAvx512) return avx512::run<T>(p);
  if (isa == Isa::kAvx2) return avx2::run<T>(p);
#endif
  (void)isa;
  baseline::run<T>(p);
}

constexpr int kMaxDim = 16;

template <ffi::DataType DT>
ffi::Error Impl(ffi::Buffer<DT> x, ffi::Buffer<DT> row_weights, ffi::Buffer<DT> loc, ffi::Buffer<DT> inverse,
                ffi::Buffer<DT> hi, ffi::Buffer<DT> lo, ffi::ResultBuffer<DT> out, ffi::ResultBuffer<DT> count,
                ffi::ResultBuffer<DT> first, ffi::ResultBuffer<DT> second) {
  using T = ffi::NativeType<DT>;
  const auto x_dims = x.dimensions();
  const auto loc_dims = loc.dimensions();
  if (x_dims.size() != 2 || loc_dims.size() != 2)
    return ffi::Error::InvalidArgument("gmm kernel: x must be (N, D) and loc (K, D)");
  const int64_t n = x_dims[0];
  const int64_t dim = x_dims[1];
  const int64_t k = loc_dims[0];
  if (loc_dims[1] != dim || dim < 1 || dim > kMaxDim)
    return ffi::Error::InvalidArgument("gmm kernel: loc must be (K, D) with the D of x, 1 <= D <= 16");
  if (inverse.element_count() != size_t(k * dim * dim) || hi.element_count() != size_t(k) ||
      lo.element_count() != size_t(k))
    return ffi::Error::InvalidArgument("gmm kernel: inverse must be (K, D, D), hi and lo (K)");
  const bool weighted = row_weights.element_count() != 0;
  if (weighted && row_weights.element_count() != size_t(n))
    return ffi::Error::InvalidArgument("gmm kernel: row_weights must be (N) or empty");
  const bool rows = out->element_count() != 0;
  if (rows && out->element_count() != size_t(n))
    return ffi::Error::InvalidArgument("gmm kernel: out must be (N) or empty");
  const bool moments = count->element_count() != 0;
  if (moments && (count->element_count() != size_t(k) || first->element_count() != size_t(k * dim) ||
                  second->element_count() != size_t(k * dim * dim)))
    return ffi::Error::InvalidArgument("gmm kernel: count, first, second must be (K), (K, D), (K, D, D) or empty");

  const int64_t pairs = dim * (dim + 1) / 2;
  const size_t scratch_size = size_t(k) * 16 * (dim + 1 + 1 + dim + pairs);
  std::vector<T> scratch(scratch_size > 0 ? scratch_size : 1);
  std::vector<double> totals(moments ? size_t(k) * (1 + dim + dim * dim) : 0, 0.0);
  Problem<T> p;
  p.x = x.typed_data();
  p.weights = weighted ? row_weights.typed_data() : nullptr;
  p.loc = loc.typed_data();
  p.inverse = inverse.typed_data();
  p.hi = hi.typed_data();
  p.lo = lo.typed_data();
  p.n = n;
  p.dim = int(dim);
  p.k = int(k);
  p.out = rows ? out->typed_data() : nullptr;
  p.count = moments ? totals.data() : nullptr;
  p.first = moments ? totals.data() + k : nullptr;
  p.second = moments ? totals.data() + k * (1 + dim) : nullptr;
  p.scratch = scratch.data();
  if (k > 0 && (n > 0 || moments)) {
    dispatch<T>(p);
  } else if (rows) {  // no components: every row's log-likelihood is log 0
    for (int64_t i = 0; i < n; ++i) p.out[i] = -std::numeric_limits<T>::infinity();
  }
  if (moments) {
    T* targets[3] = {count->typed_data(), first->typed_data(), second->typed_data()};
    const double* sources[3] = {p.count, p.first, p.second};
    const int64_t sizes[3] = {k, k * dim, k * dim * dim};
    for (int part = 0; part < 3; ++part)
      for (int64_t i = 0; i < sizes[part]; ++i) targets[part][i] = T(sources[part][i]);
  }
  return ffi::Error::Success();
}

}  // namespace

#define BAYESFORGE_GMM_BINDING(DT)           \
  ffi::Ffi::Bind()                           \
      .Arg<ffi::Buffer<DT>>()                \
      .Arg<ffi::Buffer<DT>>()                \
      .Arg<ffi::Buffer<DT>>()                \
      .Arg<ffi::Buffer<DT>>()                \
      .Arg<ffi::Buffer<DT>>()                \
      .Arg<ffi::Buffer<DT>>()                \
      .Ret<ffi::Buffer<DT>>()                \
      .Ret<ffi::Buffer<DT>>()                \
      .Ret<ffi::Buffer<DT>>()                \
      .Ret<ffi::Buffer<DT>>()

XLA_FFI_DEFINE_HANDLER_SYMBOL(BayesforgeGmmF32, Impl<ffi::F32>, BAYESFORGE_GMM_BINDING(ffi::F32));
XLA_FFI_DEFINE_HANDLER_SYMBOL(BayesforgeGmmF64, Impl<ffi::F64>, BAYESFORGE_GMM_BINDING(ffi::F64));
