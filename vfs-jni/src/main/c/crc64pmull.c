/*
 * crc64pmull.c - the CRC-64/GO-ISO folding of crc64clmul.c for aarch64, with PMULL (vmull_p64, the ARMv8
 * Cryptographic Extension's 64x64 -> 128-bit carry-less multiply) instead of PCLMULQDQ. Same derivation, same
 * constants (derived by crc64clmul.c, handed over in struct crc64_fold_consts), same lane layout: 16 bytes loaded
 * little-endian into a NEON register put the earlier bytes in lane 0, as in an XMM register's low quadword, and
 * vmull_p64 / vmull_high_p64 multiply lane 0 / lane 1 as PCLMULQDQ's selectors 0x00 / 0x11 do. docs/crc64-native.md.
 *
 * The crypto extension is optional in ARMv8 (the Raspberry Pi 4's Cortex-A72 lacks it), so only the functions that
 * execute PMULL are compiled for it (target attribute); the rest of the library keeps the baseline ISA, and
 * crc64clmul.c calls them only when AT_HWCAP reports PMULL. Elsewhere this file compiles to nothing.
 */
#if defined(__aarch64__)
#include "crc64pmull.h"
#include <arm_neon.h>

#ifndef HWCAP_PMULL
#define HWCAP_PMULL (1UL << 4) /* Linux arch/arm64 uapi hwcap.h */
#endif

#define PMULL_TARGET __attribute__((target("+crypto")))

int ltx4j_crc64_pmull_usable(unsigned long hwcap) { return (hwcap & HWCAP_PMULL) != 0; }

PMULL_TARGET static inline uint64x2_t fold(uint64x2_t x, uint64x2_t k, uint64x2_t next) {
    poly64x2_t xp = vreinterpretq_p64_u64(x), kp = vreinterpretq_p64_u64(k);
    uint64x2_t lo = vreinterpretq_u64_p128(vmull_p64(vgetq_lane_p64(xp, 0), vgetq_lane_p64(kp, 0)));
    uint64x2_t hi = vreinterpretq_u64_p128(vmull_high_p64(xp, kp));
    return veorq_u64(veorq_u64(lo, hi), next);
}

PMULL_TARGET static inline uint64x2_t load(const uint8_t *p) { return vreinterpretq_u64_u8(vld1q_u8(p)); }

/* clmul of two 64-bit values, as {low, high} quadwords of the 128-bit product. */
PMULL_TARGET static inline void clmul64(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi) {
    uint64x2_t r = vreinterpretq_u64_p128(vmull_p64((poly64_t)a, (poly64_t)b));
    *lo = vgetq_lane_u64(r, 0);
    *hi = vgetq_lane_u64(r, 1);
}

/* The register after the block X that ends the input, R = X x^64 mod P: crc64clmul.c's reduce, step for step. */
PMULL_TARGET static uint64_t reduce(const struct crc64_fold_consts *k, uint64x2_t x) {
    uint64_t h = vgetq_lane_u64(x, 0), l = vgetq_lane_u64(x, 1);
    uint64_t ylo, yhi;
    clmul64(h, k->k_final, &ylo, &yhi);
    uint64_t yh = ylo ^ l, yl = yhi;
    uint64_t tlo, thi;
    clmul64(yh, k->mu_low, &tlo, &thi);
    uint64_t q = yh ^ (tlo << 1);
    uint64_t zlo, zhi;
    clmul64(q, k->poly_low, &zlo, &zhi);
    uint64_t r = (zhi << 1) | (zlo >> 63);
    return r ^ yl;
}

PMULL_TARGET uint64_t ltx4j_crc64_pmull(const struct crc64_fold_consts *k, uint64_t c, const uint8_t *p, size_t n) {
    uint64x2_t x0 = veorq_u64(load(p), vsetq_lane_u64(c, vdupq_n_u64(0), 0)); /* the register joins the first bytes */
    uint64x2_t x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
    p += 64;
    n -= 64;
    const uint64x2_t k4 = vld1q_u64(k->k512);
    while (n >= 64) {
        x0 = fold(x0, k4, load(p));
        x1 = fold(x1, k4, load(p + 16));
        x2 = fold(x2, k4, load(p + 32));
        x3 = fold(x3, k4, load(p + 48));
        p += 64;
        n -= 64;
    }
    /* Four lanes into one: each lane moves forward by its distance to the last. */
    uint64x2_t x = fold(x0, vld1q_u64(k->k384), x3);
    x = fold(x1, vld1q_u64(k->k256), x);
    const uint64x2_t k1 = vld1q_u64(k->k128);
    x = fold(x2, k1, x);
    while (n >= 16) {
        x = fold(x, k1, load(p));
        p += 16;
        n -= 16;
    }
    return reduce(k, x);
}
#endif
