/*
 * crc64pmull.h - between crc64clmul.c (constants, table, JNI binding) and crc64pmull.c (the aarch64 folding).
 */
#ifndef LTX4J_CRC64_PMULL_H
#define LTX4J_CRC64_PMULL_H
#include <stddef.h>
#include <stdint.h>

/* The folding constants crc64clmul.c derives (same names and meaning as there; docs/crc64-native.md). */
struct crc64_fold_consts {
    uint64_t k512[2], k384[2], k256[2], k128[2];
    uint64_t k_final, mu_low, poly_low;
};

/* True when the AT_HWCAP bits given report PMULL (the ARMv8 Cryptographic Extension's 64-bit polynomial multiply). */
int ltx4j_crc64_pmull_usable(unsigned long hwcap);

/* The raw register c advanced over n bytes, n >= 64 and a multiple of 16. Only call when usable. */
uint64_t ltx4j_crc64_pmull(const struct crc64_fold_consts *k, uint64_t c, const uint8_t *p, size_t n);

#endif
