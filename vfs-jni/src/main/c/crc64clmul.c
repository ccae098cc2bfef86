/*
 * crc64clmul.c - CRC-64/GO-ISO (Go's crc64.ISO: reflected polynomial 0xD800000000000000, complemented at the start
 * and end of every call) by carry-less multiplication (PCLMULQDQ), for dev.ltx4j.ltx.Crc64 through the Java class
 * dev.ltx4j.vfs.internal.NativeCrc64. Design and the derivation of every constant: docs/crc64-native.md.
 *
 * Conventions (reflected domain). A 64-bit register value v stands for V(x) = sum v_i x^(63-i); 16 bytes loaded
 * little-endian into an XMM register stand for sum b_k x^(127-k), so the low quadword holds the higher powers (the
 * earlier bytes). clmul(a, b) of two 64-bit reflected values is A*B*x in that 128-bit convention (the product of
 * two degree-63 polynomials has degree 126, one less than the register's top), so every constant is taken one power
 * of x lower than the plain algebra says.
 *
 * The constants are derived at load (crc64_derive) from the polynomial alone: x^e mod P by repeated multiplication
 * by x (the CRC bit step), mu = floor(x^128 / P) by long division. Nothing here runs unless the CPU reports PCLMULQDQ
 * and SSE4.1 (cpuid), or on aarch64 PMULL (AT_HWCAP; the folding is in crc64pmull.c); without them the natives say
 * "unsupported" and Java keeps its table code. With VPCLMULQDQ (and AVX2, or AVX-512F/VL, saved by the OS per XCR0)
 * the same folding runs on ymm/zmm registers for long inputs (crc64_ymm, crc64_zmm); each function carries its own
 * target attribute, so the rest of the file stays baseline x86-64.
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CRC64_CLASS "dev/ltx4j/vfs/internal/NativeCrc64"
#define CRC64_POLY 0xD800000000000000ULL /* reflected x^64 + x^4 + x^3 + x + 1 */

/* Byte-at-a-time table, for the < 16-byte tail and short inputs. */
static uint64_t g_table[256];

/* Folding constants: {x^(D+63), x^(D-1)} mod P reflected, for fold distances D = 512 (four lanes), 128 (one lane),
 * 384 and 256 (merging lanes); x^127 mod P for the final 128 -> 64 step; mu - x^64 reflected; P - x^64 reflected.
 * The wide x86 paths add D = 2048, 1536, 1024 (four zmm registers) and 768 (four ymm registers). */
static uint64_t k2048[2], k1536[2], k1024[2], k768[2], k512[2], k384[2], k256[2], k128[2], k_final, mu_low, poly_low;
static int g_supported;
/* Register width of the folding in use (x86-64): 0 none (table), 128 PCLMULQDQ, 256/512 VPCLMULQDQ on ymm/zmm.
 * g_width_max is what the CPU and OS support; LTX4J_CRC64_WIDTH (environment) or nativeWidth (tests) lower it. */
static int g_width, g_width_max;

static uint64_t mul_x(uint64_t r) { return (r >> 1) ^ ((r & 1) ? CRC64_POLY : 0); }

/* x^e mod P, reflected (x^0 is bit 63). */
static uint64_t x_pow_mod(unsigned e) {
    uint64_t r = 1ULL << 63;
    while (e--) r = mul_x(r);
    return r;
}

static uint64_t reverse64(uint64_t v) {
    uint64_t r = 0;
    for (int i = 0; i < 64; i++) r |= ((v >> i) & 1) << (63 - i);
    return r;
}

/* floor(x^128 / P) without its x^64 term, reflected: long division in the plain (bit i = x^i) representation. */
static uint64_t barrett_mu_low(void) {
    uint64_t p = reverse64(CRC64_POLY); /* P - x^64, plain: 0x1B for ISO */
    /* Dividend x^128: the first quotient bit is x^64 (always), leaving remainder (P - x^64) * x^64 = p * x^64. */
    unsigned __int128 rem = (unsigned __int128)p << 64;
    uint64_t q = 0; /* quotient bits x^63 .. x^0 */
    for (int d = 127; d >= 64; d--) {
        if ((rem >> d) & 1) {
            q |= 1ULL << (d - 64);
            rem ^= ((unsigned __int128)1 << d) ^ ((unsigned __int128)p << (d - 64));
        }
    }
    return reverse64(q);
}

static void crc64_derive(void) {
    for (int i = 0; i < 256; i++) {
        uint64_t c = (uint64_t)i;
        for (int k = 0; k < 8; k++) c = mul_x(c);
        g_table[i] = c;
    }
    unsigned dist[8] = {2048, 1536, 1024, 768, 512, 384, 256, 128};
    uint64_t *dst[8] = {k2048, k1536, k1024, k768, k512, k384, k256, k128};
    for (int i = 0; i < 8; i++) {
        dst[i][0] = x_pow_mod(dist[i] + 63); /* multiplies the low quadword (higher powers) */
        dst[i][1] = x_pow_mod(dist[i] - 1);
    }
    k_final = x_pow_mod(127);
    mu_low = barrett_mu_low();
    poly_low = CRC64_POLY;
}

/* The raw (uncomplemented) register c advanced over n bytes, one byte at a time. */
static uint64_t crc64_bytes(uint64_t c, const uint8_t *p, size_t n) {
    while (n--) c = g_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define TARGET __attribute__((target("pclmul,sse4.1")))

#define TARGET256 __attribute__((target("avx2,vpclmulqdq,pclmul,sse4.1")))
#define TARGET512 __attribute__((target("avx512f,avx512vl,avx2,vpclmulqdq,pclmul,sse4.1")))

/* XCR0: which register state the OS saves across context switches (only valid when CPUID reports OSXSAVE). */
static uint64_t xcr0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* The widest folding this CPU and OS run: 512 needs AVX512F+VL, AVX2 and VPCLMULQDQ with XCR0 saving XMM, YMM,
 * opmask and both ZMM halves (bits 1,2,5,6,7); 256 needs AVX2 and VPCLMULQDQ with XMM and YMM saved (bits 1,2). */
static int cpu_clmul_width(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_PCLMUL) || !(c & bit_SSE4_1)) return 0;
    if (!(c & bit_OSXSAVE) || !(c & bit_AVX) || __get_cpuid_max(0, NULL) < 7) return 128;
    uint64_t os = xcr0();
    __cpuid_count(7, 0, a, b, c, d);
    if (!(c & bit_VPCLMULQDQ) || !(b & bit_AVX2) || (os & 0x06) != 0x06) return 128;
    if ((b & bit_AVX512F) && (b & bit_AVX512VL) && (os & 0xE6) == 0xE6) return 512;
    return 256;
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* LTX4J_CRC64_WIDTH's value: exactly 128, 256 or 512, spaces around allowed; 0 for anything else (ignored here,
 * reported at warn by NativeCrc64, which accepts the same). */
static int width_setting(const char *s) {
    if (s == NULL) return 0;
    while (is_space(*s)) s++;
    int w = !strncmp(s, "128", 3) ? 128 : !strncmp(s, "256", 3) ? 256 : !strncmp(s, "512", 3) ? 512 : 0;
    if (w == 0) return 0;
    for (s += 3; *s != 0; s++) {
        if (!is_space(*s)) return 0;
    }
    return w;
}

/* Sets the width in use: the CPU's widest, lowered by LTX4J_CRC64_WIDTH (128, 256 or 512) if set. */
static int cpu_has_clmul(void) {
    g_width_max = g_width = cpu_clmul_width();
    int w = width_setting(getenv("LTX4J_CRC64_WIDTH"));
    if (w != 0 && w < g_width) g_width = w;
    return g_width_max != 0;
}

TARGET static inline __m128i fold(__m128i x, __m128i k, __m128i next) {
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

TARGET static inline __m128i load(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)p); }

TARGET static inline __m128i consts(const uint64_t k[2]) { return _mm_set_epi64x((long long)k[1], (long long)k[0]); }

/* clmul of two 64-bit values, as {low, high} quadwords of the 128-bit product. */
TARGET static inline void clmul64(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi) {
    __m128i r = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a), _mm_cvtsi64_si128((long long)b), 0x00);
    *lo = (uint64_t)_mm_cvtsi128_si64(r);
    *hi = (uint64_t)_mm_extract_epi64(r, 1);
}

/*
 * The raw register after the 128-bit block X that ends the input: R = X * x^64 mod P.
 * X = H x^64 + L (H: low quadword). X x^64 = H x^128 + L x^64 == H (x^128 mod P) + L x^64 =: Y (degree < 128).
 * Y = Yh x^64 + Yl; R = (Yh x^64 mod P) + Yl, and Yh x^64 mod P by Barrett: Q = floor(Yh mu / x^64)
 * = Yh + floor(Yh (mu - x^64) / x^64), then Yh x^64 mod P = (Q (P - x^64)) mod x^64.
 */
TARGET static uint64_t reduce(__m128i x) {
    uint64_t h = (uint64_t)_mm_cvtsi128_si64(x), l = (uint64_t)_mm_extract_epi64(x, 1);
    uint64_t ylo, yhi;
    clmul64(h, k_final, &ylo, &yhi);
    uint64_t yh = ylo ^ l, yl = yhi;
    uint64_t tlo, thi;
    clmul64(yh, mu_low, &tlo, &thi);
    /* Product bit k is x^(126-k) of Yh (mu - x^64): powers >= 64 sit in bits 0..62; shifted up one they read as
     * the reflected quotient part (power 64 + d at bit 63 - d). */
    uint64_t q = yh ^ (tlo << 1);
    uint64_t zlo, zhi;
    clmul64(q, poly_low, &zlo, &zhi);
    /* Powers 63..0 of Q (P - x^64) are product bits 63..126: the reflected 64-bit remainder. */
    uint64_t r = (zhi << 1) | (zlo >> 63);
    return r ^ yl;
}

/* The remaining 16-byte blocks folded into x (distance 128), the reduction, then the last < 16 bytes. */
TARGET static inline uint64_t finish1(__m128i x, const uint8_t *p, size_t n) {
    const __m128i k1 = consts(k128);
    while (n >= 16) {
        x = fold(x, k1, load(p));
        p += 16;
        n -= 16;
    }
    return crc64_bytes(reduce(x), p, n);
}

/* Four lanes into one (each lane moves forward by its distance to the last), then finish1. */
TARGET static inline uint64_t finish4(__m128i x0, __m128i x1, __m128i x2, __m128i x3, const uint8_t *p, size_t n) {
    __m128i x = fold(x0, consts(k384), x3);
    x = fold(x1, consts(k256), x);
    x = fold(x2, consts(k128), x);
    return finish1(x, p, n);
}

/* The raw register c advanced over n >= 64 bytes. */
TARGET static uint64_t crc64_clmul(uint64_t c, const uint8_t *p, size_t n) {
    __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi64_si128((long long)c)); /* the register joins the first bytes */
    __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
    p += 64;
    n -= 64;
    const __m128i k4 = consts(k512);
    while (n >= 64) {
        x0 = fold(x0, k4, load(p));
        x1 = fold(x1, k4, load(p + 16));
        x2 = fold(x2, k4, load(p + 32));
        x3 = fold(x3, k4, load(p + 48));
        p += 64;
        n -= 64;
    }
    return finish4(x0, x1, x2, x3, p, n);
}

/* zmm: lane i of each 64-byte register is the 128-bit lane i of crc64_clmul. Four registers take 256 bytes per
 * step (fold distance 2048), merge into one (1536, 1024, 512), which takes the remaining 64-byte blocks (512) and
 * splits into the four xmm lanes of the 128-bit path. Needs n >= 256. */
TARGET512 static inline __m512i fold_z(__m512i x, __m512i k, __m512i next) {
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11),
                                     next, 0x96); /* three-way XOR */
}

TARGET512 static inline __m512i load_z(const uint8_t *p) { return _mm512_loadu_si512((const void *)p); }

TARGET512 static inline __m512i consts_z(const uint64_t k[2]) { return _mm512_broadcast_i32x4(consts(k)); }

TARGET512 static uint64_t crc64_zmm(uint64_t c, const uint8_t *p, size_t n) {
    __m512i z0 = _mm512_xor_si512(load_z(p), _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)c));
    __m512i z1 = load_z(p + 64), z2 = load_z(p + 128), z3 = load_z(p + 192);
    p += 256;
    n -= 256;
    const __m512i k = consts_z(k2048);
    while (n >= 256) {
        z0 = fold_z(z0, k, load_z(p));
        z1 = fold_z(z1, k, load_z(p + 64));
        z2 = fold_z(z2, k, load_z(p + 128));
        z3 = fold_z(z3, k, load_z(p + 192));
        p += 256;
        n -= 256;
    }
    __m512i z = fold_z(z0, consts_z(k1536), z3);
    z = fold_z(z1, consts_z(k1024), z);
    z = fold_z(z2, consts_z(k512), z);
    const __m512i k1 = consts_z(k512);
    while (n >= 64) {
        z = fold_z(z, k1, load_z(p));
        p += 64;
        n -= 64;
    }
    return finish4(_mm512_extracti32x4_epi32(z, 0), _mm512_extracti32x4_epi32(z, 1), _mm512_extracti32x4_epi32(z, 2),
                   _mm512_extracti32x4_epi32(z, 3), p, n);
}

/* ymm (AVX2 CPUs with VPCLMULQDQ but no AVX-512): four registers of 32 bytes, 128 bytes per step (fold distance
 * 1024), merged (768, 512, 256), then 32-byte blocks (256), then the two halves (128). Needs n >= 128. */
TARGET256 static inline __m256i fold_y(__m256i x, __m256i k, __m256i next) {
    return _mm256_xor_si256(_mm256_xor_si256(_mm256_clmulepi64_epi128(x, k, 0x00), _mm256_clmulepi64_epi128(x, k, 0x11)),
                            next);
}

TARGET256 static inline __m256i load_y(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }

TARGET256 static inline __m256i consts_y(const uint64_t k[2]) { return _mm256_broadcastsi128_si256(consts(k)); }

TARGET256 static uint64_t crc64_ymm(uint64_t c, const uint8_t *p, size_t n) {
    __m256i y0 = _mm256_xor_si256(load_y(p), _mm256_set_epi64x(0, 0, 0, (long long)c));
    __m256i y1 = load_y(p + 32), y2 = load_y(p + 64), y3 = load_y(p + 96);
    p += 128;
    n -= 128;
    const __m256i k = consts_y(k1024);
    while (n >= 128) {
        y0 = fold_y(y0, k, load_y(p));
        y1 = fold_y(y1, k, load_y(p + 32));
        y2 = fold_y(y2, k, load_y(p + 64));
        y3 = fold_y(y3, k, load_y(p + 96));
        p += 128;
        n -= 128;
    }
    __m256i y = fold_y(y0, consts_y(k768), y3);
    y = fold_y(y1, consts_y(k512), y);
    y = fold_y(y2, consts_y(k256), y);
    const __m256i k1 = consts_y(k256);
    while (n >= 32) {
        y = fold_y(y, k1, load_y(p));
        p += 32;
        n -= 32;
    }
    return finish1(fold(_mm256_castsi256_si128(y), consts(k128), _mm256_extracti128_si256(y, 1)), p, n);
}

/* Shortest input each wide path takes, measured on an AMD EPYC (Zen 4, docs/crc64-native.md): zmm beats ymm from
 * 768 bytes, ymm beats xmm from 256 (ns per call, 128/256/512-bit: 256 B 21/18/20, 512 B 38/22/23, 768 B 55/29/25,
 * 4 KiB 285/143/76). A CPU with the zmm path also runs the ymm one (AVX2 is part of the 512 check). */
#define WIDE_MIN_512 768
#define WIDE_MIN_256 256

static uint64_t crc64_fold(uint64_t c, const uint8_t *p, size_t n) {
    if (g_width >= 512 && n >= WIDE_MIN_512) return crc64_zmm(c, p, n);
    if (g_width >= 256 && n >= WIDE_MIN_256) return crc64_ymm(c, p, n);
    return crc64_clmul(c, p, n);
}
#elif defined(__aarch64__)
/* PMULL (ARMv8 crypto extension) folding: crc64pmull.c, with the constants derived above. */
#include "crc64pmull.h"
#include <sys/auxv.h>

static struct crc64_fold_consts g_pmull;

/* Called after crc64_derive (bind time); LTX4J_CRC64_HWCAP lets the CPU probe mask the PMULL bit. */
static int cpu_has_clmul(void) {
    memcpy(g_pmull.k512, k512, sizeof k512);
    memcpy(g_pmull.k384, k384, sizeof k384);
    memcpy(g_pmull.k256, k256, sizeof k256);
    memcpy(g_pmull.k128, k128, sizeof k128);
    g_pmull.k_final = k_final;
    g_pmull.mu_low = mu_low;
    g_pmull.poly_low = poly_low;
    unsigned long hwcap = getauxval(AT_HWCAP);
#ifdef LTX4J_CRC64_HWCAP
    hwcap &= LTX4J_CRC64_HWCAP;
#endif
    return ltx4j_crc64_pmull_usable(hwcap);
}

static uint64_t crc64_fold(uint64_t c, const uint8_t *p, size_t n) {
    size_t whole = n & ~(size_t)15;
    return crc64_bytes(ltx4j_crc64_pmull(&g_pmull, c, p, whole), p + whole, n - whole);
}
#else
static int cpu_has_clmul(void) { return 0; }
static uint64_t crc64_fold(uint64_t c, const uint8_t *p, size_t n) { return crc64_bytes(c, p, n); }
#endif

static uint64_t crc64_update(uint64_t crc, const uint8_t *p, size_t n) {
    uint64_t c = ~crc;
    c = n >= 64 && g_supported ? crc64_fold(c, p, n) : crc64_bytes(c, p, n);
    return ~c;
}

static jboolean JNICALL n_supported(JNIEnv *env, jclass cls) {
    (void)env; (void)cls;
    return g_supported ? JNI_TRUE : JNI_FALSE;
}

/* Tests: lowers (or raises, up to what the CPU runs) the folding width; 0 leaves it. Returns the width in use. */
static jint JNICALL n_width(JNIEnv *env, jclass cls, jint want) {
    (void)env; (void)cls;
    if (want > 0 && g_width_max > 0) g_width = want >= g_width_max ? g_width_max : want >= 256 ? 256 : 128;
    return g_width;
}

/* Java checked the range; the array is pinned only for the length of the computation. */
static jlong JNICALL n_updateArray(JNIEnv *env, jclass cls, jlong crc, jbyteArray a, jint off, jint len) {
    (void)cls;
    uint8_t *base = (*env)->GetPrimitiveArrayCritical(env, a, NULL);
    if (base == NULL) return crc; /* OutOfMemoryError pending: Java sees it */
    uint64_t r = crc64_update((uint64_t)crc, base + off, (size_t)len);
    (*env)->ReleasePrimitiveArrayCritical(env, a, base, JNI_ABORT);
    return (jlong)r;
}

static jlong JNICALL n_updateDirect(JNIEnv *env, jclass cls, jlong crc, jobject buf, jint index, jint len) {
    (void)cls;
    uint8_t *base = (*env)->GetDirectBufferAddress(env, buf);
    if (base == NULL) return crc; /* Java passes direct buffers only */
    return (jlong)crc64_update((uint64_t)crc, base + index, (size_t)len);
}

/*
 * Binds the natives of dev.ltx4j.vfs.internal.NativeCrc64 and lets it install the accelerator. Called where the
 * library's other natives are bound (every way the library meets a JVM). Never fails the caller: without the class
 * (an older jar) or on any error, Java simply keeps its table-driven CRC.
 */
void ltx4j_crc64_bind(JNIEnv *env) {
    static JNINativeMethod natives[] = {
        {"nativeSupported", "()Z", (void *)n_supported},
        {"nativeWidth", "(I)I", (void *)n_width},
        {"nativeUpdate", "(J[BII)J", (void *)n_updateArray},
        {"nativeUpdateDirect", "(JLjava/nio/ByteBuffer;II)J", (void *)n_updateDirect},
    };
    crc64_derive();
    g_supported = cpu_has_clmul();
    jclass c = (*env)->FindClass(env, CRC64_CLASS);
    if (c == NULL) {
        (*env)->ExceptionClear(env);
        return;
    }
    if ((*env)->RegisterNatives(env, c, natives, sizeof natives / sizeof natives[0]) == 0) {
        jmethodID bound = (*env)->GetStaticMethodID(env, c, "bound", "()V");
        if (bound != NULL) (*env)->CallStaticVoidMethod(env, c, bound);
    }
    if ((*env)->ExceptionCheck(env)) (*env)->ExceptionClear(env);
    (*env)->DeleteLocalRef(env, c);
}
