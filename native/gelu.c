// GELU loops, compiled with -ffast-math so they vectorise (expf through
// glibc's libmvec). erf is a rational approximation on [-4, 4] (the form used
// by Eigen and XLA for float32; |error| < 2e-7 there, and erf(±4) rounds to
// ±1 in float32), so it vectorises too.
#include <math.h>
#include <stddef.h>

static inline float erf_approx(float x) {
  x = x > 4.0f ? 4.0f : (x < -4.0f ? -4.0f : x);
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return x * p / q;
}

void wb_gelu(const float *x, float *y, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erf_approx(x[i] * 0.70710678118654752440f));
}

void wb_gelu_grad(const float *x, const float *dy, float *dx, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) {
    const float cdf = 0.5f * (1.0f + erf_approx(x[i] * 0.70710678118654752440f));
    const float pdf = 0.39894228040143267794f * expf(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}
