/*
 * Checks crc64clmul.c (and on aarch64 crc64pmull.c) outside a JVM, on whatever CPU runs it (NativeCrc64CpuTest runs
 * it natively and under qemu with CPU models without PCLMULQDQ, and for aarch64 with PMULL and, compiled with
 * -DLTX4J_CRC64_HWCAP=0, as if the CPU lacked it): prints "clmul=<0|1> mismatches=<n>", comparing the library's
 * CRC-64 over random lengths 0..20000 and offsets with the bit-at-a-time definition. Must never die of SIGILL.
 */
#include "../../main/c/crc64clmul.c"
#include "../../main/c/crc64pmull.c"
#include <stdio.h>
#include <stdlib.h>

static uint64_t bitwise(uint64_t crc, const uint8_t *p, size_t n) {
    uint64_t c = ~crc;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC64_POLY : c >> 1;
    }
    return ~c;
}

int main(void) {
    crc64_derive();
    g_supported = cpu_has_clmul();
    static uint8_t buf[20064];
    uint64_t s = 88172645463325252ULL;
    for (size_t i = 0; i < sizeof buf; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        buf[i] = (uint8_t)s;
    }
    int bad = 0;
    if (crc64_update(0, (const uint8_t *)"123456789", 9) != 0xb90956c775a41001ULL) bad++;
    for (int it = 0; it < 400; it++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        size_t off = s % 64, n = it < 200 ? (size_t)it : (size_t)((s >> 8) % 20001);
        uint64_t init = it % 2 ? s : 0;
        if (crc64_update(init, buf + off, n) != bitwise(init, buf + off, n)) bad++;
    }
    printf("clmul=%d mismatches=%d\n", g_supported, bad);
    return bad != 0;
}
