/* A minimal SQLite-less host: dlopen the litestream VFS with every symbol bound now (RTLD_NOW) and look up
 * its entry point. Used to check the cross-built aarch64 library under qemu-user (no aarch64 JVM or sqlite3
 * is needed: the extension only boots a JVM when SQLite calls its init function). */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s LIBRARY\n", argv[0]); return 2; }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) { fprintf(stderr, "dlopen failed: %s\n", dlerror()); return 1; }
    if (dlsym(h, "sqlite3_litestreamvfs_init") == NULL) { fprintf(stderr, "no entry point: %s\n", dlerror()); return 1; }
    printf("ok: %s loads and exports sqlite3_litestreamvfs_init\n", argv[1]);
    return 0;
}
