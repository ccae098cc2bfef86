/*
 * Portable glibc symbol versions for the litestream VFS shim (force-included by build-native.sh, never by the
 * shim itself). The build host has glibc 2.36; without this header the library would need GLIBC_2.34 (dlopen,
 * pthread_* moved into libc), GLIBC_2.33 (stat) and GLIBC_2.14 (memcpy) and refuse to load on older
 * distributions. Every symbol is bound to the architecture's baseline version instead (x86_64: GLIBC_2.2.5,
 * aarch64: GLIBC_2.17), which all glibc releases since 2.17 still export. build-native.sh also links
 * libdl.so.2 and libpthread.so.0 by name so that, on glibc < 2.34, the dynamic linker finds dl* and pthread_*
 * where they lived then.
 */
#ifndef LTX4J_GLIBC_COMPAT_H
#define LTX4J_GLIBC_COMPAT_H

#if defined(__x86_64__)
#define LTX4J_GLIBC_BASE "GLIBC_2.2.5"
#define LTX4J_STAT_VER 1 /* _STAT_VER_LINUX on x86_64 */
#elif defined(__aarch64__)
#define LTX4J_GLIBC_BASE "GLIBC_2.17"
#define LTX4J_STAT_VER 0 /* _STAT_VER_KERNEL on the generic Linux ABI */
#else
#error "glibc-compat.h knows the baseline symbol versions of x86_64 and aarch64 only"
#endif

#define LTX4J_PIN(sym) __asm__(".symver " #sym "," #sym "@" LTX4J_GLIBC_BASE);

LTX4J_PIN(memcpy)
LTX4J_PIN(dlopen)
LTX4J_PIN(dlsym)
LTX4J_PIN(dlerror)
LTX4J_PIN(dladdr)
LTX4J_PIN(dlclose)
LTX4J_PIN(pthread_create)
LTX4J_PIN(pthread_join)
LTX4J_PIN(pthread_once)
LTX4J_PIN(pthread_key_create)
LTX4J_PIN(pthread_setspecific)
LTX4J_PIN(pthread_getspecific)
LTX4J_PIN(pthread_attr_setstacksize)
LTX4J_PIN(__xstat)
/* Its first version is newer than the baseline on x86_64 (2.3.3, in libpthread until glibc 2.34). */
#if defined(__x86_64__)
__asm__(".symver pthread_condattr_setclock,pthread_condattr_setclock@GLIBC_2.3.3");
#else
LTX4J_PIN(pthread_condattr_setclock)
#endif

/* The shim defines _GNU_SOURCE too (identically); it must be set before the first system header. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

/* stat() became a real symbol in glibc 2.33; before, <sys/stat.h> inlined it as __xstat(_STAT_VER, ...). */
#include <sys/stat.h>
extern int __xstat(int ver, const char *path, struct stat *buf);
#define stat(path, buf) __xstat(LTX4J_STAT_VER, (path), (buf))

#endif
