/*
 * Checks crc64clmul.c (and on aarch64 crc64pmull.c) outside a JVM, on whatever CPU runs it (NativeCrc64CpuTest runs
 * it natively and under qemu with CPU models without PCLMULQDQ, and for aarch64 with PMULL and, compiled with
 * -DLTX4J_CRC64_HWCAP=0, as if the CPU lacked it): prints "clmul=<0|1> mismatches=<n>", comparing the library's
 * CRC-64 over lengths 0..1197, random lengths up to 20000 and random offsets with the bit-at-a-time definition, once
 * per folding width the CPU runs ("widths=128,256,512": PCLMULQDQ, VPCLMULQDQ on ymm, on zmm; "-" on aarch64 or
 * without folding). LTX4J_CRC64_WIDTH caps the widest. Must never die of SIGILL.
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
    /* Every folding width the CPU runs (x86-64: 128, and 256/512 where VPCLMULQDQ is there), each checked. */
    char widths[32] = "";
    int max = g_width;
    for (int w = 128; w <= (max > 128 ? max : 128); w *= 2) {
        g_width = w > max ? max : w;
        if (g_width != w && w != 128) continue;
        if (g_width > 0) snprintf(widths + strlen(widths), sizeof widths - strlen(widths), "%s%d", *widths ? "," : "", w);
        if (crc64_update(0, (const uint8_t *)"123456789", 9) != 0xb90956c775a41001ULL) bad++;
        uint64_t t = s;
        for (int it = 0; it < 600; it++) {
            t ^= t << 13; t ^= t >> 7; t ^= t << 17;
            size_t off = t % 64, n = it < 400 ? (size_t)it * 3 : (size_t)((t >> 8) % 20001);
            uint64_t init = it % 2 ? t : 0;
            if (crc64_update(init, buf + off, n) != bitwise(init, buf + off, n)) bad++;
        }
    }
    printf("clmul=%d widths=%s mismatches=%d\n", g_supported, *widths ? widths : "-", bad);
    return bad != 0;
}
