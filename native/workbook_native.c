// Native kernels for the TensorFlow.js wasm backend (see lib/native/): single-
// precision matrix products on a BLAS (OpenBLAS from Debian's libopenblas-dev),
// called on the wasm heap's memory without copies. Node-API, so one build
// loads in every Node version and in worker threads.
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "workbook_native: " #call " failed"); return NULL; } } while (0)

static int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type type;
  size_t length, offset;
  void *ptr;
  napi_value buf;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &buf, &offset) != napi_ok || type != napi_float32_array) return 0;
  *data = (float *)ptr;
  *len = length;
  return 1;
}

static int64_t get_int(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}

static int get_bool(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

// sgemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, bias|null, accumulate)
// For each batch i: C_i = op(A_i) @ op(B_i) (+ bias per column) (+ C_i when accumulate).
// A_i starts at i*strideA (0 broadcasts one matrix), row-major, op() transposes when asked.
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 11) { napi_throw_error(env, NULL, "workbook_native.sgemm: expected at least 11 arguments"); return NULL; }
  float *a, *b, *c, *bias = NULL;
  size_t la, lb, lc, lbias = 0;
  if (!get_f32(env, argv[0], &a, &la) || !get_f32(env, argv[1], &b, &lb) || !get_f32(env, argv[2], &c, &lc)) {
    napi_throw_type_error(env, NULL, "workbook_native.sgemm: a, b and c must be Float32Arrays");
    return NULL;
  }
  int64_t batch = get_int(env, argv[3]), m = get_int(env, argv[4]), n = get_int(env, argv[5]), k = get_int(env, argv[6]);
  int ta = get_bool(env, argv[7]), tb = get_bool(env, argv[8]);
  int64_t sa = get_int(env, argv[9]), sb = get_int(env, argv[10]);
  int accumulate = 0;
  if (argc > 11) {
    napi_valuetype t;
    napi_typeof(env, argv[11], &t);
    if (t != napi_null && t != napi_undefined && !get_f32(env, argv[11], &bias, &lbias)) {
      napi_throw_type_error(env, NULL, "workbook_native.sgemm: bias must be a Float32Array or null");
      return NULL;
    }
  }
  if (argc > 12) accumulate = get_bool(env, argv[12]);
  if (batch < 1 || m < 1 || n < 1 || k < 1 || (size_t)(batch * m * n) > lc ||
      (size_t)((batch - 1) * sa + m * k) > la || (size_t)((batch - 1) * sb + k * n) > lb || (bias && lbias < (size_t)n)) {
    napi_throw_range_error(env, NULL, "workbook_native.sgemm: shapes do not fit the arrays");
    return NULL;
  }
  const int lda = ta ? (int)m : (int)k, ldb = tb ? (int)k : (int)n;
  for (int64_t i = 0; i < batch; i++) {
    float *ci = c + i * m * n;
    float beta = 0.0f;
    if (accumulate) beta = 1.0f;
    else if (bias) {
      for (int64_t r = 0; r < m; r++) memcpy(ci + r * n, bias, (size_t)n * sizeof(float));
      beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
                a + i * sa, lda, b + i * sb, ldb, beta, ci, (int)n);
  }
  return NULL;
}


// ---- Element-wise kernels (fused; the wasm backend runs each as several passes) ----

static int f32_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, float **ptrs, size_t *lens, size_t nf32) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_error(env, NULL, "workbook_native: too few arguments");
    return 0;
  }
  for (size_t i = 0; i < nf32; i++) {
    if (!get_f32(env, argv[i], &ptrs[i], &lens[i])) {
      napi_throw_type_error(env, NULL, "workbook_native: expected Float32Array arguments");
      return 0;
    }
  }
  return 1;
}

// columnSum(x, out, rows, cols): out[j] = sum_i x[i, j] (the bias gradient of a dense layer).
static napi_value column_sum(napi_env env, napi_callback_info info) {
  napi_value argv[4]; float *p[2]; size_t l[2];
  if (!f32_args(env, info, 4, argv, p, l, 2)) return NULL;
  int64_t rows = get_int(env, argv[2]), cols = get_int(env, argv[3]);
  if ((size_t)(rows * cols) > l[0] || (size_t)cols > l[1]) { napi_throw_range_error(env, NULL, "workbook_native.columnSum: shapes do not fit"); return NULL; }
  float *out = p[1];
  memset(out, 0, (size_t)cols * sizeof(float));
  for (int64_t i = 0; i < rows; i++) {
    const float *r = p[0] + i * cols;
    for (int64_t j = 0; j < cols; j++) out[j] += r[j];
  }
  return NULL;
}

void wb_gelu(const float *x, float *y, size_t n);
void wb_gelu_grad(const float *x, const float *dy, float *dx, size_t n);

// gelu(x, y): y = x * Phi(x), the exact (erf) GELU.
static napi_value gelu(napi_env env, napi_callback_info info) {
  napi_value argv[2]; float *p[2]; size_t l[2];
  if (!f32_args(env, info, 2, argv, p, l, 2)) return NULL;
  if (l[1] < l[0]) { napi_throw_range_error(env, NULL, "workbook_native.gelu: output too small"); return NULL; }
  wb_gelu(p[0], p[1], l[0]);
  return NULL;
}

// geluGrad(x, dy, dx): dx = dy * (Phi(x) + x * phi(x)).
static napi_value gelu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[3]; float *p[3]; size_t l[3];
  if (!f32_args(env, info, 3, argv, p, l, 3)) return NULL;
  if (l[1] < l[0] || l[2] < l[0]) { napi_throw_range_error(env, NULL, "workbook_native.geluGrad: sizes differ"); return NULL; }
  wb_gelu_grad(p[0], p[1], p[2], l[0]);
  return NULL;
}

// layerNorm(x, gamma, beta, y, xhat, rstd, rows, cols, eps): per row, biased variance (as PyTorch).
static napi_value layer_norm(napi_env env, napi_callback_info info) {
  napi_value argv[9]; float *p[6]; size_t l[6];
  if (!f32_args(env, info, 9, argv, p, l, 6)) return NULL;
  int64_t rows = get_int(env, argv[6]), cols = get_int(env, argv[7]);
  double epsd = 0; napi_get_value_double(env, argv[8], &epsd);
  const float eps = (float)epsd;
  size_t n = (size_t)(rows * cols);
  if (l[0] < n || l[3] < n || l[4] < n || l[1] < (size_t)cols || l[2] < (size_t)cols || l[5] < (size_t)rows) { napi_throw_range_error(env, NULL, "workbook_native.layerNorm: shapes do not fit"); return NULL; }
  const float *x = p[0], *g = p[1], *b = p[2]; float *y = p[3], *xh = p[4], *rs = p[5];
  for (int64_t i = 0; i < rows; i++) {
    const float *xr = x + i * cols; float *yr = y + i * cols, *hr = xh + i * cols;
    float mean = 0; for (int64_t j = 0; j < cols; j++) mean += xr[j]; mean /= (float)cols;
    float var = 0; for (int64_t j = 0; j < cols; j++) { const float d = xr[j] - mean; var += d * d; } var /= (float)cols;
    const float r = 1.0f / sqrtf(var + eps);
    rs[i] = r;
    for (int64_t j = 0; j < cols; j++) { const float h = (xr[j] - mean) * r; hr[j] = h; yr[j] = h * g[j] + b[j]; }
  }
  return NULL;
}

// layerNormGrad(dy, xhat, rstd, gamma, dx, dgamma, dbeta, rows, cols).
static napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[9]; float *p[7]; size_t l[7];
  if (!f32_args(env, info, 9, argv, p, l, 7)) return NULL;
  int64_t rows = get_int(env, argv[7]), cols = get_int(env, argv[8]);
  size_t n = (size_t)(rows * cols);
  if (l[0] < n || l[1] < n || l[4] < n || l[2] < (size_t)rows || l[3] < (size_t)cols || l[5] < (size_t)cols || l[6] < (size_t)cols) { napi_throw_range_error(env, NULL, "workbook_native.layerNormGrad: shapes do not fit"); return NULL; }
  const float *dy = p[0], *xh = p[1], *rs = p[2], *g = p[3]; float *dx = p[4], *dg = p[5], *db = p[6];
  memset(dg, 0, (size_t)cols * sizeof(float));
  memset(db, 0, (size_t)cols * sizeof(float));
  for (int64_t i = 0; i < rows; i++) {
    const float *dyr = dy + i * cols, *hr = xh + i * cols; float *dxr = dx + i * cols;
    float mg = 0, mgh = 0;
    for (int64_t j = 0; j < cols; j++) { const float gj = dyr[j] * g[j]; mg += gj; mgh += gj * hr[j]; dg[j] += dyr[j] * hr[j]; db[j] += dyr[j]; }
    mg /= (float)cols; mgh /= (float)cols;
    for (int64_t j = 0; j < cols; j++) dxr[j] = rs[i] * (dyr[j] * g[j] - mg - hr[j] * mgh);
  }
  return NULL;
}


// gatherRows(table, ids, out, rows, cols): out[i] = table[ids[i]] (an embedding lookup); ids are int32.
static napi_value gather_rows(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *table, *out; size_t lt, lo;
  napi_typedarray_type type; size_t nids, offset; void *ptr; napi_value buf;
  if (argc < 5 || !get_f32(env, argv[0], &table, &lt) || !get_f32(env, argv[2], &out, &lo) ||
      napi_get_typedarray_info(env, argv[1], &type, &nids, &ptr, &buf, &offset) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "workbook_native.gatherRows: expected (Float32Array, Int32Array, Float32Array, rows, cols)");
    return NULL;
  }
  const int32_t *ids = (const int32_t *)ptr;
  int64_t rows = get_int(env, argv[3]), cols = get_int(env, argv[4]);
  if ((size_t)(rows * cols) > lt || nids * (size_t)cols > lo) { napi_throw_range_error(env, NULL, "workbook_native.gatherRows: shapes do not fit"); return NULL; }
  for (size_t i = 0; i < nids; i++) {
    if (ids[i] < 0 || ids[i] >= rows) { napi_throw_range_error(env, NULL, "workbook_native.gatherRows: index out of range"); return NULL; }
    memcpy(out + i * cols, table + (int64_t)ids[i] * cols, (size_t)cols * sizeof(float));
  }
  return NULL;
}

static napi_value set_num_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  openblas_set_num_threads((int)get_int(env, argv[0]));
  return NULL;
}

static napi_value get_num_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value blas_config(napi_env env, napi_callback_info info) {
  napi_value out;
  const char *s = openblas_get_config();
  CHECK(napi_create_string_utf8(env, s ? s : "unknown", NAPI_AUTO_LENGTH, &out));
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
    {"setNumThreads", NULL, set_num_threads, NULL, NULL, NULL, napi_default, NULL},
    {"getNumThreads", NULL, get_num_threads, NULL, NULL, NULL, napi_default, NULL},
    {"blasConfig", NULL, blas_config, NULL, NULL, NULL, napi_default, NULL},
    {"columnSum", NULL, column_sum, NULL, NULL, NULL, napi_default, NULL},
    {"gatherRows", NULL, gather_rows, NULL, NULL, NULL, napi_default, NULL},
    {"gelu", NULL, gelu, NULL, NULL, NULL, napi_default, NULL},
    {"geluGrad", NULL, gelu_grad, NULL, NULL, NULL, napi_default, NULL},
    {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_default, NULL},
    {"layerNormGrad", NULL, layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
