/*
 * parzen_math.c - the vectorised inner loops of TPE's Parzen mixtures: the
 * kernels' log mass inside a range, a candidate's kernel log densities
 * accumulated in registers, and the log-sum-exp over them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/parzen.h"

/* ln[i] = log_gauss_mass((lo - mu[i]) / sg[i], (hi - mu[i]) / sg[i]) for k kernels
 * of a continuous dimension. Kernels centred inside the range (all but odd ones)
 * take log_gauss_mass's a <= 0 < b form two at a time with libmvec's erfc and
 * log1p (within 4 ulp); the rest, and other platforms, the scalar function. */
void tpe_kernel_lognorm(const double *mu, const double *sg, double lo, double hi, int k,
                               double *ln)
{
    int i = 0;
#if TPE_VEC_ERFC
    const __m128d nh = _mm_set1_pd(-0.5), ir2 = _mm_set1_pd(1.0 / M_SQRT2);
    for (; i + 2 <= k; i += 2) {
        double a0 = (lo - mu[i]) / sg[i], b0 = (hi - mu[i]) / sg[i];
        double a1 = (lo - mu[i + 1]) / sg[i + 1], b1 = (hi - mu[i + 1]) / sg[i + 1];
        if (!(a0 <= 0 && b0 > 0 && a1 <= 0 && b1 > 0)) {
            ln[i] = log_gauss_mass(a0, b0);
            ln[i + 1] = log_gauss_mass(a1, b1);
            continue;
        }
        __m128d ea = _ZGVbN2v_erfc(_mm_mul_pd(_mm_set_pd(-a1, -a0), ir2));
        __m128d eb = _ZGVbN2v_erfc(_mm_mul_pd(_mm_set_pd(b1, b0), ir2));
        __m128d t = _mm_add_pd(_mm_mul_pd(nh, ea), _mm_mul_pd(nh, eb));
        /* |t| < 2^-10 (kernels 3.3 sigma or more inside the range): log1p's
         * series to t^7 (the rest < 1e-21 relative), in Horner form */
        __m128d tiny = _mm_cmplt_pd(_mm_andnot_pd(_mm_set1_pd(-0.0), t), _mm_set1_pd(0x1p-10));
        if (_mm_movemask_pd(tiny) == 3) {
            __m128d h = _mm_set1_pd(1.0 / 7);
            h = _mm_add_pd(_mm_set1_pd(-1.0 / 6), _mm_mul_pd(t, h));
            h = _mm_add_pd(_mm_set1_pd(1.0 / 5), _mm_mul_pd(t, h));
            h = _mm_add_pd(_mm_set1_pd(-1.0 / 4), _mm_mul_pd(t, h));
            h = _mm_add_pd(_mm_set1_pd(1.0 / 3), _mm_mul_pd(t, h));
            h = _mm_add_pd(_mm_set1_pd(-1.0 / 2), _mm_mul_pd(t, h));
            _mm_storeu_pd(ln + i, _mm_add_pd(t, _mm_mul_pd(_mm_mul_pd(t, t), h)));
        } else {
            _mm_storeu_pd(ln + i, _ZGVbN2v_log1p(t));
        }
    }
#endif
    for (; i < k; i++)
        ln[i] = log_gauss_mass((lo - mu[i]) / sg[i], (hi - mu[i]) / sg[i]);
}

/* Built for AVX2 as well as the x86-64 baseline where GCC can pick at load time:
 * the same additions and products in the same order, so the same results. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define TPE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TPE_CLONES
#endif

/* Four doubles as one value (GCC/Clang vector extension: element-wise IEEE
 * arithmetic, two SSE2 or one AVX register). */
typedef double tpe_v4 __attribute__((vector_size(32)));
typedef long long tpe_v4i __attribute__((vector_size(32)));
/* dst = the four doubles at p (any alignment) */
#define V4_LOAD(dst, p) memcpy(&(dst), (p), sizeof(tpe_v4))
/* x > m ? x : m, element-wise (x and m are variables) */
#define V4_MAX(x, m) \
    ((tpe_v4)(((tpe_v4i)(x) & ((x) > (m))) | ((tpe_v4i)(m) & ~((x) > (m)))))

/* acc[i] = base[i] + the terms in order, for k kernels, eight kernels at a time
 * in registers; returns the largest acc[i]. */
TPE_CLONES double tpe_accumulate(double *restrict acc, const double *restrict base,
                                        const tpe_term *terms, int nt, int k)
{
    tpe_v4 m0 = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, m1 = m0;
    const tpe_v4 half = {0.5, 0.5, 0.5, 0.5};
    int i = 0;
    for (; i + 8 <= k - 1; i += 8) { /* the last kernel (the prior) below */
        tpe_v4 v0, v1, x0, x1, y0, y1;
        V4_LOAD(v0, base + i);
        V4_LOAD(v1, base + i + 4);
        for (int j = 0; j < nt; j++) {
            const double *ta = terms[j].a + i;
            V4_LOAD(x0, ta);
            V4_LOAD(x1, ta + 4);
            if (!terms[j].b) {
                v0 += x0;
                v1 += x1;
            } else {
                const double *tb = terms[j].b + i;
                double t = terms[j].t;
                tpe_v4 tt = {t, t, t, t};
                if (terms[j].shared) {
                    double b0 = terms[j].b[0];
                    y0 = y1 = (tpe_v4){b0, b0, b0, b0};
                } else {
                    V4_LOAD(y0, tb);
                    V4_LOAD(y1, tb + 4);
                }
                tpe_v4 z0 = (tt - x0) * y0, z1 = (tt - x1) * y1;
                v0 -= half * z0 * z0;
                v1 -= half * z1 * z1;
            }
        }
        memcpy(acc + i, &v0, sizeof v0);
        memcpy(acc + i + 4, &v1, sizeof v1);
        m0 = V4_MAX(v0, m0);
        m1 = V4_MAX(v1, m1);
    }
    double mx = -INFINITY;
    for (int q = 0; q < 4; q++) {
        mx = m0[q] > mx ? m0[q] : mx;
        mx = m1[q] > mx ? m1[q] : mx;
    }
    for (; i < k; i++) {
        double v = base[i];
        for (int j = 0; j < nt; j++) {
            if (!terms[j].b) {
                v += terms[j].a[i];
            } else {
                double z = (terms[j].t - terms[j].a[i]) * terms[j].b[i];
                v -= 0.5 * z * z;
            }
        }
        acc[i] = v;
        mx = v > mx ? v : mx;
    }
    return mx;
}

/* buf[0..n-1] = the a[i] - mx above -25, in order; returns n. buf holds k + 8. */
static int tpe_compact(const double *a, int k, double mx, double *buf)
{
    int n = 0;
    for (int i = 0; i < k; i++) {
        double d = a[i] - mx;
        buf[n] = d;
        n += d > -25.0;
    }
    return n;
}

#if TPE_AVX512
/* The same with AVX-512's compress, eight at a time (same values, same order). */
__attribute__((target("avx512f"))) static int tpe_compact_avx512(const double *a, int k,
                                                                  double mx, double *buf)
{
    int i = 0, n = 0;
    const __m512d vmx = _mm512_set1_pd(mx), cut = _mm512_set1_pd(-25.0);
    for (; i + 8 <= k; i += 8) {
        __m512d d = _mm512_sub_pd(_mm512_loadu_pd(a + i), vmx);
        __mmask8 keep = _mm512_cmp_pd_mask(d, cut, _CMP_GT_OQ);
        _mm512_storeu_pd(buf + n, _mm512_maskz_compress_pd(keep, d));
        n += __builtin_popcount(keep);
    }
    for (; i < k; i++) {
        double d = a[i] - mx;
        buf[n] = d;
        n += d > -25.0;
    }
    return n;
}
#endif

/* log(sum_i exp(a[i])) over k terms whose largest is mx; terms below e^-25 of
 * the largest are left out (they change the sum by < k * 1.4e-11 relative).
 * The kept differences are first packed into buf (k + 8 doubles), so that only
 * they are exponentiated: on x86-64 glibc two at a time by libmvec's vector exp
 * (_ZGVbN2v_exp, the SSE2 vector ABI that GCC itself calls for `#pragma omp simd`
 * loops; within 4 ulp of exp), elsewhere by exp(). */
double tpe_logsumexp(const double *a, int k, double mx, double *buf)
{
    int i = 0, n;
    double sum = 0;
    if (!(mx > -INFINITY))
        return -INFINITY;
#if TPE_AVX512
    n = __builtin_cpu_supports("avx512f") ? tpe_compact_avx512(a, k, mx, buf)
                                          : tpe_compact(a, k, mx, buf);
#else
    n = tpe_compact(a, k, mx, buf);
#endif
#if TPE_VEC_EXP
    buf[n] = buf[n + 1] = -INFINITY; /* exp gives 0: pads the last pair */
    __m128d s0 = _mm_setzero_pd(), s1 = _mm_setzero_pd();
    for (; i + 4 <= n + 1; i += 4) {
        s0 = _mm_add_pd(s0, _ZGVbN2v_exp(_mm_loadu_pd(buf + i)));
        s1 = _mm_add_pd(s1, _ZGVbN2v_exp(_mm_loadu_pd(buf + i + 2)));
    }
    for (; i < n; i += 2)
        s0 = _mm_add_pd(s0, _ZGVbN2v_exp(_mm_loadu_pd(buf + i)));
    s0 = _mm_add_pd(s0, s1);
    sum = _mm_cvtsd_f64(s0) + _mm_cvtsd_f64(_mm_unpackhi_pd(s0, s0));
    i = n;
#endif
    for (; i < n; i++)
        sum += exp(buf[i]);
    return mx + log(sum);
}


double opt_tpe_logsumexp(const double *a, int k)
{
    double mx = -INFINITY, *buf = malloc(sizeof(double) * ((size_t)k + 8));
    if (!buf)
        return NAN;
    for (int i = 0; i < k; i++)
        mx = a[i] > mx ? a[i] : mx;
    double r = tpe_logsumexp(a, k, mx, buf);
    free(buf);
    return r;
}

void opt_tpe_kernel_lognorm(const double *mu, const double *sigma, double lo, double hi, int k,
                            double *ln)
{
    tpe_kernel_lognorm(mu, sigma, lo, hi, k, ln);
}
