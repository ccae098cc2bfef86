/*
 * litestreamvfs.c - the native half of the ltx4j "litestream" SQLite VFS.
 *
 * One shared library, two ways in:
 *   - JNI_OnLoad: a JVM loaded us with System.load (sqlite-jdbc path). Natives are bound with
 *     RegisterNatives because in the other path the JVM never loads this library itself.
 *   - sqlite3_litestreamvfs_init: the SQLite extension entry point. In a host without a JVM
 *     (sqlite3 CLI, python3) it starts one from libjvm and the jars in lib/ next to this file.
 *
 * Only the main database file crosses into Java. Journals, temp files and the lock state stay
 * in C on SQLite's own default (unix) VFS (the journal of an engine database in C memory), so they
 * cost no JNI crossing and lock exactly like a plain database across processes. Java sees page I/O plus the write-transaction boundaries.
 *
 * Java methods return SQLite result codes; an exception that still escapes is cleared here and
 * mapped to the operation's own SQLITE_IOERR_* code, never left pending.
 */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#include <jni.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))
#define BRIDGE_CLASS "dev/ltx4j/vfs/internal/NativeBridge"
#define FILE_CLASS "dev/ltx4j/vfs/internal/NativeFile"
#define MAX_VFS 512 /* names registered per process (each test registers its own; SQLite keeps them for good) */
#define INITIAL_BUFFER (64 * 1024 + 64)
#define JNI_VER JNI_VERSION_1_8

/* ---------------------------------------------------------------- global state */

typedef struct LsVfs {
    sqlite3_vfs base;
    char name[64];
} LsVfs;

static JavaVM *g_jvm;
static jclass g_bridge, g_file, g_string;
static jmethodID m_open, m_hostExit, m_read, m_write, m_truncate, m_size, m_sync, m_beginRead, m_endRead, m_beginWrite,
    m_beforeCommit, m_beforeCommitAcross, m_commit, m_commitEndingWrite, m_rollback, m_endWrite, m_pragma, m_function,
    m_close, m_setBuffer, m_sectorSize, m_deviceCharacteristics, m_atomicCommits, m_lockPath;
static jmethodID m_readDirect, m_snapshotReads; /* the read path (docs/concurrent-readers.md) */
static jfieldID f_readResult, f_stamp, f_reusable, f_pinnedSize, f_probeRepeatable, f_pinShowsStored;

static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER; /* init, VFS table */
static pthread_key_t g_detachKey;
static pthread_once_t g_keyOnce = PTHREAD_ONCE_INIT;
static volatile int g_forked;     /* set in a fork child: the JVM does not exist there */
static int g_embedded;            /* we created the JVM (CLI/python host) */
static int g_bridgeReady;         /* natives registered and IDs cached */
static int g_forkHandler;
static LsVfs g_vfs[MAX_VFS];
static int g_vfsCount;
static sqlite3_vfs *g_parent;
static long long g_reads, g_writes, g_crossings; /* for measurements; relaxed atomics */
/* For measurements (bench vfs, docs/group-commit.md "Where four writers' time goes"): RESERVED grants in the lock
 * table, grants to the connection that held it last, ns it was held, ns it stood free from a release with a writer
 * waiting to the next grant; busy-handler sleeps taken and the us asked; stale-snapshot refusals of beginWrite and
 * the ns of their crossings (the write lock held meanwhile). */
static long long g_grants, g_regrants, g_heldNs, g_freeNs, g_sleeps, g_sleptUs, g_refusals, g_refusedNs;
static int g_waitingWriters; /* writers waiting in the hand-over (lock_for_write); relaxed atomics */

static const sqlite3_io_methods jfile_methods;

/* One per engine database (VfsDatabase.versionKey): advanced by Java after every change of what a new read
 * transaction would see, before the change is acknowledged (see "Snapshot readers"). Never freed: Java may bump it
 * from any thread until its database is gone, and it is a few bytes per database opened; kept on a list so that
 * leak checkers see it reachable. */
typedef struct LsView LsView;
struct JFile;

/* SQLite's lock levels of the connections of one write-mode engine database, kept in the process (see "Lock table in
 * the process"): what the unix VFS would keep on the lock file, with its rules, and no system call. */
typedef struct LsLocks {
    pthread_mutex_t mutex;
    int shared;               /* connections at SHARED or above in this table */
    struct JFile *reserved;   /* the connection at RESERVED or above; NULL: none */
    struct JFile *pending;    /* the connection at PENDING or EXCLUSIVE (new SHARED locks are refused); NULL: none */
    struct JFile *lastHolder; /* for measurements: the connection that last held RESERVED */
    long long heldSince, freedAt; /* for measurements: ns of the last RESERVED grant, and of its release (0: none waited) */
} LsLocks;

/* Test faults a simulator bug switch re-introduces (VfsDatabase.nativeFaults, fixed at the stamp's creation). */
#define FAULT_KEEP_OWN_COMMIT_BLINDLY 1 /* the snapshot kept after a commit is reused even after other changes */
#define FAULT_NO_COMMIT_PAGES 2 /* with stale-page-view: a commit's own pages would replace the stale entries it leaves */

typedef struct LsStamp {
    long long changes;        /* even: stable; odd: a change is being published (see "Native page view") */
    struct LsStamp *next;
    LsView *view;             /* the database's native page view; NULL: none (budget 0 or no memory) */
    LsLocks locks;            /* used by the connections of a write-mode database (JFile.memLocks) */
    int faults;               /* FAULT_* above; 0 outside tests */
} LsStamp;

static pthread_mutex_t g_stampMutex = PTHREAD_MUTEX_INITIALIZER;
static LsStamp *g_stamps;

/* ---------------------------------------------------------------- JNI helpers */

static void detach_thread(void *vm) {
    JavaVM *jvm = (JavaVM *)vm;
    (*jvm)->DetachCurrentThread(jvm);
}

static void make_detach_key(void) { pthread_key_create(&g_detachKey, detach_thread); }

/* JNIEnv for the calling thread. Host threads (python, CLI) are attached as daemons so the JVM
 * never waits for them, and detached by a thread-exit destructor. */
static JNIEnv *env_get(void) {
    JNIEnv *env = NULL;
    if (g_jvm == NULL || g_forked || !g_bridgeReady) return NULL;
    jint r = (*g_jvm)->GetEnv(g_jvm, (void **)&env, JNI_VER);
    if (r == JNI_OK) return env;
    if (r != JNI_EDETACHED) return NULL;
    JavaVMAttachArgs args = {JNI_VER, "sqlite-host-thread", NULL};
    if ((*g_jvm)->AttachCurrentThreadAsDaemon(g_jvm, (void **)&env, &args) != JNI_OK) return NULL;
    pthread_once(&g_keyOnce, make_detach_key);
    pthread_setspecific(g_detachKey, g_jvm);
    return env;
}

/* True when a Java exception escaped; it is cleared (described first with LITESTREAM_VFS_DEBUG). */
static int java_threw(JNIEnv *env, int mappedCode) {
    if (!(*env)->ExceptionCheck(env)) return 0;
    if (getenv("LITESTREAM_VFS_DEBUG")) (*env)->ExceptionDescribe(env);
    (*env)->ExceptionClear(env);
    sqlite3_log(mappedCode, "litestream: unexpected Java exception, reported as %d", mappedCode);
    return 1;
}

static void count(long long *c) { __atomic_fetch_add(c, 1, __ATOMIC_RELAXED); }
static void count_by(long long *c, long long n) { __atomic_fetch_add(c, n, __ATOMIC_RELAXED); }
static long long mono_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A Java byte[] copy of s; NULL for NULL. A failed allocation also gives NULL, with no exception left
 * pending (callers tell the two apart by s), so the caller may go on calling JNI. */
static jbyteArray bytes_of(JNIEnv *env, const char *s) {
    if (s == NULL) return NULL;
    jsize n = (jsize)strlen(s);
    jbyteArray a = (*env)->NewByteArray(env, n);
    if (a != NULL) (*env)->SetByteArrayRegion(env, a, 0, n, (const jbyte *)s);
    if ((*env)->ExceptionCheck(env)) {
        (*env)->ExceptionClear(env);
        if (a != NULL) (*env)->DeleteLocalRef(env, a);
        return NULL;
    }
    return a;
}

/* Copies a Java String into sqlite3_malloc'd UTF-8 (modified UTF-8 is fine for messages). */
static char *string_of(JNIEnv *env, jobject s) {
    if (s == NULL) return NULL;
    const char *c = (*env)->GetStringUTFChars(env, s, NULL);
    if (c == NULL) { (*env)->ExceptionClear(env); return NULL; }
    char *copy = sqlite3_mprintf("%s", c);
    (*env)->ReleaseStringUTFChars(env, s, c);
    return copy;
}

/* ---------------------------------------------------------------- the Java-backed main db file */

typedef struct JFile {
    sqlite3_file base;
    jobject obj;              /* global ref to dev.ltx4j.vfs.internal.NativeFile */
    unsigned char *buf;       /* scratch shared with Java as one direct ByteBuffer; Java holds the only
                               * ByteBuffer over it, so it is freed only after Java let go (setBuffer) */
    int bufCap;
    sqlite3_file *lock;       /* parent-VFS lock file holding the real fcntl lock state; NULL: no locks */
    const char *lockName;     /* from sqlite3_create_filename; must outlive the lock file */
    int readLocked;           /* beginRead() delivered (SHARED lock held), endRead() not yet */
    int writeLocked;          /* beginWrite() delivered, endWrite() not yet */
    int dirty;                /* pages written since the last commit()/rollback() */
    int sectorSize, deviceCharacteristics;
    int atomicCommits;        /* Java's VfsDatabase.atomicCommits(): see "Journals of atomic databases" */
    int snapshotReads;        /* VfsDatabase.snapshotReads(): SHARED stays in the process (see "Snapshot readers") */
    int exclusiveLocking;     /* PRAGMA locking_mode=EXCLUSIVE seen: every level goes to the lock file again */
    int fileLevel;            /* the level held on the lock file */
    const char *zName;        /* SQLite's name of the database; its journal name derives from it */
    struct JFile *nextAtomic; /* list of open atomic-commit files, under g_atomicMutex */
    LsVfs *vfs;
    int journalSwept;         /* the pager's first journal delete reached the disk; later ones skip it (vDelete) */
    int writerState;          /* WRITER_* below: this connection's place in the in-process writer hand-over */
    struct JFile *nextWriter; /* list of writing files, under g_writerMutex */
    /* A kept snapshot (see "Snapshot readers"): Java's pin of this connection's last read transaction, reused while
     * the database's stamp has not moved since just before it was pinned. */
    LsStamp *stamp;           /* the database's version stamp; NULL: every read transaction asks Java */
    long long pinStamp;       /* stamp->changes read just before Java pinned the kept snapshot */
    long long readStamp;      /* stamp->changes read just before the current read transaction's pin */
    int kept;                 /* Java's pin may be reused by the next read transaction (and answers size/probe) */
    int parked;               /* a kept pin outlives its read transaction: Java has not been told endRead */
    int probeCached;          /* probe holds the snapshot's bytes 24..39 as SQLite last got them from Java */
    long long pinSize;        /* the kept snapshot's size in bytes */
    unsigned char probe[16];
    long long viewStamp;      /* the stamp whose state the kept pin is exactly (see "Native page view"), or -1 */
    int memLocks;             /* lock levels in stamp->locks, not on a lock file (see "Lock table in the process") */
    int ownKept;              /* the kept pin is the re-pin after this connection's own commit (keep_after_commit) */
    int headerWritten;        /* this write transaction wrote page 1 whole: header holds its bytes 24..39 */
    unsigned char header[16];
    /* "Pages of the last commit": this write transaction's whole pages as written, for the view (wn of them). */
    int pinShowsStored;       /* Java: a read of page 1 in the kept pin shows its stored bytes unaltered */
    int viewWrite;            /* this write transaction began on a kept pin of exactly viewStamp: until it writes, its
                               * reads are that state's (the engine refused it otherwise), so the view serves them */
    int wn, wAmount, wOff;    /* pages kept; their size; wOff: not kept (too many, truncated, or no one to share with) */
    long long wPg[8];
    unsigned char *wBuf;      /* 8 pages of wAmount bytes */
} JFile;

/* ---------------------------------------------------------------- journals of atomic databases
 *
 * An engine database (VfsDatabase.atomicCommits() == true) commits each transaction atomically and
 * durably itself at SQLITE_FCNTL_COMMIT_PHASETWO, and its crash recovery drops a transaction that
 * did not reach it. Its file therefore never holds a half-written transaction after a crash, and
 * SQLite's rollback journal is needed only inside the process (ROLLBACK, savepoints, a commit the
 * engine refuses). For such databases:
 *   - the journal lives in memory (MemJournal below): no file is created, written, synced or
 *     unlinked, so a commit costs no journal system call at all; a crash loses it, which is right;
 *   - no "<db>-journal" name ever exists for it, so none can outlive a crash and be taken for a hot
 *     journal; the pager's own delete of that name then finds nothing, which is not an error;
 *   - a "<db>-journal" that exists anyway (left by an older build, or by another program) is hidden
 *     from xAccess, so SQLite never plays stale pages back into the engine;
 *   - the database file's xSync is not passed to Java: the engine's commit does its own fsync
 *     (durability local), so SQLite's sync would add nothing.
 * The pager treats MemJournal as an ordinary file (it only recognises its own memjournal.c table as
 * "in memory"), so DELETE, TRUNCATE and PERSIST modes run their usual code paths against it. */

static pthread_mutex_t g_atomicMutex = PTHREAD_MUTEX_INITIALIZER;
static JFile *g_atomicFiles;
static unsigned long g_atomicEpoch = 1; /* advanced (under g_atomicMutex) whenever g_atomicFiles changes */

static void atomic_add(JFile *f) {
    pthread_mutex_lock(&g_atomicMutex);
    f->nextAtomic = g_atomicFiles;
    g_atomicFiles = f;
    __atomic_add_fetch(&g_atomicEpoch, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_atomicMutex);
}

static void atomic_remove(JFile *f) {
    pthread_mutex_lock(&g_atomicMutex);
    for (JFile **p = &g_atomicFiles; *p != NULL; p = &(*p)->nextAtomic) {
        if (*p == f) { *p = f->nextAtomic; break; }
    }
    f->nextAtomic = NULL;
    __atomic_add_fetch(&g_atomicEpoch, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_atomicMutex);
}

/* The pager asks xAccess for "<db>-journal" and "<db>-wal" at every read transaction. Each thread remembers its last
 * answer per suffix for the same VFS and path while the list of atomic databases is unchanged (same epoch), so
 * readers of many threads do not meet on g_atomicMutex once per transaction. */
typedef struct AccessMemo {
    unsigned long epoch;      /* 0: empty */
    sqlite3_vfs *vfs;
    int answer;
    char path[512];
} AccessMemo;
static __thread AccessMemo t_accessMemo[2];

/* True when the database named zDb (SQLite's own pointer, from sqlite3_filename_database) is an
 * open atomic-commit database of this VFS. Unknown names say no: the journal stays an ordinary one. */
static int atomic_database(sqlite3_vfs *vfs, const char *zDb) {
    int found = 0;
    pthread_mutex_lock(&g_atomicMutex);
    for (JFile *f = g_atomicFiles; f != NULL && !found; f = f->nextAtomic)
        found = (sqlite3_vfs *)f->vfs == vfs && f->zName == zDb;
    pthread_mutex_unlock(&g_atomicMutex);
    return found;
}

/* True when zPath is "<name>-journal" for an open atomic-commit database of this VFS (by text:
 * xAccess is also called with paths that are not SQLite filenames). */
static int atomic_sibling_path(sqlite3_vfs *vfs, const char *zPath, const char *suffix) {
    size_t n = strlen(zPath), s = strlen(suffix);
    if (n <= s || strcmp(zPath + n - s, suffix) != 0) return 0;
    AccessMemo *m = &t_accessMemo[strcmp(suffix, "-wal") == 0];
    int memo = n < sizeof m->path;
    if (memo && m->epoch == __atomic_load_n(&g_atomicEpoch, __ATOMIC_ACQUIRE) && m->vfs == vfs
        && memcmp(m->path, zPath, n + 1) == 0)
        return m->answer;
    int found = 0;
    pthread_mutex_lock(&g_atomicMutex);
    for (JFile *f = g_atomicFiles; f != NULL && !found; f = f->nextAtomic)
        found = (sqlite3_vfs *)f->vfs == vfs && strlen(f->zName) == n - s && strncmp(f->zName, zPath, n - s) == 0;
    if (memo) {
        m->epoch = g_atomicEpoch;
        m->vfs = vfs;
        m->answer = found;
        memcpy(m->path, zPath, n + 1);
    }
    pthread_mutex_unlock(&g_atomicMutex);
    return found;
}

static int atomic_journal_path(sqlite3_vfs *vfs, const char *zPath) { return atomic_sibling_path(vfs, zPath, "-journal"); }

/* A journal held in one growable heap buffer. Used by one pager (one connection) at a time, as any
 * journal file is, so it needs no lock of its own. Bytes between size and a later write are zeros,
 * and reads past size are short reads padded with zeros, as with a file. */
typedef struct MemJournal {
    sqlite3_file base;
    unsigned char *data;
    sqlite3_int64 size;       /* logical file size */
    sqlite3_int64 cap;        /* bytes allocated at data */
} MemJournal;

#define MEMJOURNAL_MIN_CAP (64 * 1024)
#define MEMJOURNAL_KEEP_CAP (1024 * 1024) /* truncating to 0 frees a buffer bigger than this */

/* Makes room for `need` bytes, doubling, so a journal that grows page by page costs amortised O(1). */
static int memjournal_reserve(MemJournal *j, sqlite3_int64 need) {
    if (need <= j->cap) return SQLITE_OK;
    sqlite3_int64 cap = j->cap < MEMJOURNAL_MIN_CAP ? MEMJOURNAL_MIN_CAP : j->cap;
    while (cap < need) {
        if (cap > ((sqlite3_int64)1 << 61)) return SQLITE_IOERR_NOMEM;
        cap *= 2;
    }
    unsigned char *d = sqlite3_realloc64(j->data, (sqlite3_uint64)cap);
    if (d == NULL) return SQLITE_IOERR_NOMEM; /* the old buffer and its contents stay intact */
    j->data = d;
    j->cap = cap;
    return SQLITE_OK;
}

static int mjClose(sqlite3_file *p) {
    MemJournal *j = (MemJournal *)p;
    sqlite3_free(j->data);
    j->data = NULL;
    j->size = j->cap = 0;
    return SQLITE_OK;
}

static int mjRead(sqlite3_file *p, void *buf, int amt, sqlite3_int64 off) {
    MemJournal *j = (MemJournal *)p;
    if (amt < 0 || off < 0) return SQLITE_IOERR_READ;
    sqlite3_int64 have = off >= j->size ? 0 : j->size - off;
    if (have >= amt) {
        memcpy(buf, j->data + off, (size_t)amt);
        return SQLITE_OK;
    }
    if (have > 0) memcpy(buf, j->data + off, (size_t)have);
    memset((unsigned char *)buf + have, 0, (size_t)(amt - have));
    return SQLITE_IOERR_SHORT_READ;
}

static int mjWrite(sqlite3_file *p, const void *buf, int amt, sqlite3_int64 off) {
    MemJournal *j = (MemJournal *)p;
    if (amt < 0 || off < 0) return SQLITE_IOERR_WRITE;
    if (amt == 0) return SQLITE_OK; /* like pwrite: writing nothing extends nothing */
    sqlite3_int64 end = off + amt;
    int rc = memjournal_reserve(j, end);
    if (rc != SQLITE_OK) return rc;
    if (off > j->size) memset(j->data + j->size, 0, (size_t)(off - j->size)); /* a gap reads as zeros */
    memcpy(j->data + off, buf, (size_t)amt);
    if (end > j->size) j->size = end;
    return SQLITE_OK;
}

static int mjTruncate(sqlite3_file *p, sqlite3_int64 size) {
    MemJournal *j = (MemJournal *)p;
    if (size < 0) return SQLITE_IOERR_TRUNCATE;
    if (size > j->size) { /* like ftruncate: extending adds zeros */
        if (memjournal_reserve(j, size) != SQLITE_OK) return SQLITE_IOERR_TRUNCATE;
        memset(j->data + j->size, 0, (size_t)(size - j->size));
    } else if (size == 0 && j->cap > MEMJOURNAL_KEEP_CAP) {
        sqlite3_free(j->data); /* journal_mode=TRUNCATE after a big transaction: give the memory back */
        j->data = NULL;
        j->cap = 0;
    }
    j->size = size;
    return SQLITE_OK;
}

static int mjSync(sqlite3_file *p, int flags) { (void)p; (void)flags; return SQLITE_OK; }
static int mjFileSize(sqlite3_file *p, sqlite3_int64 *size) { *size = ((MemJournal *)p)->size; return SQLITE_OK; }
static int mjLock(sqlite3_file *p, int level) { (void)p; (void)level; return SQLITE_OK; }
static int mjCheckReservedLock(sqlite3_file *p, int *out) { (void)p; *out = 0; return SQLITE_OK; }
static int mjFileControl(sqlite3_file *p, int op, void *arg) { (void)p; (void)op; (void)arg; return SQLITE_NOTFOUND; }
static int mjSectorSize(sqlite3_file *p) { (void)p; return 0; }
static int mjDeviceCharacteristics(sqlite3_file *p) { (void)p; return 0; }

static const sqlite3_io_methods memjournal_methods = {
    1, mjClose, mjRead, mjWrite, mjTruncate, mjSync, mjFileSize, mjLock, mjLock, mjCheckReservedLock,
    mjFileControl, mjSectorSize, mjDeviceCharacteristics, 0, 0, 0, 0, 0, 0};

/* Opens the journal of an atomic-commit database in memory (see above); it starts empty. */
static int open_atomic_journal(sqlite3_file *file, int flags, int *pOutFlags) {
    MemJournal *j = (MemJournal *)file;
    memset(j, 0, sizeof *j);
    j->base.pMethods = &memjournal_methods;
    if (pOutFlags) *pOutFlags = flags;
    return SQLITE_OK;
}

/* Calls a NativeFile method returning int: a SQLite code. */
static int call_int(JFile *f, jmethodID m, int errCode, int hasArg, jvalue arg) {
    JNIEnv *env = env_get();
    if (env == NULL) return errCode;
    count(&g_crossings);
    jint rc = hasArg ? (*env)->CallIntMethodA(env, f->obj, m, &arg)
                     : (*env)->CallIntMethod(env, f->obj, m);
    if (java_threw(env, errCode)) return errCode;
    return rc;
}

/* Grows the shared scratch buffer. The old one stays valid (and Java keeps using it) until Java holds a
 * ByteBuffer over the new one: only then is the old one freed, so Java never sees freed memory. */
static int ensure_buffer(JNIEnv *env, JFile *f, int amount) {
    if (amount <= f->bufCap) return SQLITE_OK;
    unsigned char *nb = malloc((size_t)amount);
    if (nb == NULL) return SQLITE_NOMEM;
    jobject bb = (*env)->NewDirectByteBuffer(env, nb, amount);
    if (bb == NULL) {
        (*env)->ExceptionClear(env);
        free(nb);
        return SQLITE_NOMEM;
    }
    (*env)->CallVoidMethod(env, f->obj, m_setBuffer, bb);
    (*env)->DeleteLocalRef(env, bb);
    if (java_threw(env, SQLITE_NOMEM)) {
        free(nb); /* setBuffer is one field store: it did not take the new buffer */
        return SQLITE_NOMEM;
    }
    free(f->buf);
    f->buf = nb;
    f->bufCap = amount;
    return SQLITE_OK;
}

/* ---------------------------------------------------------------- native page view
 *
 * After another connection's commit moves the stamp, SQLite drops a reader's page cache (the change counter moved)
 * and reads its pages again; without this view each of those reads crosses into Java. The view keeps immutable
 * copies of recently read pages in C, each valid for a range of stamps [from, to). A reader whose pin is exactly the
 * state of stamp t (t even, and the stamp read unchanged just before and just after Java pinned) copies a page from
 * an entry with from <= t < to. The engine, under its state lock and *before* it publishes a change, tells the view
 * which pages change (n_pagesChanging: their entries end at the new, odd stamp; a change of unknown pages ends every
 * entry), then publishes, then advances the stamp to the next even value (n_bumpStamp). So a reader never pairs a
 * stamp with a state it does not describe: a pin that saw the new state saw the odd stamp after it. A reader that
 * missed fills the entry from what Java returned for its pin, unless a change of that page (or of all pages) began
 * after t.
 *
 * Concurrency: lookups take no lock (a seqlock per slot; the arena is freed only once the database closed and no
 * connection is attached); fills and changes take the view's mutex. Memory: one arena of at most `budget` bytes of
 * pages, set-associative (VIEW_WAYS per set, CLOCK within a set), allocated at the first fill. Page 1 is never kept
 * (its bytes are per connection: PageOneView, noticeReplacedContent). docs/concurrent-readers.md.
 */
#define VIEW_WAYS 8
#define VIEW_RING 1024 /* the last page changes, for the fill check */
#define VIEW_OPEN LLONG_MAX

typedef struct LsSlot {
    unsigned seq;             /* odd while the slot is rewritten (under the view's mutex) */
    unsigned char ref;        /* CLOCK reference bit */
    long long pgno;           /* 0: empty */
    long long from, to;       /* valid for stamps from <= t < to */
    unsigned char *data;
} LsSlot;

struct LsView {
    pthread_mutex_t mutex;
    long long budget;         /* bytes of pages at most */
    int pageSize;             /* of the arena, set with it */
    unsigned sets;            /* a power of two */
    LsSlot *slots;            /* sets * VIEW_WAYS; NULL without an arena */
    unsigned char *arena;
    long long *ringPg, *ringAt; /* page and stamp of the last VIEW_RING page changes, oldest overwritten first */
    unsigned long long ringNext;
    long long ringFloor;      /* fills at stamps below it are refused (changes not in the ring may follow them) */
    long long resetAt;        /* the stamp of the last change of unknown pages */
    unsigned hand;            /* CLOCK start */
    int attached, closed;     /* connections of this database; the database closed */
    int noArena;              /* the budget holds no set of pages of this size: never try again */
};

static long long g_viewHits, g_viewMisses, g_viewFills; /* for measurements; relaxed atomics */

static LsView *view_new(long long budget) {
    if (budget <= 0) return NULL;
    LsView *v = calloc(1, sizeof *v);
    if (v == NULL) return NULL;
    pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
    v->mutex = init;
    v->budget = budget;
    return v;
}

static unsigned view_set_of(LsView *v, long long pgno) {
    return (unsigned)(((unsigned long long)pgno * 0x9E3779B97F4A7C15ULL) >> 32) & (v->sets - 1);
}

/* Under the mutex. */
static void view_free_arena(LsView *v) {
    LsSlot *slots = v->slots;
    __atomic_store_n(&v->slots, NULL, __ATOMIC_RELEASE);
    free(slots);
    free(v->arena);
    free(v->ringPg);
    free(v->ringAt);
    v->arena = NULL;
    v->ringPg = v->ringAt = NULL;
    v->pageSize = 0;
}

/* Under the mutex: the arena for pages of pageSize bytes; changes before `now` are unknown to it. */
static int view_alloc(LsView *v, int pageSize, long long now) {
    if (v->noArena || pageSize <= 0) return 0;
    long long n = v->budget / pageSize / VIEW_WAYS;
    unsigned sets = 1;
    while ((long long)sets * 2 <= n && sets < (1u << 24)) sets *= 2;
    if (n < 1) { v->noArena = 1; return 0; }
    LsSlot *slots = calloc((size_t)sets * VIEW_WAYS, sizeof *slots);
    unsigned char *arena = malloc((size_t)sets * VIEW_WAYS * (size_t)pageSize);
    long long *pg = calloc(VIEW_RING, sizeof *pg), *at = calloc(VIEW_RING, sizeof *at);
    if (slots == NULL || arena == NULL || pg == NULL || at == NULL) {
        free(slots); free(arena); free(pg); free(at);
        v->noArena = 1;
        return 0;
    }
    for (size_t i = 0; i < (size_t)sets * VIEW_WAYS; i++) slots[i].data = arena + i * (size_t)pageSize;
    v->arena = arena;
    v->ringPg = pg;
    v->ringAt = at;
    v->ringNext = 0;
    v->ringFloor = now;
    v->sets = sets;
    v->pageSize = pageSize;
    __atomic_store_n(&v->slots, slots, __ATOMIC_RELEASE);
    return 1;
}

static void view_attach(LsView *v) {
    if (v == NULL) return;
    pthread_mutex_lock(&v->mutex);
    v->attached++;
    pthread_mutex_unlock(&v->mutex);
}

static void view_detach(LsView *v) {
    if (v == NULL) return;
    pthread_mutex_lock(&v->mutex);
    if (--v->attached == 0 && v->closed) view_free_arena(v);
    pthread_mutex_unlock(&v->mutex);
}

/* Copies bytes [at, at + amount) of page pgno as of stamp t into out; 1 on a hit. No lock: a slot rewritten meanwhile
 * is a miss. */
static int view_lookup_part(LsView *v, long long pgno, long long t, void *out, int at, int amount) {
    LsSlot *slots = __atomic_load_n(&v->slots, __ATOMIC_ACQUIRE);
    if (slots == NULL || at < 0 || amount <= 0 || at + amount > v->pageSize) return 0;
    LsSlot *set = slots + (size_t)view_set_of(v, pgno) * VIEW_WAYS;
    for (int w = 0; w < VIEW_WAYS; w++) {
        LsSlot *s = &set[w];
        unsigned q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        if ((q & 1) || __atomic_load_n(&s->pgno, __ATOMIC_RELAXED) != pgno) continue;
        if (__atomic_load_n(&s->from, __ATOMIC_RELAXED) > t || t >= __atomic_load_n(&s->to, __ATOMIC_RELAXED)) continue;
        memcpy(out, s->data + at, (size_t)amount);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != q) return 0;
        if (!__atomic_load_n(&s->ref, __ATOMIC_RELAXED)) __atomic_store_n(&s->ref, 1, __ATOMIC_RELAXED);
        return 1;
    }
    return 0;
}

/* A whole page: the view's page size is the database's (fills are whole pages only). */
static int view_lookup(LsView *v, long long pgno, long long t, void *out, int amount) {
    return amount == v->pageSize && view_lookup_part(v, pgno, t, out, 0, amount);
}

/* Keeps page pgno as Java returned it for a pin of exactly stamp t, unless it (or everything) changed since t. */
static void view_fill(LsStamp *st, long long pgno, long long t, const void *page, int amount) {
    LsView *v = st->view;
    pthread_mutex_lock(&v->mutex);
    if (v->closed || (v->slots == NULL && !view_alloc(v, amount, __atomic_load_n(&st->changes, __ATOMIC_ACQUIRE)))
        || amount != v->pageSize || v->resetAt > t || v->ringFloor > t) {
        pthread_mutex_unlock(&v->mutex);
        return;
    }
    for (unsigned long long i = v->ringNext; i > 0 && i + VIEW_RING > v->ringNext; i--) {
        size_t r = (size_t)((i - 1) % VIEW_RING);
        if (v->ringAt[r] <= t) break;
        if (v->ringPg[r] == pgno) { pthread_mutex_unlock(&v->mutex); return; } /* changed after t */
    }
    LsSlot *set = v->slots + (size_t)view_set_of(v, pgno) * VIEW_WAYS, *victim = NULL;
    for (int w = 0; w < VIEW_WAYS && victim == NULL; w++) {
        if (set[w].pgno == pgno || set[w].pgno == 0) victim = &set[w];
    }
    for (int k = 0; victim == NULL && k < 2 * VIEW_WAYS; k++) {
        LsSlot *s = &set[(v->hand++) % VIEW_WAYS];
        if (__atomic_load_n(&s->ref, __ATOMIC_RELAXED)) __atomic_store_n(&s->ref, 0, __ATOMIC_RELAXED);
        else victim = s;
    }
    if (victim == NULL) victim = &set[v->hand % VIEW_WAYS];
    unsigned q = victim->seq;
    __atomic_store_n(&victim->seq, q + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&victim->pgno, pgno, __ATOMIC_RELAXED);
    __atomic_store_n(&victim->from, t, __ATOMIC_RELAXED);
    __atomic_store_n(&victim->to, VIEW_OPEN, __ATOMIC_RELAXED);
    memcpy(victim->data, page, (size_t)amount);
    __atomic_store_n(&victim->ref, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&victim->seq, q + 2, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&v->mutex);
    count(&g_viewFills);
}

/* Under the mutex: entries of pgno end at stamp `at`. */
static void view_end_page(LsView *v, long long pgno, long long at) {
    LsSlot *set = v->slots + (size_t)view_set_of(v, pgno) * VIEW_WAYS;
    for (int w = 0; w < VIEW_WAYS; w++) {
        if (set[w].pgno == pgno && set[w].to > at) __atomic_store_n(&set[w].to, at, __ATOMIC_RELAXED);
    }
    if (v->ringNext >= VIEW_RING) {
        long long dropped = v->ringAt[v->ringNext % VIEW_RING];
        if (dropped > v->ringFloor) v->ringFloor = dropped;
    }
    v->ringPg[v->ringNext % VIEW_RING] = pgno;
    v->ringAt[v->ringNext % VIEW_RING] = at;
    v->ringNext++;
}

/* A change is about to be published (see above): pages (n of them; n < 0: unknown) end now; the stamp turns odd. */
static void stamp_changing(LsStamp *st, const long long *pages, int n) {
    LsView *v = st->view;
    if (v != NULL) pthread_mutex_lock(&v->mutex);
    long long s = __atomic_load_n(&st->changes, __ATOMIC_ACQUIRE), at = (s & 1) ? s + 2 : s + 1;
    if (v != NULL && n < 0) {
        v->resetAt = at;
        for (size_t i = 0; v->slots != NULL && i < (size_t)v->sets * VIEW_WAYS; i++) {
            if (v->slots[i].to > at) __atomic_store_n(&v->slots[i].to, at, __ATOMIC_RELAXED);
        }
    } else if (v != NULL && v->slots != NULL) {
        for (int i = 0; i < n; i++) view_end_page(v, pages[i], at);
    }
    __atomic_store_n(&st->changes, at, __ATOMIC_SEQ_CST);
    if (v != NULL) pthread_mutex_unlock(&v->mutex);
}

static int release_parked(JFile *f);

/* ---------------------------------------------------------------- pages of the last commit
 *
 * After a hand-over between writers the next writer pins the state the last commit made,
 * and its SQLite, seeing page 1's change counter moved, reads page 1 and the pages it needs again: the change-counter
 * probe, page 1 and the B-tree leaf the last commit changed all missed the native page view (that commit ended their
 * entries) and crossed into Java. The committing connection has just written exactly those pages (the engine stores
 * what SQLite writes), so when its commit is kept (keep_after_commit: the stamp still reads the value the commit's
 * own announcement set, so the state of that value is the commit's), it fills the view with them for that stamp
 * value, as a reader that read them from Java would. Page 1 goes in too, for readers whose Java side says a read of
 * page 1 shows its stored bytes unaltered (NativeFile.pinShowsStored: no replaced content to make visible) and only
 * when it is not in WAL format (never written so here; PageOneView would alter it). Only while another connection
 * of the database is open, and for at most 8 whole pages per transaction (an autocommit INSERT writes 2); a
 * transaction that truncated keeps nothing. docs/group-commit.md, "Pages of the last commit". */
#define KEPT_WRITES 8

static void keep_written(JFile *f, const void *in, int amount, sqlite3_int64 offset) {
    if (f->wOff) return;
    LsView *v = f->stamp != NULL ? f->stamp->view : NULL;
    if (v == NULL || amount < 512 || (amount & (amount - 1)) != 0 || offset % amount != 0
        || (f->wAmount != 0 && f->wAmount != amount) || __atomic_load_n(&v->attached, __ATOMIC_RELAXED) < 2) {
        f->wOff = 1;
        return;
    }
    if (f->wBuf == NULL) {
        f->wBuf = malloc((size_t)KEPT_WRITES * (size_t)amount);
        if (f->wBuf == NULL) { f->wOff = 1; return; }
        f->wAmount = amount;
    }
    long long pgno = offset / amount + 1;
    int i = 0;
    while (i < f->wn && f->wPg[i] != pgno) i++;
    if (i == f->wn) {
        if (f->wn == KEPT_WRITES) { f->wOff = 1; return; }
        f->wPg[f->wn++] = pgno;
    }
    memcpy(f->wBuf + (size_t)i * (size_t)amount, in, (size_t)amount); /* the last write of a page wins */
}

/* The commit is kept as the state of stamp value v: its pages are that state's (see above). */
static void share_written(JFile *f, long long v) {
    if (!f->wOff && f->stamp->view != NULL && !(f->stamp->faults & FAULT_NO_COMMIT_PAGES)) {
        for (int i = 0; i < f->wn; i++) {
            const unsigned char *pg = f->wBuf + (size_t)i * (size_t)f->wAmount;
            if (f->wPg[i] == 1 && (pg[18] == 2 || pg[19] == 2)) continue;
            view_fill(f->stamp, f->wPg[i], v, pg, f->wAmount);
        }
    }
    f->wn = 0;
}

/* Page 1 bytes [offset, offset + amount) of a kept pin that is exactly the state of viewStamp, from the view. */
static int page_one_from_view(JFile *f, void *out, int amount, sqlite3_int64 offset) {
    if (f->viewStamp < 0 || !f->kept || !f->pinShowsStored || !f->readLocked || f->writeLocked || offset < 0
        || offset >= 65536) return 0;
    return view_lookup_part(f->stamp->view, 1, f->viewStamp, out, (int)offset, amount);
}

/* SQLite's per-transaction probe of page 1 (file change counter and friends) in a kept snapshot. */
static int is_probe(JFile *f, int amount, sqlite3_int64 offset) {
    return offset == 24 && amount == 16 && f->readLocked && f->kept && !f->writeLocked;
}

static int jRead(sqlite3_file *p, void *out, int amount, sqlite3_int64 offset) {
    JFile *f = (JFile *)p;
    int probe = is_probe(f, amount, offset);
    if (probe && f->probeCached) {
        memcpy(out, f->probe, 16); /* the same snapshot as when Java answered it: no crossing */
        return SQLITE_OK;
    }
    if (!f->readLocked) release_parked(f);
    if (page_one_from_view(f, out, amount, offset)) { /* a commit's own page 1 (see "Pages of the last commit") */
        count(&g_viewHits);
        if (probe) {
            memcpy(f->probe, out, 16);
            f->probeCached = 1;
        }
        return SQLITE_OK;
    }
    /* A whole page (not page 1) of a kept pin that is exactly the state of viewStamp: the native page view first; also
     * in a write transaction begun on such a pin until it writes (see "Pages of the last commit"). */
    long long pgno = 0;
    if (f->viewStamp >= 0 && f->readLocked && (f->writeLocked ? f->viewWrite && !f->dirty : f->kept) && offset > 0
        && amount > 0 && offset % amount == 0) {
        pgno = offset / amount + 1;
        if (view_lookup(f->stamp->view, pgno, f->viewStamp, out, amount)) {
            count(&g_viewHits);
            return SQLITE_OK;
        }
        count(&g_viewMisses);
    }
    JNIEnv *env = env_get();
    if (env == NULL) return SQLITE_IOERR_READ;
    if (ensure_buffer(env, f, amount) != SQLITE_OK) return SQLITE_IOERR_NOMEM;
    count(&g_reads);
    count(&g_crossings);
    /* One crossing. Java hands back either the page itself (usually the engine's cached, immutable array),
     * copied here once straight into SQLite's buffer, or null with the bytes in the shared buffer and the
     * count (or minus a SQLite code) in NativeFile.readResult. */
    jobject page = (*env)->CallObjectMethod(env, f->obj, m_readDirect, (jlong)offset, (jint)amount);
    if (java_threw(env, SQLITE_IOERR_READ)) return SQLITE_IOERR_READ;
    if (page != NULL) {
        (*env)->GetByteArrayRegion(env, (jbyteArray)page, 0, amount, (jbyte *)out);
        (*env)->DeleteLocalRef(env, page);
        if (java_threw(env, SQLITE_IOERR_READ)) return SQLITE_IOERR_READ;
        if (pgno > 0) view_fill(f->stamp, pgno, f->viewStamp, out, amount); /* the pin's page, read whole */
        return SQLITE_OK;
    }
    jint n = (*env)->GetIntField(env, f->obj, f_readResult);
    if (n < 0) return -n;
    if (n > amount) return SQLITE_IOERR_READ;
    memcpy(out, f->buf, (size_t)n);
    if (pgno > 0 && n == amount) view_fill(f->stamp, pgno, f->viewStamp, out, amount); /* the pin's page, whole */
    if (n < amount) {
        /* SQLite relies on the unread tail being zero, e.g. when it reads past EOF. */
        memset((char *)out + n, 0, (size_t)(amount - n));
        return SQLITE_IOERR_SHORT_READ;
    }
    if (probe && (*env)->GetBooleanField(env, f->obj, f_probeRepeatable)) {
        memcpy(f->probe, out, 16);
        f->probeCached = 1;
    }
    return SQLITE_OK;
}

static int notify(JFile *f, jmethodID m, int errCode);

/* The connection takes SQLite's locks: on a lock file, or in the process (see "Lock table in the process"). */
static int has_locks(JFile *f) { return f->lock != NULL || f->memLocks; }

/* A write under a write lock whose transaction a commit already ended (commitEndingWrite), which only a
 * locking_mode=EXCLUSIVE set without this file seeing the pragma can bring: start the next one first. */
static int rebegin_write(JFile *f) {
    if (f->writeLocked || !has_locks(f) || f->fileLevel < SQLITE_LOCK_RESERVED) return SQLITE_OK;
    f->wOff = 1; /* pages kept may be an earlier transaction's: share none (see "Pages of the last commit") */
    int rc = notify(f, m_beginWrite, SQLITE_IOERR_LOCK);
    if (rc == SQLITE_OK) f->writeLocked = 1;
    return rc;
}

static int jWrite(sqlite3_file *p, const void *in, int amount, sqlite3_int64 offset) {
    JFile *f = (JFile *)p;
    JNIEnv *env = env_get();
    if (env == NULL) return SQLITE_IOERR_WRITE;
    if (rebegin_write(f) != SQLITE_OK) return SQLITE_IOERR_WRITE;
    if (ensure_buffer(env, f, amount) != SQLITE_OK) return SQLITE_IOERR_NOMEM;
    memcpy(f->buf, in, (size_t)amount);
    f->dirty = 1;
    if (offset == 0 && amount >= 40) {
        /* Page 1: its bytes 24..39 are the change-counter probe of the state this commit makes, as stored (the engine
         * stores what SQLite writes), and as shown unless stored in WAL format (PageOneView), which SQLite never writes
         * here (WAL is refused). */
        const unsigned char *h = (const unsigned char *)in;
        memcpy(f->header, h + 24, 16);
        f->headerWritten = h[18] != 2 && h[19] != 2;
    }
    keep_written(f, in, amount, offset); /* see "Pages of the last commit" */
    count(&g_writes);
    count(&g_crossings);
    jint rc = (*env)->CallIntMethod(env, f->obj, m_write, (jlong)offset, (jint)amount);
    if (java_threw(env, SQLITE_IOERR_WRITE)) return SQLITE_IOERR_WRITE;
    return rc;
}

static int jTruncate(sqlite3_file *p, sqlite3_int64 size) {
    JFile *f = (JFile *)p;
    jvalue v;
    v.j = size;
    if (rebegin_write(f) != SQLITE_OK) return SQLITE_IOERR_TRUNCATE;
    f->dirty = 1;
    f->wOff = 1; /* pages above the new size are gone: share none (see "Pages of the last commit") */
    return call_int(f, m_truncate, SQLITE_IOERR_TRUNCATE, 1, v);
}

static int jSync(sqlite3_file *p, int flags) {
    if (((JFile *)p)->atomicCommits) return SQLITE_OK; /* the engine's commit makes it durable */
    jvalue v;
    v.i = flags;
    return call_int((JFile *)p, m_sync, SQLITE_IOERR_FSYNC, 1, v);
}

static int jFileSize(sqlite3_file *p, sqlite3_int64 *pSize) {
    JFile *f = (JFile *)p;
    if (f->readLocked && f->kept && !f->writeLocked) {
        *pSize = f->pinSize; /* the kept snapshot's size, as Java gave it when it pinned */
        return SQLITE_OK;
    }
    if (!f->readLocked) release_parked(f);
    JNIEnv *env = env_get();
    if (env == NULL) return SQLITE_IOERR_FSTAT;
    count(&g_crossings);
    jlong n = (*env)->CallLongMethod(env, f->obj, m_size);
    if (java_threw(env, SQLITE_IOERR_FSTAT)) return SQLITE_IOERR_FSTAT;
    if (n < 0) return (int)-n;
    *pSize = n;
    return SQLITE_OK;
}

static int notify(JFile *f, jmethodID m, int errCode) {
    jvalue none;
    none.j = 0;
    return call_int(f, m, errCode, 0, none);
}

/* A write transaction that wrote pages but ended without COMMIT_PHASETWO was rolled back. */
static int end_write(JFile *f) {
    int rc = SQLITE_OK;
    if (f->dirty) {
        f->dirty = 0;
        f->wOff = 1; /* rolled back: nothing to share (see "Pages of the last commit") */
        rc = notify(f, m_rollback, SQLITE_IOERR);
    }
    if (f->writeLocked) {
        f->writeLocked = 0;
        int rc2 = notify(f, m_endWrite, SQLITE_IOERR);
        if (rc == SQLITE_OK) rc = rc2;
    }
    return rc;
}

/* ---------------------------------------------------------------- snapshot readers
 *
 * A database whose every read transaction pins one engine version (VfsDatabase.snapshotReads(), with atomic
 * commits) needs no SHARED lock in the lock file: a writer's pages go to its own write session and become
 * visible only as a new version, so nothing a reader reads can change under it. Such a connection's SHARED
 * level is kept here in the process; RESERVED and above still go to the lock file (one writer at a time,
 * taking SHARED there first, as the unix VFS expects). A writer's EXCLUSIVE therefore never waits for readers,
 * and readers never see PENDING. What keeps this sound (docs/concurrent-readers.md):
 *   - SQLite's page cache: each read transaction pins the latest version and reads the change counter at 24
 *     from it, so a connection drops its cache whenever another one committed (PageOneView for WAL-format
 *     page 1s);
 *   - a read transaction that wants to write after another connection committed is refused at RESERVED
 *     (Java's beginWrite: SQLITE_BUSY_SNAPSHOT), as in WAL mode, so no commit is built on a stale snapshot;
 *   - no hot journal: journals of atomic databases live in memory and are hidden from xAccess;
 *   - PRAGMA locking_mode=EXCLUSIVE puts the connection back on plain file locks (it expects others kept out).
 *
 * Kept snapshots: most read transactions find nothing changed since the connection's last one. Java advances the
 * database's stamp (LsStamp) after every change a new pin would see, before acknowledging it; a connection reads the
 * stamp just before Java pins and, when Java says the pin reads the latest state (no time travel), keeps the pin at
 * unlock instead of ending it. The next read transaction that finds the stamp unmoved reuses it without crossing
 * into Java: SQLite's file-size call and its change-counter probe (bytes 24..39 of page 1) get the answers Java gave
 * for that same pin, and page reads go to the same pin. A moved stamp, a write transaction, a litestream_ pragma, or
 * any Java call outside a read transaction first ends the kept pin the usual way (release_parked).
 */
static int file_level(JFile *f, int level) {
    if (!f->snapshotReads || f->exclusiveLocking) return level;
    return level >= SQLITE_LOCK_RESERVED ? level : SQLITE_LOCK_NONE;
}

/* ---------------------------------------------------------------- lock table in the process
 *
 * A write-mode engine database has one owner process: its write buffer is locked (StorageLockedException refuses a
 * second process, and a second owner in the same process), one engine Database serves every connection of the
 * process (EngineConnector), and read-mode connections take no locks at all (NativeFile.lockPath ""). So every
 * contender for its SQLite locks is a connection of this process to this one engine database, and the levels the
 * unix VFS would keep with fcntl on "<buffer>.sqlite-lock" are kept here instead, per database, in its version stamp
 * (shared by all its connections whichever copy of this library they entered through), under a mutex, with the unix
 * VFS's rules (unixLock/posixUnlock): SHARED is refused while another connection holds PENDING; RESERVED while another
 * holds RESERVED; EXCLUSIVE takes PENDING first (which stays when EXCLUSIVE is refused, blocking new SHARED locks)
 * and needs no other SHARED holder. Which levels reach the table is unchanged (file_level: snapshot readers' SHARED
 * stays out, locking_mode=EXCLUSIVE puts every level in). A commit then makes no lock system call; SQLITE_BUSY comes
 * exactly where the lock file gave it, and the hand-over below works as before. Databases without a stamp (a plain
 * file, or a stamp that could not be allocated) keep the lock file. docs/group-commit.md, "Locks in the process". */
static int mem_lock(JFile *f, int level) {
    LsLocks *t = &f->stamp->locks;
    int rc = SQLITE_OK;
    pthread_mutex_lock(&t->mutex);
    if (level == SQLITE_LOCK_SHARED) {
        if (t->pending != NULL && t->pending != f) rc = SQLITE_BUSY;
        else t->shared++;
    } else if (level == SQLITE_LOCK_RESERVED) {
        if (t->reserved != NULL && t->reserved != f) rc = SQLITE_BUSY;
        else if (t->reserved == NULL) {
            long long now = mono_ns();
            t->reserved = f;
            count(&g_grants);
            if (t->lastHolder == f) count(&g_regrants);
            if (t->freedAt != 0) count_by(&g_freeNs, now - t->freedAt);
            t->freedAt = 0;
            t->lastHolder = f;
            t->heldSince = now;
        }
    } else if (t->pending != NULL && t->pending != f) {
        rc = SQLITE_BUSY; /* EXCLUSIVE (through PENDING) while another connection is on its way there */
    } else {
        t->pending = f;
        if (t->shared > 1) {
            rc = SQLITE_BUSY; /* other SHARED holders: keep PENDING, so no new one comes, and let SQLite retry */
            level = SQLITE_LOCK_PENDING;
        }
    }
    if (rc == SQLITE_OK || level == SQLITE_LOCK_PENDING) f->fileLevel = level;
    pthread_mutex_unlock(&t->mutex);
    return rc;
}

static void mem_unlock(JFile *f, int level) {
    LsLocks *t = &f->stamp->locks;
    pthread_mutex_lock(&t->mutex);
    if (t->reserved == f && level < SQLITE_LOCK_RESERVED) {
        long long now = mono_ns();
        count_by(&g_heldNs, now - t->heldSince);
        t->freedAt = __atomic_load_n(&g_waitingWriters, __ATOMIC_RELAXED) > 0 ? now : 0; /* free while wanted */
    }
    if (t->reserved == f) t->reserved = NULL;
    if (t->pending == f) t->pending = NULL;
    if (level == SQLITE_LOCK_NONE && f->fileLevel >= SQLITE_LOCK_SHARED) t->shared--;
    f->fileLevel = level;
    pthread_mutex_unlock(&t->mutex);
}

/* One level up on the lock file or in the table; fileLevel follows what was granted. */
static int raw_lock(JFile *f, int level) {
    if (f->memLocks) return mem_lock(f, level);
    int rc = f->lock->pMethods->xLock(f->lock, level);
    if (rc == SQLITE_OK) f->fileLevel = level;
    return rc;
}

static int raw_unlock(JFile *f, int level) {
    if (f->memLocks) {
        mem_unlock(f, level);
        return SQLITE_OK;
    }
    int rc = f->lock->pMethods->xUnlock(f->lock, level);
    if (rc == SQLITE_OK) f->fileLevel = level;
    return rc;
}

/* The file locks, when the database has any (see open_lock_file and the lock table above). */
static int lock_to(JFile *f, int level) {
    if (!has_locks(f)) return SQLITE_OK;
    int want = file_level(f, level), took = 0;
    if (want <= f->fileLevel) return SQLITE_OK;
    if (f->fileLevel == SQLITE_LOCK_NONE && want > SQLITE_LOCK_SHARED) {
        int rc = raw_lock(f, SQLITE_LOCK_SHARED);
        if (rc != SQLITE_OK) return rc;
        took = 1;
    }
    int rc = raw_lock(f, want);
    if (rc != SQLITE_OK && took) {
        raw_unlock(f, SQLITE_LOCK_NONE); /* a refused writer must not keep a SHARED that blocks the commit it waits for */
    }
    return rc;
}

static int unlock_to(JFile *f, int level) {
    if (!has_locks(f)) return SQLITE_OK;
    int want = file_level(f, level);
    if (want >= f->fileLevel) return SQLITE_OK;
    return raw_unlock(f, want);
}

/* ---------------------------------------------------------------- hand-over between writers of one process
 *
 * SQLite answers a refused write lock with its busy handler, which sleeps (1, 2, 5, 10 ... 100 ms between tries
 * with busy_timeout). Writers of one database in one process would then hand the write lock to each other
 * through those sleeps: a commit takes about one fsync, a waiter sleeps up to 100 ms, and a sleeping waiter
 * misses hand-overs. Instead, a connection refused while another connection of this process holds the write
 * lock of the same lock file waits here to be woken when that one lets go:
 *   - while the holder is committing (commit phase one reached: at most the engine's fsync is left), until it
 *     unlocks (bounded by WRITER_COMMIT_WAIT_MS for safety);
 *   - while the holder is still inside its transaction, at most WRITER_TXN_WAIT_MS per try, then SQLITE_BUSY as
 *     before: a long explicit transaction still gets SQLite's busy handling and timeout.
 * A holder in another process is not seen here: SQLITE_BUSY at once, as before. The waiter holds nothing on the
 * lock file while it waits (lock_to gave its SHARED back), so the holder's EXCLUSIVE and unlock never wait for it.
 * Durability is untouched: the engine still fsyncs in commit phase two, under the lock. */
#define WRITER_NONE 0
#define WRITER_HOLDING 1
#define WRITER_COMMITTING 2
#define WRITER_TXN_WAIT_MS 10
#define WRITER_COMMIT_WAIT_MS 2000

static pthread_mutex_t g_writerMutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_writerReleased;
static pthread_once_t g_writerOnce = PTHREAD_ONCE_INIT;
static JFile *g_writers;
static long long g_handoffWaits; /* for measurements: waits that ended in a hand-over or a timeout */

/* Set when this thread's write lock was just refused because another connection committed after its read
 * transaction pinned (SQLITE_BUSY_SNAPSHOT from beginWrite, typically right after a hand-over above: the waiter
 * waited with its old pin). SQLite answers that with its busy handler, which sleeps 1, 2, 5 ms ... before it
 * retries on a fresh snapshot, so every hand-over would cost a sleep while the lock is free. vSleep skips the
 * sleep once per such refusal, and only the short ones (RETRY_NOW_MAX_US: the first three of a busy episode), so
 * a connection that keeps losing still sleeps and its busy_timeout budget is spent at most 8 ms faster than time. */
static __thread int t_retryNow;
#define RETRY_NOW_MAX_US 5000
static long long g_immediateRetries; /* for measurements: sleeps skipped that way */

static void writer_init(void) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&g_writerReleased, &a);
    pthread_condattr_destroy(&a);
}

/* Sets f's place in the hand-over; WRITER_NONE wakes the waiters (the write lock was let go). */
static void writer_set(JFile *f, int state) {
    if (!has_locks(f) || f->writerState == state) return;
    pthread_once(&g_writerOnce, writer_init);
    pthread_mutex_lock(&g_writerMutex);
    if (f->writerState == WRITER_NONE) {
        f->nextWriter = g_writers;
        g_writers = f;
    } else if (state == WRITER_NONE) {
        for (JFile **q = &g_writers; *q != NULL; q = &(*q)->nextWriter) {
            if (*q == f) { *q = f->nextWriter; break; }
        }
        f->nextWriter = NULL;
        pthread_cond_broadcast(&g_writerReleased);
    }
    f->writerState = state;
    pthread_mutex_unlock(&g_writerMutex);
}

/* The state of the other connection of this process holding f's lock file for writing; under g_writerMutex. */
static int writer_holder(JFile *f) {
    for (JFile *g = g_writers; g != NULL; g = g->nextWriter) {
        int same = f->memLocks ? g->stamp == f->stamp
                               : g->lockName != NULL && f->lockName != NULL && strcmp(g->lockName, f->lockName) == 0;
        if (g != f && same) return g->writerState;
    }
    return WRITER_NONE;
}

static void deadline_after(struct timespec *t, long ms) {
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) { t->tv_sec++; t->tv_nsec -= 1000000000L; }
}

/* lock_to for RESERVED and above, waiting for an in-process holder as described above. */
static int lock_for_write(JFile *f, int level) {
    int rc = lock_to(f, level);
    if (rc != SQLITE_BUSY || !has_locks(f) || f->fileLevel != SQLITE_LOCK_NONE) {
        if (rc == SQLITE_OK) writer_set(f, f->writerState == WRITER_NONE ? WRITER_HOLDING : f->writerState);
        return rc;
    }
    pthread_once(&g_writerOnce, writer_init);
    struct timespec txnDeadline, commitDeadline;
    deadline_after(&txnDeadline, WRITER_TXN_WAIT_MS);
    deadline_after(&commitDeadline, WRITER_COMMIT_WAIT_MS);
    for (;;) {
        pthread_mutex_lock(&g_writerMutex);
        int holder = writer_holder(f), timedOut = 0;
        if (holder == WRITER_NONE) { /* gone since our try, or in another process: try again once */
            pthread_mutex_unlock(&g_writerMutex);
            rc = lock_to(f, level);
            if (rc == SQLITE_OK) writer_set(f, WRITER_HOLDING);
            if (rc != SQLITE_BUSY) return rc;
            pthread_mutex_lock(&g_writerMutex);
            holder = writer_holder(f);
            if (holder == WRITER_NONE) { pthread_mutex_unlock(&g_writerMutex); return SQLITE_BUSY; }
        }
        count(&g_handoffWaits);
        __atomic_fetch_add(&g_waitingWriters, 1, __ATOMIC_RELAXED);
        timedOut = pthread_cond_timedwait(&g_writerReleased, &g_writerMutex,
                                          holder == WRITER_COMMITTING ? &commitDeadline : &txnDeadline) != 0;
        __atomic_fetch_sub(&g_waitingWriters, 1, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&g_writerMutex);
        rc = lock_to(f, level);
        if (rc == SQLITE_OK) writer_set(f, WRITER_HOLDING);
        if (rc != SQLITE_BUSY || timedOut) return rc;
    }
}

static long long stamp_now(JFile *f) { return __atomic_load_n(&f->stamp->changes, __ATOMIC_ACQUIRE); }

/* Java's pin of the read transaction that just began may be kept (see "Kept snapshots"): with its size. */
static void keep_snapshot(JFile *f, long long seen) {
    JNIEnv *env = env_get();
    if (env == NULL || !(*env)->GetBooleanField(env, f->obj, f_reusable)) return;
    f->pinSize = (*env)->GetLongField(env, f->obj, f_pinnedSize);
    f->pinShowsStored = (*env)->GetBooleanField(env, f->obj, f_pinShowsStored);
    f->pinStamp = seen;
    f->kept = f->pinSize >= 0;
    /* The pin is exactly the state of `seen` when no change began before or while Java pinned (see "Native page
     * view"): a change begins by making the stamp odd before it publishes anything. */
    if (f->kept && f->stamp->view != NULL && !(seen & 1) && stamp_now(f) == seen) f->viewStamp = seen;
}

/* Kept after this connection's own commit: the commit crossing (commitEndingWrite) published the commit, which
 * announced itself from this same thread (n_bumpStamp sets these), and then re-pinned the latest state. When the
 * stamp still reads the value this thread's announcement set, no change was published after the commit, before or
 * while Java re-pinned: the re-pin is exactly the state of that value, as if a read transaction had read the stamp
 * right after the commit and pinned. It is then kept like keep_snapshot's, so the statement's end (NONE) and the
 * next statement's begin (SHARED) cost no crossing while no other change comes; any other change moves the stamp
 * and the next read transaction asks Java as before. The change-counter probe of that state is answered from the
 * page 1 this transaction wrote, when Java says it shows stored bytes unaltered (NativeFile.headerRepeatable).
 * docs/group-commit.md, "Crossings of a commit". */
static __thread LsStamp *t_bumpStamp;
static __thread long long t_bumpValue;
/* Announcements made on this thread since t_bumpStamp was cleared: the commit's pages are labelled with the last
 * value, which is the commit's own only when the commit crossing announced exactly once (durability remote also
 * announces the upload's install and generation swap; their pages are unchanged, but the label must not depend on
 * that). */
static __thread int t_bumpCount;

static void keep_after_commit(JFile *f) {
    LsStamp *s = t_bumpStamp;
    long long v = t_bumpValue;
    t_bumpStamp = NULL;
    f->ownKept = 0;
    if (f->stamp == NULL || s != f->stamp || (v & 1) || f->exclusiveLocking || !f->readLocked || f->writeLocked) return;
    if (stamp_now(f) != v) return;
    f->readStamp = v;
    f->viewStamp = -1;
    keep_snapshot(f, v);
    if (!f->kept) return;
    f->ownKept = 1;
    if (t_bumpCount == 1) share_written(f, v);
    else f->wn = 0;
    JNIEnv *env = env_get();
    if (f->headerWritten && env != NULL && (*env)->GetBooleanField(env, f->obj, f_probeRepeatable)) {
        memcpy(f->probe, f->header, 16);
        f->probeCached = 1;
    }
}

/* A kept snapshot is still the latest state (the test fault reuses one kept after an own commit blindly). */
static int kept_current(JFile *f) {
    return stamp_now(f) == f->pinStamp || (f->ownKept && (f->stamp->faults & FAULT_KEEP_OWN_COMMIT_BLINDLY));
}

/* Forgets the kept snapshot; when it outlived its read transaction, Java ends it now (the usual endRead). */
static int release_parked(JFile *f) {
    int parked = f->parked && !f->readLocked;
    f->kept = f->probeCached = f->ownKept = 0;
    if (!parked) return SQLITE_OK;
    f->parked = 0;
    return notify(f, m_endRead, SQLITE_IOERR_UNLOCK);
}

static int jLock(sqlite3_file *p, int level) {
    JFile *f = (JFile *)p;
    t_retryNow = 0; /* a refusal's immediate retry is for SQLite's busy handler, not for a later sleep */
    int rc = level >= SQLITE_LOCK_RESERVED ? lock_for_write(f, level) : lock_to(f, level);
    if (rc != SQLITE_OK) return rc;
    if (!f->readLocked && f->parked && f->kept && !f->exclusiveLocking && kept_current(f)) {
        f->readLocked = 1; /* nothing changed since the kept snapshot was pinned: read it again, no crossing */
        f->parked = 0;
        f->readStamp = f->pinStamp;
    } else if (!f->readLocked) {
        /* NONE -> SHARED: a read transaction starts; Java pins one database version for it (ending a kept one). */
        long long seen = f->stamp != NULL ? stamp_now(f) : 0; /* before the pin: a change after it moves the stamp */
        f->parked = f->kept = f->probeCached = f->ownKept = 0;
        f->viewStamp = -1;
        f->readStamp = seen;
        rc = notify(f, m_beginRead, SQLITE_IOERR_LOCK);
        if (rc != SQLITE_OK) {
            unlock_to(f, SQLITE_LOCK_NONE);
            return rc;
        }
        f->readLocked = 1;
        if (f->stamp != NULL && !f->exclusiveLocking) keep_snapshot(f, seen);
    }
    if (level < SQLITE_LOCK_RESERVED || f->writeLocked) return SQLITE_OK;
    f->viewWrite = f->kept && f->viewStamp >= 0; /* before it writes, it reads its pin's state (see jRead) */
    f->kept = f->probeCached = f->ownKept = 0; /* a write transaction: Java re-pins at its commit or rollback */
    f->headerWritten = 0;
    f->wn = f->wOff = 0;
    long long asked = mono_ns();
    rc = notify(f, m_beginWrite, SQLITE_IOERR_LOCK);
    if (rc != SQLITE_OK) {
        if (rc == SQLITE_BUSY_SNAPSHOT) {
            count(&g_refusals);
            count_by(&g_refusedNs, mono_ns() - asked);
        }
        /* A stale snapshot (another connection committed since this read transaction pinned): SQLite retries on a
         * fresh one, at once (vSleep). A replica conflict moves no stamp and keeps the busy handler's sleeps. */
        if (rc == SQLITE_BUSY_SNAPSHOT && f->stamp != NULL && stamp_now(f) != f->readStamp) t_retryNow = 1;
        /* The engine refused the write (e.g. replica conflict): give the lock back. */
        unlock_to(f, SQLITE_LOCK_SHARED);
        return rc;
    }
    f->writeLocked = 1;
    return SQLITE_OK;
}

static int end_read(JFile *f) {
    if (!f->readLocked) return SQLITE_OK;
    f->readLocked = 0;
    if (f->kept && !f->exclusiveLocking && kept_current(f)) {
        f->parked = 1; /* kept for the next read transaction (see "Kept snapshots"); a superseded pin is not */
        return SQLITE_OK;
    }
    f->kept = f->probeCached = f->ownKept = 0;
    return notify(f, m_endRead, SQLITE_IOERR_UNLOCK);
}

static int jUnlock(sqlite3_file *p, int level) {
    JFile *f = (JFile *)p;
    int rc = SQLITE_OK;
    if (level < SQLITE_LOCK_RESERVED) rc = end_write(f);
    if (level == SQLITE_LOCK_NONE) {
        int rc1 = end_read(f);
        if (rc == SQLITE_OK) rc = rc1;
    }
    int rc2 = unlock_to(f, level);
    if (level < SQLITE_LOCK_RESERVED && f->fileLevel < SQLITE_LOCK_RESERVED) writer_set(f, WRITER_NONE);
    return rc2 != SQLITE_OK ? rc2 : rc;
}

static int jCheckReservedLock(sqlite3_file *p, int *pResOut) {
    JFile *f = (JFile *)p;
    if (f->memLocks) { /* like the unix VFS: any connection at RESERVED or above, this one included */
        LsLocks *t = &f->stamp->locks;
        pthread_mutex_lock(&t->mutex);
        *pResOut = t->reserved != NULL || t->pending != NULL;
        pthread_mutex_unlock(&t->mutex);
        return SQLITE_OK;
    }
    if (f->lock == NULL) { *pResOut = 0; return SQLITE_OK; }
    return f->lock->pMethods->xCheckReservedLock(f->lock, pResOut);
}

static int jClose(sqlite3_file *p) {
    JFile *f = (JFile *)p;
    int rc = SQLITE_OK;
    JNIEnv *env = env_get();
    if (f->atomicCommits) atomic_remove(f);
    f->atomicCommits = 0;
    writer_set(f, WRITER_NONE);
    if (f->obj != NULL) {
        rc = end_write(f);
        int rc1 = end_read(f);
        if (rc == SQLITE_OK) rc = rc1;
        rc1 = release_parked(f);
        if (rc == SQLITE_OK) rc = rc1;
        int rc2 = notify(f, m_close, SQLITE_IOERR_CLOSE);
        if (rc == SQLITE_OK) rc = rc2;
        int released = 0;
        if (env != NULL) {
            /* Java may keep the NativeFile (and so its ByteBuffer) reachable after close: take the buffer
             * away before freeing what it points to. */
            (*env)->CallVoidMethod(env, f->obj, m_setBuffer, (jobject)NULL);
            released = !java_threw(env, SQLITE_IOERR_CLOSE);
            (*env)->DeleteGlobalRef(env, f->obj);
        }
        if (!released) f->buf = NULL; /* leak it rather than leave Java a ByteBuffer over freed memory */
        f->obj = NULL;
    }
    if (f->memLocks && f->fileLevel > SQLITE_LOCK_NONE) mem_unlock(f, SQLITE_LOCK_NONE); /* as closing a lock file would */
    f->memLocks = 0;
    if (f->lock != NULL) {
        if (f->lock->pMethods != NULL) f->lock->pMethods->xClose(f->lock);
        sqlite3_free(f->lock);
        f->lock = NULL;
    }
    if (f->lockName != NULL) sqlite3_free_filename(f->lockName);
    f->lockName = NULL;
    free(f->buf);
    f->buf = NULL;
    free(f->wBuf);
    f->wBuf = NULL;
    if (f->stamp != NULL) view_detach(f->stamp->view); /* after Java's close: the database may have closed */
    f->stamp = NULL;
    return rc;
}

/* Returns a Java string reply "<kind><text>" as sqlite3_malloc'd C string, or NULL on failure. */
static char *call_text(JFile *f, jmethodID m, jobject a1, jobject a2, int which) {
    JNIEnv *env = env_get();
    if (env == NULL) return NULL;
    count(&g_crossings);
    jobject r = (m == m_pragma) ? (*env)->CallObjectMethod(env, f->obj, m, a1, a2)
                                : (*env)->CallObjectMethod(env, f->obj, m, (jint)which);
    if (java_threw(env, SQLITE_ERROR)) return NULL;
    char *s = string_of(env, r);
    if (r != NULL) (*env)->DeleteLocalRef(env, r);
    return s;
}

static const char *WAL_REFUSED =
    "litestream VFS: journal_mode=WAL is not supported (the replica engine must see every page "
    "write of the database file); use DELETE, TRUNCATE, PERSIST or MEMORY";

static int jPragma(JFile *f, char **azArg) {
    const char *name = azArg[1], *value = azArg[2];
    if (sqlite3_stricmp(name, "locking_mode") == 0 && value != NULL) {
        /* EXCLUSIVE keeps others out for good: snapshot readers use the lock file like plain ones then. */
        if (sqlite3_stricmp(value, "exclusive") == 0) f->exclusiveLocking = 1;
        else if (sqlite3_stricmp(value, "normal") == 0) f->exclusiveLocking = 0;
        return SQLITE_NOTFOUND; /* SQLite goes on to apply it */
    }
    if (sqlite3_stricmp(name, "journal_mode") == 0 && value != NULL && sqlite3_stricmp(value, "wal") == 0) {
        azArg[0] = sqlite3_mprintf("%s", WAL_REFUSED);
        return SQLITE_ERROR;
    }
    if (sqlite3_strnicmp(name, "litestream_", 11) != 0) return SQLITE_NOTFOUND;
    release_parked(f); /* e.g. litestream_time switches at the next read transaction: Java must see it begin */
    JNIEnv *env = env_get();
    if (env == NULL) return SQLITE_ERROR;
    jbyteArray jn = bytes_of(env, name), jv = bytes_of(env, value);
    char *reply = NULL;
    if (jn != NULL && (value == NULL || jv != NULL)) reply = call_text(f, m_pragma, jn, jv, 0);
    if (jn != NULL) (*env)->DeleteLocalRef(env, jn);
    if (jv != NULL) (*env)->DeleteLocalRef(env, jv);
    if (reply == NULL) {
        azArg[0] = sqlite3_mprintf("litestream: pragma %s failed in Java", name);
        return SQLITE_ERROR;
    }
    int rc = SQLITE_OK;
    if (reply[0] == 'R') azArg[0] = sqlite3_mprintf("%s", reply + 1);
    else if (reply[0] == 'E') { azArg[0] = sqlite3_mprintf("%s", reply + 1); rc = SQLITE_ERROR; }
    else if (reply[0] == 'B') { azArg[0] = sqlite3_mprintf("%s", reply + 1); rc = SQLITE_BUSY; } /* retryable */
    sqlite3_free(reply);
    return rc;
}

static int jFileControl(sqlite3_file *p, int op, void *pArg) {
    JFile *f = (JFile *)p;
    switch (op) {
    case SQLITE_FCNTL_VFSNAME:
        *(char **)pArg = sqlite3_mprintf("%s", f->vfs->name);
        return SQLITE_OK;
    case SQLITE_FCNTL_PRAGMA:
        return jPragma(f, (char **)pArg);
    case SQLITE_FCNTL_SYNC:
        /* Sent at commit phase one even with synchronous=OFF: the last point where the engine
         * can still refuse the transaction and have SQLite roll it back. */
        if (!f->dirty) return SQLITE_OK;
        writer_set(f, WRITER_COMMITTING); /* waiting writers now wait for the unlock (hand-over above) */
        int before = notify(f, m_beforeCommit, SQLITE_IOERR_FSYNC);
        /* pArg names SQLite's super-journal: a commit across several databases, whose phase two failures the
         * pager ignores (it reports the transaction committed), so Java refuses here what it can
         * (docs/attached-databases.md). A journal rollback's sync passes no name. */
        if (before == SQLITE_OK && pArg != NULL) before = notify(f, m_beforeCommitAcross, SQLITE_IOERR_FSYNC);
        return before;
    case SQLITE_FCNTL_COMMIT_PHASETWO:
        /* Sent by the pager after every commit, also under locking_mode=EXCLUSIVE where no
         * unlock follows; a commit that wrote nothing is not reported. */
        if (!f->dirty) return SQLITE_OK;
        f->dirty = 0;
        int rc;
        if (f->exclusiveLocking || !f->writeLocked) {
            rc = notify(f, m_commit, SQLITE_IOERR);
        } else {
            /* The pager unlocks below RESERVED right after this: end the write transaction in the same crossing
             * (NativeFile.commitEndingWrite), so the unlock needs none. */
            t_bumpStamp = NULL;
            t_bumpCount = 0;
            rc = notify(f, m_commitEndingWrite, SQLITE_IOERR);
            if (rc == SQLITE_OK) {
                f->writeLocked = 0;
                keep_after_commit(f);
            }
        }
        /* Committed (or failed): no longer a commit to wait for (locking_mode=EXCLUSIVE keeps the lock for good). */
        writer_set(f, WRITER_HOLDING);
        return rc;
    case SQLITE_FCNTL_LOCKSTATE:
        if (f->memLocks) {
            *(int *)pArg = f->fileLevel;
            return SQLITE_OK;
        }
        return f->lock ? f->lock->pMethods->xFileControl(f->lock, op, pArg) : SQLITE_NOTFOUND;
    case SQLITE_FCNTL_HAS_MOVED:
        *(int *)pArg = 0;
        return SQLITE_OK;
    default:
        return SQLITE_NOTFOUND;
    }
}

static int jSectorSize(sqlite3_file *p) { return ((JFile *)p)->sectorSize; }
static int jDeviceCharacteristics(sqlite3_file *p) { return ((JFile *)p)->deviceCharacteristics; }

/* iVersion 1: no xShm*, so SQLite can never run this file in shared-memory WAL mode. */
static const sqlite3_io_methods jfile_methods = {
    1, jClose, jRead, jWrite, jTruncate, jSync, jFileSize, jLock, jUnlock, jCheckReservedLock,
    jFileControl, jSectorSize, jDeviceCharacteristics, 0, 0, 0, 0, 0, 0};

/* ---------------------------------------------------------------- VFS methods */

/* Once per failed open. SQLite gives a VFS no way to set the open error message, so a host without a JVM
 * (CLI, python) always gets the reason on stderr; Java hosts read it from LitestreamVfs.lastOpenError()
 * (LitestreamDataSource and Registration.connect put it into the SQLException). */
static void report_open_failure(const char *zName, const char *why) {
    sqlite3_log(SQLITE_CANTOPEN, "litestream: cannot open \"%s\": %s", zName, why);
    if (g_embedded || getenv("LITESTREAM_VFS_DEBUG")) fprintf(stderr, "litestream: cannot open \"%s\": %s\n", zName, why);
}

/* The Java side's choice of lock file (NativeFile.lockPath): NULL for "<db>-lock" next to the database,
 * "" for none. Returns a sqlite3_malloc'd copy in *out. */
static int lock_path_of(JNIEnv *env, JFile *f, char **out) {
    *out = NULL;
    jobject r = (*env)->CallObjectMethod(env, f->obj, m_lockPath);
    if (java_threw(env, SQLITE_CANTOPEN)) return SQLITE_CANTOPEN;
    if (r == NULL) return SQLITE_OK;
    *out = string_of(env, r);
    (*env)->DeleteLocalRef(env, r);
    return *out == NULL ? SQLITE_NOMEM : SQLITE_OK;
}

static int open_lock_file(JFile *f, const char *zName, const char *chosen) {
    char *path = chosen ? sqlite3_mprintf("%s", chosen) : sqlite3_mprintf("%s-lock", zName);
    if (path == NULL) return SQLITE_NOMEM;
    /* A real database-style filename, because the unix VFS may look up URI parameters on it. */
    f->lockName = sqlite3_create_filename(path, "", "", 0, NULL);
    sqlite3_free(path);
    f->lock = sqlite3_malloc(g_parent->szOsFile);
    if (f->lockName == NULL || f->lock == NULL) return SQLITE_NOMEM;
    memset(f->lock, 0, (size_t)g_parent->szOsFile);
    int out = 0;
    int rc = g_parent->xOpen(g_parent, f->lockName, f->lock,
                             SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &out);
    if (rc != SQLITE_OK) {
        memset(f->lock, 0, (size_t)g_parent->szOsFile);
        rc = g_parent->xOpen(g_parent, f->lockName, f->lock, SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READONLY, &out);
    }
    return rc;
}

static jobjectArray uri_params(JNIEnv *env, const char *zName) {
    int n = 0;
    while (sqlite3_uri_key(zName, n) != NULL) n++;
    jclass byteArray = (*env)->FindClass(env, "[B");
    if (byteArray == NULL) return NULL;
    jobjectArray arr = (*env)->NewObjectArray(env, n * 2, byteArray, NULL);
    (*env)->DeleteLocalRef(env, byteArray);
    if (arr == NULL) { (*env)->ExceptionClear(env); return NULL; }
    for (int i = 0; i < n; i++) {
        const char *k = sqlite3_uri_key(zName, i), *v = sqlite3_uri_parameter(zName, k);
        jbyteArray jk = bytes_of(env, k), jv = bytes_of(env, v);
        int ok = jk != NULL && (v == NULL || jv != NULL);
        if (ok) {
            (*env)->SetObjectArrayElement(env, arr, 2 * i, jk);
            (*env)->SetObjectArrayElement(env, arr, 2 * i + 1, jv);
        }
        if (jk != NULL) (*env)->DeleteLocalRef(env, jk);
        if (jv != NULL) (*env)->DeleteLocalRef(env, jv);
        if (!ok) {
            (*env)->DeleteLocalRef(env, arr);
            return NULL;
        }
    }
    return arr;
}

static int vOpen(sqlite3_vfs *vfs, const char *zName, sqlite3_file *file, int flags, int *pOutFlags) {
    JFile *f = (JFile *)file;
    if (flags & SQLITE_OPEN_WAL) {
        report_open_failure(zName ? zName : "the WAL file", WAL_REFUSED);
        return SQLITE_CANTOPEN;
    }
    if (zName == NULL || !(flags & SQLITE_OPEN_MAIN_DB)) {
        /* Journals, temp files, sub/super-journals, transient DBs: no Java crossing at all. */
        if ((flags & SQLITE_OPEN_MAIN_JOURNAL) && zName != NULL
            && atomic_database(vfs, sqlite3_filename_database(zName))) {
            return open_atomic_journal(file, flags, pOutFlags);
        }
        if ((flags & SQLITE_OPEN_MAIN_JOURNAL) && zName != NULL) {
            /* The unix VFS gives a new journal the permissions of the database file and fails with
             * IOERR_FSTAT when that file does not exist, which it need not: the engine holds the pages.
             * Open it as a named temp journal then (mode 0644); it is still a real, persistent file. */
            const char *db = sqlite3_filename_database(zName);
            struct stat st;
            if (db != NULL && stat(db, &st) != 0) flags = (flags & ~SQLITE_OPEN_MAIN_JOURNAL) | SQLITE_OPEN_TEMP_JOURNAL;
        }
        return g_parent->xOpen(g_parent, zName, file, flags, pOutFlags);
    }
    memset(f, 0, sizeof(JFile));
    f->viewStamp = -1;
    f->vfs = (LsVfs *)vfs;
    JNIEnv *env = env_get();
    if (env == NULL) {
        report_open_failure(zName, g_forked ? "the JVM does not exist in a forked child process"
                                            : "no JVM is attached to the litestream VFS");
        return SQLITE_CANTOPEN;
    }
    f->buf = malloc(INITIAL_BUFFER);
    f->bufCap = f->buf ? INITIAL_BUFFER : 0;
    jobject bb = f->buf ? (*env)->NewDirectByteBuffer(env, f->buf, f->bufCap) : NULL;
    if (bb == NULL) (*env)->ExceptionClear(env);
    jbyteArray jvfs = bytes_of(env, f->vfs->name), jname = bytes_of(env, zName);
    jobjectArray params = uri_params(env, zName);
    jobject r = NULL;
    if (bb != NULL && jvfs != NULL && jname != NULL && params != NULL) {
        count(&g_crossings);
        r = (*env)->CallStaticObjectMethod(env, g_bridge, m_open, jvfs, jname, (jint)flags, params, bb);
    }
    int threw = java_threw(env, SQLITE_CANTOPEN);
    if (bb) (*env)->DeleteLocalRef(env, bb);
    if (jvfs) (*env)->DeleteLocalRef(env, jvfs);
    if (jname) (*env)->DeleteLocalRef(env, jname);
    if (params) (*env)->DeleteLocalRef(env, params);
    if (threw || r == NULL || (*env)->IsInstanceOf(env, r, g_string)) {
        char *why = r ? string_of(env, r) : NULL;
        report_open_failure(zName, why ? why : "the Java opener failed");
        sqlite3_free(why);
        if (r) (*env)->DeleteLocalRef(env, r);
        jClose(file);
        return SQLITE_CANTOPEN;
    }
    f->obj = (*env)->NewGlobalRef(env, r);
    (*env)->DeleteLocalRef(env, r);
    f->sectorSize = (*env)->CallIntMethod(env, f->obj, m_sectorSize);
    int threwAgain = java_threw(env, SQLITE_CANTOPEN);
    if (!threwAgain) f->deviceCharacteristics = (*env)->CallIntMethod(env, f->obj, m_deviceCharacteristics);
    threwAgain = threwAgain || java_threw(env, SQLITE_CANTOPEN);
    jboolean atomic = threwAgain ? JNI_FALSE : (*env)->CallBooleanMethod(env, f->obj, m_atomicCommits);
    threwAgain = threwAgain || java_threw(env, SQLITE_CANTOPEN);
    jboolean snapshot = threwAgain ? JNI_FALSE : (*env)->CallBooleanMethod(env, f->obj, m_snapshotReads);
    if (threwAgain || java_threw(env, SQLITE_CANTOPEN)) {
        report_open_failure(zName, "the Java side failed after opening the database");
        jClose(file);
        return SQLITE_CANTOPEN;
    }
    char *lockPath = NULL;
    int rc = lock_path_of(env, f, &lockPath);
    LsStamp *stamp = NULL;
    if (rc == SQLITE_OK && atomic && snapshot == JNI_TRUE) {
        stamp = (LsStamp *)(intptr_t)(*env)->GetLongField(env, f->obj, f_stamp);
    }
    if (rc == SQLITE_OK && (lockPath == NULL || lockPath[0] != 0)) {
        /* A write-mode engine database (it has a stamp): its locks in the process ("Lock table in the process"). */
        if (stamp != NULL) f->memLocks = 1;
        else rc = open_lock_file(f, zName, lockPath);
    }
    if (rc != SQLITE_OK) {
        char *why = sqlite3_mprintf("cannot open its lock file %s", lockPath ? lockPath : "<name>-lock next to the database");
        report_open_failure(zName, why ? why : "cannot open its lock file");
        sqlite3_free(why);
        sqlite3_free(lockPath);
        jClose(file);
        return SQLITE_CANTOPEN;
    }
    sqlite3_free(lockPath);
    f->zName = zName;
    f->base.pMethods = &jfile_methods;
    if (atomic) {
        f->atomicCommits = 1;
        f->snapshotReads = snapshot == JNI_TRUE; /* only with atomic commits: never a hot journal to see */
        f->stamp = stamp;
        if (f->stamp != NULL) view_attach(f->stamp->view); /* its arena lives while this file is open */
        atomic_add(f);
    }
    if (pOutFlags) *pOutFlags = flags;
    return SQLITE_OK;
}

/* The pager deletes "<db>-journal" at every commit in DELETE mode. For an atomic-commit database the
 * journal is in memory, so only the first delete after open goes to the disk (it removes a journal left
 * by an older build or another program); the later ones would each cost an unlink system call that
 * finds nothing. Returns 1 when this delete may skip the disk, and marks the first one as done. */
static int journal_delete_skippable(sqlite3_vfs *vfs, const char *zPath) {
    static const char SUFFIX[] = "-journal";
    size_t n = strlen(zPath), s = sizeof SUFFIX - 1;
    if (n <= s || strcmp(zPath + n - s, SUFFIX) != 0) return 0;
    int skip = 0, found = 0;
    pthread_mutex_lock(&g_atomicMutex);
    for (JFile *f = g_atomicFiles; f != NULL; f = f->nextAtomic) {
        if ((sqlite3_vfs *)f->vfs == vfs && strlen(f->zName) == n - s && strncmp(f->zName, zPath, n - s) == 0) {
            found = 1;
            if (f->journalSwept) skip = 1;
            f->journalSwept = 1;
        }
    }
    pthread_mutex_unlock(&g_atomicMutex);
    return found && skip;
}

static int vDelete(sqlite3_vfs *v, const char *z, int syncDir) {
    if (journal_delete_skippable(v, z)) return SQLITE_OK;
    int rc = g_parent->xDelete(g_parent, z, syncDir);
    /* The journal of an atomic-commit database is in memory: it has no name to delete. */
    if (rc == SQLITE_IOERR_DELETE_NOENT && atomic_journal_path(v, z)) rc = SQLITE_OK;
    return rc;
}

static int vAccess(sqlite3_vfs *v, const char *z, int flags, int *out) {
    /* Never a hot journal: the engine already holds the last committed state. Never a WAL either (WAL is refused;
     * the engine is the database): the pager asks for "<db>-wal" at every read transaction, a stat saved. */
    if (flags == SQLITE_ACCESS_EXISTS && (atomic_journal_path(v, z) || atomic_sibling_path(v, z, "-wal"))) {
        *out = 0;
        return SQLITE_OK;
    }
    return g_parent->xAccess(g_parent, z, flags, out);
}
static int vFullPathname(sqlite3_vfs *v, const char *z, int n, char *out) { (void)v; return g_parent->xFullPathname(g_parent, z, n, out); }
static void *vDlOpen(sqlite3_vfs *v, const char *z) { (void)v; return g_parent->xDlOpen(g_parent, z); }
static void vDlError(sqlite3_vfs *v, int n, char *z) { (void)v; g_parent->xDlError(g_parent, n, z); }
static void (*vDlSym(sqlite3_vfs *v, void *h, const char *z))(void) { (void)v; return g_parent->xDlSym(g_parent, h, z); }
static void vDlClose(sqlite3_vfs *v, void *h) { (void)v; g_parent->xDlClose(g_parent, h); }
static int vRandomness(sqlite3_vfs *v, int n, char *z) { (void)v; return g_parent->xRandomness(g_parent, n, z); }
static int vSleep(sqlite3_vfs *v, int us) {
    (void)v;
    int retryNow = t_retryNow && us <= RETRY_NOW_MAX_US; /* see "hand-over between writers" */
    t_retryNow = 0;
    if (retryNow) {
        count(&g_immediateRetries);
        return us;
    }
    count(&g_sleeps);
    count_by(&g_sleptUs, us);
    return g_parent->xSleep(g_parent, us);
}
static int vCurrentTime(sqlite3_vfs *v, double *t) { (void)v; return g_parent->xCurrentTime(g_parent, t); }
static int vGetLastError(sqlite3_vfs *v, int n, char *z) { (void)v; return g_parent->xGetLastError ? g_parent->xGetLastError(g_parent, n, z) : 0; }
static int vCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *t) {
    (void)v;
    if (g_parent->iVersion >= 2 && g_parent->xCurrentTimeInt64) return g_parent->xCurrentTimeInt64(g_parent, t);
    double d;
    int rc = g_parent->xCurrentTime(g_parent, &d);
    *t = (sqlite3_int64)(d * 86400000.0);
    return rc;
}

/* Registers a VFS called name (idempotent). Caller holds g_mutex. */
static int register_vfs(const char *name) {
    if (sqlite3_vfs_find(name) != NULL) return SQLITE_OK;
    if (g_parent == NULL) g_parent = sqlite3_vfs_find(NULL);
    if (g_vfsCount >= MAX_VFS) return SQLITE_FULL;
    if (g_parent == NULL || strlen(name) >= sizeof(g_vfs[0].name)) return SQLITE_ERROR;
    LsVfs *v = &g_vfs[g_vfsCount];
    memset(v, 0, sizeof *v);
    strcpy(v->name, name);
    sqlite3_vfs *b = &v->base;
    b->iVersion = 2;
    b->szOsFile = (int)sizeof(JFile) > g_parent->szOsFile ? (int)sizeof(JFile) : g_parent->szOsFile;
    if ((int)sizeof(MemJournal) > b->szOsFile) b->szOsFile = (int)sizeof(MemJournal);
    b->mxPathname = g_parent->mxPathname;
    b->zName = v->name;
    b->xOpen = vOpen; b->xDelete = vDelete; b->xAccess = vAccess; b->xFullPathname = vFullPathname;
    b->xDlOpen = vDlOpen; b->xDlError = vDlError; b->xDlSym = vDlSym; b->xDlClose = vDlClose;
    b->xRandomness = vRandomness; b->xSleep = vSleep; b->xCurrentTime = vCurrentTime;
    b->xGetLastError = vGetLastError; b->xCurrentTimeInt64 = vCurrentTimeInt64;
    int rc = sqlite3_vfs_register(b, 0);
    if (rc == SQLITE_OK) g_vfsCount++;
    return rc;
}

/* ---------------------------------------------------------------- SQL functions */

static const char *FUNCTIONS[] = {"litestream_txid", "litestream_time", "litestream_lag",
                                  "litestream_sync", "litestream_status"};

static void fn_call(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    int which = (int)(intptr_t)sqlite3_user_data(ctx);
    const char *schema = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : "main";
    sqlite3_file *fp = NULL;
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    if (schema == NULL || sqlite3_file_control(db, schema, SQLITE_FCNTL_FILE_POINTER, &fp) != SQLITE_OK
        || fp == NULL || fp->pMethods != &jfile_methods) {
        char *m = sqlite3_mprintf("%s(): database '%s' is not opened with the litestream VFS",
                                  FUNCTIONS[which], schema ? schema : "");
        sqlite3_result_error(ctx, m, -1);
        sqlite3_free(m);
        return;
    }
    if (!((JFile *)fp)->readLocked) release_parked((JFile *)fp); /* litestream_txid() outside one: the latest */
    char *reply = call_text((JFile *)fp, m_function, NULL, NULL, which);
    if (reply == NULL) { sqlite3_result_error(ctx, "litestream: the Java side failed", -1); return; }
    switch (reply[0]) {
    case 'T': sqlite3_result_text(ctx, reply + 1, -1, SQLITE_TRANSIENT); break;
    case 'I': sqlite3_result_int64(ctx, strtoll(reply + 1, NULL, 10)); break;
    case 'C': sqlite3_result_error(ctx, reply + 1, -1); sqlite3_result_error_code(ctx, SQLITE_BUSY_SNAPSHOT); break;
    default: sqlite3_result_error(ctx, reply + 1, -1); break;
    }
    sqlite3_free(reply);
}

/* litestream_set_time(time [, schema]): PRAGMA litestream_time = time on that database (time travel,
 * docs/time-travel.md), through the same Java handler, so both ways in accept and refuse the same values. Returns
 * the commit time of the state the connection will read, or 'latest'. */
static void fn_set_time(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *value = (const char *)sqlite3_value_text(argv[0]);
    const char *schema = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : "main";
    sqlite3_file *fp = NULL;
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    if (schema == NULL || sqlite3_file_control(db, schema, SQLITE_FCNTL_FILE_POINTER, &fp) != SQLITE_OK
        || fp == NULL || fp->pMethods != &jfile_methods) {
        char *m = sqlite3_mprintf("litestream_set_time(): database '%s' is not opened with the litestream VFS",
                                  schema ? schema : "");
        sqlite3_result_error(ctx, m, -1);
        sqlite3_free(m);
        return;
    }
    if (value == NULL) {
        sqlite3_result_error(ctx, "litestream_set_time(): a time is required, e.g. '2026-11-27T10:00:00Z', "
                                  "'5 minutes ago' or 'latest'", -1);
        return;
    }
    char *arg[3] = {NULL, "litestream_time", (char *)value};
    int rc = jPragma((JFile *)fp, arg);
    if (rc == SQLITE_OK && arg[0] != NULL) sqlite3_result_text(ctx, arg[0], -1, SQLITE_TRANSIENT);
    else if (rc == SQLITE_OK) sqlite3_result_null(ctx);
    else sqlite3_result_error(ctx, arg[0] ? arg[0] : "litestream_set_time() failed", -1);
    sqlite3_free(arg[0]);
}

/* Auto-extension: every new connection gets the functions; they check the schema's VFS when
 * called, so they also work for ATTACHed litestream databases. */
static int register_functions(sqlite3 *db, char **pzErr, const sqlite3_api_routines *api) {
    (void)pzErr; (void)api;
    for (int i = 0; i < 5; i++) {
        int flags = SQLITE_UTF8 | (i == 3 ? SQLITE_DIRECTONLY : 0);
        for (int nArg = 0; nArg <= 1; nArg++) {
            int rc = sqlite3_create_function(db, FUNCTIONS[i], nArg, flags, (void *)(intptr_t)i, fn_call, 0, 0);
            if (rc != SQLITE_OK) return rc;
        }
    }
    for (int nArg = 1; nArg <= 2; nArg++) {
        int rc = sqlite3_create_function(db, "litestream_set_time", nArg, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                         fn_set_time, 0, 0);
        if (rc != SQLITE_OK) return rc;
    }
    /* The connection's result-code mode is left to its host: drivers read extended codes (a replica
     * conflict's SQLITE_BUSY_SNAPSHOT, the IOERR kinds) with sqlite3_extended_errcode, and sqlite-jdbc
     * turns them on itself, while Python's sqlite3 picks its exception class from sqlite3_errcode:
     * forced extended codes made every constraint, busy or I/O error a bare DatabaseError there
     * (docs/field-probes.md, "Round 9"). */
    return SQLITE_OK;
}

/* ---------------------------------------------------------------- natives and bridge setup */

static void JNICALL n_log(JNIEnv *env, jclass c, jint code, jbyteArray msg) {
    (void)c;
    if (msg == NULL || sqlite3_api == NULL) return;
    jsize n = (*env)->GetArrayLength(env, msg);
    char *s = sqlite3_malloc(n + 1);
    if (s == NULL || sqlite3_api == NULL) { sqlite3_free(s); return; }
    (*env)->GetByteArrayRegion(env, msg, 0, n, (jbyte *)s);
    s[n] = 0;
    sqlite3_log(code, "%s", s);
    sqlite3_free(s);
}

static jint JNICALL n_registerVfs(JNIEnv *env, jclass c, jbyteArray name) {
    (void)c;
    char buf[64];
    if (name == NULL) return SQLITE_MISUSE;
    jsize n = (*env)->GetArrayLength(env, name);
    if (sqlite3_api == NULL) return SQLITE_MISUSE;
    if (n <= 0 || n >= (jsize)sizeof buf) return SQLITE_RANGE;
    (*env)->GetByteArrayRegion(env, name, 0, n, (jbyte *)buf);
    buf[n] = 0;
    pthread_mutex_lock(&g_mutex);
    int rc = register_vfs(buf);
    pthread_mutex_unlock(&g_mutex);
    return rc;
}

static jlongArray JNICALL n_counters(JNIEnv *env, jclass c) {
    (void)c;
    long long *k[] = {&g_reads, &g_writes, &g_crossings, &g_handoffWaits, &g_viewHits, &g_viewMisses, &g_viewFills,
                      &g_immediateRetries, &g_grants, &g_regrants, &g_heldNs, &g_freeNs, &g_sleeps, &g_sleptUs,
                      &g_refusals, &g_refusedNs};
    enum { N = sizeof k / sizeof k[0] };
    jlong v[N];
    for (int i = 0; i < N; i++) v[i] = __atomic_load_n(k[i], __ATOMIC_RELAXED);
    jlongArray a = (*env)->NewLongArray(env, N);
    if (a != NULL) (*env)->SetLongArrayRegion(env, a, 0, N, v);
    return a;
}

static jboolean JNICALL n_embedded(JNIEnv *env, jclass c) { (void)env; (void)c; return g_embedded ? JNI_TRUE : JNI_FALSE; }

static jlong JNICALL n_newStamp(JNIEnv *env, jclass c, jlong viewBytes, jint faults) {
    (void)env; (void)c;
    LsStamp *s = calloc(1, sizeof *s);
    if (s == NULL) return 0;
    if (pthread_mutex_init(&s->locks.mutex, NULL) != 0) { free(s); return 0; }
    s->faults = faults;
    s->view = view_new(viewBytes);
    pthread_mutex_lock(&g_stampMutex);
    s->next = g_stamps;
    g_stamps = s;
    pthread_mutex_unlock(&g_stampMutex);
    return (jlong)(intptr_t)s;
}

static void JNICALL n_bumpStamp(JNIEnv *env, jclass c, jlong stamp) {
    (void)env; (void)c;
    LsStamp *s = (LsStamp *)(intptr_t)stamp;
    if (s == NULL) return;
    /* The next even value: ends a change stamp_changing began (odd), or announces one of no pages (even). */
    long long v = __atomic_load_n(&s->changes, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&s->changes, &v, (v | 1) + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    t_bumpStamp = s; /* the announcing thread's own last value (keep_after_commit) */
    t_bumpCount++;
    t_bumpValue = (v | 1) + 1;
}

/* The engine is about to publish a change of these pages (null: of unknown pages); see "Native page view". */
static void JNICALL n_pagesChanging(JNIEnv *env, jclass c, jlong stamp, jlongArray pages) {
    (void)c;
    LsStamp *s = (LsStamp *)(intptr_t)stamp;
    if (s == NULL) return;
    jsize n = pages == NULL ? -1 : (*env)->GetArrayLength(env, pages);
    long long small[64], *buf = n > 64 ? malloc((size_t)n * sizeof *buf) : small;
    if (n > 0 && buf != NULL) (*env)->GetLongArrayRegion(env, pages, 0, n, (jlong *)buf);
    if (n > 0 && (buf == NULL || (*env)->ExceptionCheck(env))) {
        (*env)->ExceptionClear(env);
        n = -1; /* could not read the list: every entry ends */
    }
    stamp_changing(s, buf, n);
    if (buf != small) free(buf);
}

/* The database closed: its view's memory goes once no connection is attached. */
static void JNICALL n_closeView(JNIEnv *env, jclass c, jlong stamp) {
    (void)env; (void)c;
    LsStamp *s = (LsStamp *)(intptr_t)stamp;
    if (s == NULL || s->view == NULL) return;
    pthread_mutex_lock(&s->view->mutex);
    s->view->closed = 1;
    if (s->view->attached == 0) view_free_arena(s->view);
    pthread_mutex_unlock(&s->view->mutex);
}

static void fork_child(void) { g_forked = 1; }

void ltx4j_crc64_bind(JNIEnv *env); /* crc64clmul.c: the CRC-64 accelerator's natives */

/* Binds natives and caches classes and method IDs. Needs a thread whose class loader sees ours. */
static int setup_bridge(JNIEnv *env, char **why) {
    static JNINativeMethod natives[] = {
        {"nativeLog", "(I[B)V", (void *)n_log},
        {"nativeRegisterVfs", "([B)I", (void *)n_registerVfs},
        {"nativeCounters", "()[J", (void *)n_counters},
        {"nativeEmbedded", "()Z", (void *)n_embedded},
        {"nativeNewStamp", "(JI)J", (void *)n_newStamp},
        {"nativeBumpStamp", "(J)V", (void *)n_bumpStamp},
        {"nativePagesChanging", "(J[J)V", (void *)n_pagesChanging},
        {"nativeCloseView", "(J)V", (void *)n_closeView},
    };
    jclass b = (*env)->FindClass(env, BRIDGE_CLASS);
    jclass f = b ? (*env)->FindClass(env, FILE_CLASS) : NULL;
    jclass s = f ? (*env)->FindClass(env, "java/lang/String") : NULL;
    if (s == NULL) {
        (*env)->ExceptionClear(env);
        *why = "class dev.ltx4j.vfs.internal.NativeBridge is not on the class path";
        return 0;
    }
    if ((*env)->RegisterNatives(env, b, natives, sizeof natives / sizeof natives[0]) != 0) {
        (*env)->ExceptionClear(env);
        *why = "RegisterNatives failed for dev.ltx4j.vfs.internal.NativeBridge";
        return 0;
    }
    g_bridge = (*env)->NewGlobalRef(env, b);
    g_file = (*env)->NewGlobalRef(env, f);
    g_string = (*env)->NewGlobalRef(env, s);
    m_open = (*env)->GetStaticMethodID(env, b, "open", "([B[BI[[BLjava/nio/ByteBuffer;)Ljava/lang/Object;");
    m_hostExit = (*env)->GetStaticMethodID(env, b, "hostExit", "()V");
    m_read = (*env)->GetMethodID(env, f, "read", "(JI)I");
    m_readDirect = (*env)->GetMethodID(env, f, "readDirect", "(JI)[B");
    f_readResult = (*env)->GetFieldID(env, f, "readResult", "I");
    f_stamp = (*env)->GetFieldID(env, f, "stamp", "J");
    f_reusable = (*env)->GetFieldID(env, f, "reusable", "Z");
    f_pinnedSize = (*env)->GetFieldID(env, f, "pinnedSize", "J");
    f_probeRepeatable = (*env)->GetFieldID(env, f, "probeRepeatable", "Z");
    f_pinShowsStored = (*env)->GetFieldID(env, f, "pinShowsStored", "Z");
    m_snapshotReads = (*env)->GetMethodID(env, f, "snapshotReads", "()Z");
    m_write = (*env)->GetMethodID(env, f, "write", "(JI)I");
    m_truncate = (*env)->GetMethodID(env, f, "truncate", "(J)I");
    m_size = (*env)->GetMethodID(env, f, "size", "()J");
    m_sync = (*env)->GetMethodID(env, f, "sync", "(I)I");
    m_beginRead = (*env)->GetMethodID(env, f, "beginRead", "()I");
    m_endRead = (*env)->GetMethodID(env, f, "endRead", "()I");
    m_beginWrite = (*env)->GetMethodID(env, f, "beginWrite", "()I");
    m_beforeCommit = (*env)->GetMethodID(env, f, "beforeCommit", "()I");
    m_beforeCommitAcross = (*env)->GetMethodID(env, f, "beforeCommitAcrossDatabases", "()I");
    m_commit = (*env)->GetMethodID(env, f, "commit", "()I");
    m_commitEndingWrite = (*env)->GetMethodID(env, f, "commitEndingWrite", "()I");
    m_rollback = (*env)->GetMethodID(env, f, "rollback", "()I");
    m_endWrite = (*env)->GetMethodID(env, f, "endWrite", "()I");
    m_pragma = (*env)->GetMethodID(env, f, "pragma", "([B[B)Ljava/lang/String;");
    m_function = (*env)->GetMethodID(env, f, "function", "(I)Ljava/lang/String;");
    m_close = (*env)->GetMethodID(env, f, "close", "()I");
    m_setBuffer = (*env)->GetMethodID(env, f, "setBuffer", "(Ljava/nio/ByteBuffer;)V");
    m_sectorSize = (*env)->GetMethodID(env, f, "sectorSize", "()I");
    m_deviceCharacteristics = (*env)->GetMethodID(env, f, "deviceCharacteristics", "()I");
    m_atomicCommits = (*env)->GetMethodID(env, f, "atomicCommits", "()Z");
    m_lockPath = (*env)->GetMethodID(env, f, "lockPath", "()Ljava/lang/String;");
    (*env)->DeleteLocalRef(env, b);
    (*env)->DeleteLocalRef(env, f);
    (*env)->DeleteLocalRef(env, s);
    if ((*env)->ExceptionCheck(env)) {
        (*env)->ExceptionClear(env);
        *why = "the Java classes do not match this native library (method lookup failed)";
        return 0;
    }
    if (!g_forkHandler) { pthread_atfork(NULL, NULL, fork_child); g_forkHandler = 1; }
    ltx4j_crc64_bind(env);
    g_bridgeReady = 1;
    return 1;
}

EXPORT jint JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VER) != JNI_OK) return JNI_ERR;
    pthread_mutex_lock(&g_mutex);
    g_jvm = vm;
    char *why = NULL;
    int ok = g_bridgeReady || setup_bridge(env, &why);
    pthread_mutex_unlock(&g_mutex);
    if (!ok) fprintf(stderr, "litestream: %s\n", why);
    return ok ? JNI_VER : JNI_ERR;
}

/* ---------------------------------------------------------------- starting a JVM in a host */

typedef jint (*CreateJavaVM_t)(JavaVM **, void **, void *);
typedef jint (*GetCreatedJavaVMs_t)(JavaVM **, jsize, jsize *);

static int file_exists(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISREG(st.st_mode); }

/* LITESTREAM_JVM_LIB, then JAVA_HOME, then the java on PATH with symlinks resolved. */
static int find_libjvm(char *out, size_t n) {
    const char *lib = getenv("LITESTREAM_JVM_LIB");
    if (lib && *lib) { snprintf(out, n, "%s", lib); return file_exists(out); }
    const char *home = getenv("JAVA_HOME");
    if (home && *home) {
        snprintf(out, n, "%s/lib/server/libjvm.so", home);
        if (file_exists(out)) return 1;
    }
    const char *path = getenv("PATH");
    if (path == NULL) return 0;
    char *dirs = strdup(path), *save = NULL;
    if (dirs == NULL) return 0;
    int found = 0;
    for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char java[PATH_MAX], real[PATH_MAX];
        snprintf(java, sizeof java, "%s/java", *d ? d : ".");
        if (access(java, X_OK) != 0 || realpath(java, real) == NULL) continue;
        char *slash = strrchr(real, '/');                 /* <home>/bin/java */
        if (slash) { *slash = 0; slash = strrchr(real, '/'); }
        if (slash) *slash = 0;
        snprintf(out, n, "%s/lib/server/libjvm.so", real);
        found = file_exists(out);
    }
    free(dirs);
    return found;
}

static void append(char **cp, const char *entry) {
    char *n = *cp ? sqlite3_mprintf("%s:%s", *cp, entry) : sqlite3_mprintf("%s", entry);
    sqlite3_free(*cp);
    *cp = n;
}

/* Appends every *.jar in dir (JNI_CreateJavaVM does no wildcard expansion). */
static int add_jars(char **cp, const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    int added = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".jar") == 0) {
            char *p = sqlite3_mprintf("%s/%s", dir, e->d_name);
            append(cp, p);
            sqlite3_free(p);
            added++;
        }
    }
    closedir(d);
    return added;
}

static char *build_classpath(char **why) {
    char *cp = NULL;
    const char *env = getenv("LITESTREAM_CLASSPATH");
    if (env && *env) {
        char *copy = strdup(env), *save = NULL;
        if (copy == NULL) {
            *why = sqlite3_mprintf("out of memory reading LITESTREAM_CLASSPATH");
            return NULL;
        }
        for (char *e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
            size_t len = strlen(e);
            if (len >= 2 && strcmp(e + len - 2, "/*") == 0) { e[len - 2] = 0; add_jars(&cp, e); }
            else append(&cp, e);
        }
        free(copy);
        if (cp == NULL) *why = sqlite3_mprintf("LITESTREAM_CLASSPATH (%s) names no jars", env);
        return cp;
    }
    Dl_info info;
    char real[PATH_MAX];
    if (dladdr((void *)&build_classpath, &info) == 0 || info.dli_fname == NULL || realpath(info.dli_fname, real) == NULL) {
        *why = sqlite3_mprintf("cannot locate litestream-vfs.so on disk (set LITESTREAM_CLASSPATH)");
        return NULL;
    }
    char *slash = strrchr(real, '/');
    if (slash) *slash = 0;
    char *lib = sqlite3_mprintf("%s/lib", real);
    int n = add_jars(&cp, lib);
    if (n == 0) *why = sqlite3_mprintf("no jars found in %s (the ltx4j jars belong there, next to "
                                       "litestream-vfs.so; or set LITESTREAM_CLASSPATH)", lib);
    sqlite3_free(lib);
    return cp;
}

typedef struct Boot {
    CreateJavaVM_t create;
    const char *lib; /* the libjvm.so in use, for the error */
    char *classpath;
    char *why;
    int ok;
} Boot;

/* Runs on its own thread with a big stack, as the java launcher does for main. */
static void *boot_thread(void *arg) {
    Boot *b = (Boot *)arg;
    JavaVMOption opts[64];
    int n = 0;
    char *cpOpt = sqlite3_mprintf("-Djava.class.path=%s", b->classpath);
    if (cpOpt == NULL) {
        b->why = sqlite3_mprintf("out of memory building the JVM options");
        return NULL;
    }
    opts[n++].optionString = cpOpt;
    opts[n++].optionString = "-Xrs"; /* leave SIGINT/SIGTERM to the host */
    /* JDK 24+ warns on the host's stderr when class-path code loads a native library (lz4-java, ours) unless
     * native access is enabled; JDK 17+ accept the option (docs/jdk-versions.md). */
    opts[n++].optionString = "--enable-native-access=ALL-UNNAMED";
    /* SLF4J goes to our provider: silent unless LITESTREAM_LOG_LEVEL/LITESTREAM_LOG_FILE are set. Named
     * explicitly, so SLF4J neither scans nor warns; LITESTREAM_JVM_OPTS (later) may name another. */
    opts[n++].optionString = "-Dslf4j.provider=dev.ltx4j.vfs.internal.HostLogProvider";
    opts[n++].optionString = "-Dslf4j.internal.verbosity=WARN";
    /* A host's JVM often lives for a script of a few hundred commits, which HotSpot's default thresholds leave in
     * the interpreter: C1 compiles sooner (cheap compiles); C2 keeps its own thresholds (its earlier compiles cost
     * more than they saved: docs/durable-commit-cost.md, "Session 11"). The interpreter checks the invocation
     * thresholds only every 128 calls (Tier0InvokeNotifyFreqLog=7), so a method reaches C1 after ~128 calls
     * instead of ~256 (half, not a tenth); loops, checked every 1,024 back edges, after ~6,000 instead of ~60,000.
     * These override JAVA_TOOL_OPTIONS' settings of the same flags (read before JNI options); LITESTREAM_JVM_OPTS
     * (later in this list) and _JAVA_OPTIONS (read after JNI options) override these. */
    opts[n++].optionString = "-XX:Tier3InvocationThreshold=20";
    opts[n++].optionString = "-XX:Tier3MinInvocationThreshold=10";
    opts[n++].optionString = "-XX:Tier3CompileThreshold=200";
    opts[n++].optionString = "-XX:Tier3BackEdgeThreshold=6000";
    const char *userOpts = getenv("LITESTREAM_JVM_OPTS");
    char *user = userOpts ? strdup(userOpts) : NULL, *save = NULL;
    if (userOpts != NULL && user == NULL) {
        b->why = sqlite3_mprintf("out of memory reading LITESTREAM_JVM_OPTS");
        sqlite3_free(cpOpt);
        return NULL;
    }
    for (char *o = user ? strtok_r(user, " \t", &save) : NULL; o && n < 64; o = strtok_r(NULL, " \t", &save))
        opts[n++].optionString = o;
    for (int i = 0; i < n; i++) opts[i].extraInfo = NULL;
    JavaVMInitArgs args = {JNI_VER, n, opts, JNI_FALSE};
    JavaVM *vm = NULL;
    JNIEnv *env = NULL;
    jint rc = b->create(&vm, (void **)&env, &args);
    if (rc != JNI_OK) {
        /* A JDK older than 17 refuses our options too (-6): name the JVM, not only the user's options. */
        b->why = sqlite3_mprintf("JNI_CreateJavaVM failed with %d for the JVM %s (ltx4j needs JDK 17+; "
                                 "check JAVA_HOME, LITESTREAM_JVM_LIB and LITESTREAM_JVM_OPTS)", (int)rc, b->lib);
    } else {
        g_jvm = vm;
        char *why = NULL;
        b->ok = setup_bridge(env, &why);
        if (!b->ok) b->why = sqlite3_mprintf("%s (class path: %s)", why, b->classpath);
        (*vm)->DetachCurrentThread(vm);
    }
    sqlite3_free(cpOpt);
    free(user);
    return NULL;
}

static void host_exit(void) {
    /* The JVM is never destroyed in a host process, so Java shutdown hooks do not run: give
     * the Java side its chance to flush here. */
    JNIEnv *env = env_get();
    if (env == NULL) return;
    (*env)->CallStaticVoidMethod(env, g_bridge, m_hostExit);
    java_threw(env, SQLITE_ERROR);
}

static int boot_jvm(char **pzErr) {
    char lib[PATH_MAX];
    if (!find_libjvm(lib, sizeof lib)) {
        *pzErr = sqlite3_mprintf("litestream: no Java runtime found (set JAVA_HOME to a JDK/JRE 17+, "
                                 "LITESTREAM_JVM_LIB to libjvm.so, or put java on PATH)");
        return 0;
    }
    Boot b = {0};
    b.lib = lib;
    b.classpath = build_classpath(&b.why);
    if (b.classpath == NULL) {
        *pzErr = sqlite3_mprintf("litestream: %s", b.why);
        sqlite3_free(b.why);
        return 0;
    }
    void *h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
    GetCreatedJavaVMs_t created = h ? (GetCreatedJavaVMs_t)dlsym(h, "JNI_GetCreatedJavaVMs") : NULL;
    b.create = h ? (CreateJavaVM_t)dlsym(h, "JNI_CreateJavaVM") : NULL;
    JavaVM *vms[1];
    jsize nvm = 0;
    if (b.create == NULL || created == NULL) {
        *pzErr = sqlite3_mprintf("litestream: cannot load the JVM %s: %s", lib, dlerror());
    } else if (created(vms, 1, &nvm) == JNI_OK && nvm > 0) {
        *pzErr = sqlite3_mprintf("litestream: a JVM already exists in this process but was not started "
                                 "by the litestream VFS; load it from Java with LitestreamVfs.load()");
    } else {
        struct timeval t0, t1;
        gettimeofday(&t0, NULL);
        pthread_attr_t attr;
        pthread_t t;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 8 << 20);
        if (pthread_create(&t, &attr, boot_thread, &b) == 0) pthread_join(t, NULL);
        else b.why = sqlite3_mprintf("cannot create the JVM start thread");
        pthread_attr_destroy(&attr);
        gettimeofday(&t1, NULL);
        if (getenv("LITESTREAM_VFS_DEBUG"))
            fprintf(stderr, "litestream: JVM %s started in %ld ms\n", lib,
                    (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000));
        if (b.ok) {
            g_embedded = 1;
            atexit(host_exit);
        } else {
            *pzErr = sqlite3_mprintf("litestream: %s", b.why ? b.why : "JVM start failed");
        }
    }
    sqlite3_free(b.why);
    sqlite3_free(b.classpath);
    return b.ok;
}

typedef struct Loaded {
    char *names[256];
    int n;
} Loaded;

static int collect_loaded(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    Loaded *l = (Loaded *)arg;
    if (info->dlpi_name != NULL && info->dlpi_name[0] != 0 && l->n < 256) {
        char *copy = strdup(info->dlpi_name);
        if (copy != NULL) l->names[l->n++] = copy;
    }
    return 0;
}

/* The path of another copy of this extension loaded in the process (same entry point, another file), or NULL.
 * Names are collected first: dlopen is not called from inside dl_iterate_phdr. Caller frees with free(). */
static char *other_loaded_copy(void) {
    Loaded l = {{0}, 0};
    Dl_info self, other;
    if (dladdr((void *)&other_loaded_copy, &self) == 0) return NULL;
    dl_iterate_phdr(collect_loaded, &l);
    char *found = NULL;
    for (int i = 0; i < l.n; i++) {
        if (found == NULL) {
            void *h = dlopen(l.names[i], RTLD_LAZY | RTLD_NOLOAD);
            void *entry = h ? dlsym(h, "sqlite3_litestreamvfs_init") : NULL;
            /* dlsym also searches the object's dependencies: count it only if the entry lies in the object itself */
            if (entry != NULL && dladdr(entry, &other) && other.dli_fbase != self.dli_fbase && other.dli_fname
                && strcmp(other.dli_fname, l.names[i]) == 0) found = l.names[i];
            if (h) dlclose(h);
        }
        if (l.names[i] != found) free(l.names[i]);
    }
    return found;
}

/* A JVM that exists but never ran JNI_OnLoad (library loaded only through load_extension). */
static int adopt_running_jvm(char **pzErr) {
    GetCreatedJavaVMs_t created = (GetCreatedJavaVMs_t)dlsym(RTLD_DEFAULT, "JNI_GetCreatedJavaVMs");
    JavaVM *vm = NULL;
    jsize n = 0;
    if (created == NULL || created(&vm, 1, &n) != JNI_OK || n == 0) return 0;
    JNIEnv *env = NULL;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VER) != JNI_OK) {
        /* A pure C host does not start JVMs: most likely another copy of this library, loaded from another path,
         * started it. Its natives and state are its own (RegisterNatives would steal them), so refuse. */
        Dl_info self;
        const char *me = dladdr((void *)&adopt_running_jvm, &self) && self.dli_fname ? self.dli_fname : "?";
        char *other = other_loaded_copy();
        if (other != NULL) {
            *pzErr = sqlite3_mprintf("litestream: another copy of this extension (%s) already started the JVM in "
                                     "this process; this copy (%s) cannot share it: load the extension from one "
                                     "path only", other, me);
            free(other);
        } else {
            *pzErr = sqlite3_mprintf("litestream: a JVM that this copy of the extension (%s) did not start runs in "
                                     "this process, and this thread is not attached to it (another copy of the "
                                     "extension loaded from another path? load it from one path only; a Java host "
                                     "calls dev.ltx4j.vfs.LitestreamVfs.load() instead)", me);
        }
        return -1;
    }
    g_jvm = vm;
    char *why = NULL;
    if (!setup_bridge(env, &why)) {
        *pzErr = sqlite3_mprintf("litestream: %s; call dev.ltx4j.vfs.LitestreamVfs.load() from Java instead", why);
        return -1;
    }
    return 1;
}

static int ensure_bridge(char **pzErr) {
    if (g_forked) {
        *pzErr = sqlite3_mprintf("litestream: cannot be used in a child process forked after the JVM "
                                 "started (use a spawn/forkserver start method)");
        return 0;
    }
    if (g_bridgeReady) return 1;
    int adopted = adopt_running_jvm(pzErr);
    if (adopted != 0) return adopted > 0;
    return boot_jvm(pzErr);
}

EXPORT int sqlite3_litestreamvfs_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    char *err = NULL;
    pthread_mutex_lock(&g_mutex);
    int ok = ensure_bridge(&err);
    int rc = ok ? register_vfs("litestream") : SQLITE_ERROR;
    pthread_mutex_unlock(&g_mutex);
    if (ok && rc != SQLITE_OK) err = sqlite3_mprintf("litestream: cannot register the VFS (error %d)", rc);
    if (err != NULL) {
        if (pzErrMsg) *pzErrMsg = err; else sqlite3_free(err);
        return SQLITE_ERROR;
    }
    rc = sqlite3_auto_extension((void (*)(void))register_functions);
    if (rc == SQLITE_OK && db != NULL) rc = register_functions(db, pzErrMsg, pApi);
    return rc == SQLITE_OK ? SQLITE_OK_LOAD_PERMANENTLY : rc;
}
