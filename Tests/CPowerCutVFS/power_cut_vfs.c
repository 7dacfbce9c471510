// A volatile-write-cache VFS for power-loss tests; see include/CPowerCutVFS.h.
#include "CPowerCutVFS.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

typedef struct PendingWrite {
    sqlite3_int64 offset;
    int length;
    unsigned char *bytes;
    struct PendingWrite *next;
} PendingWrite;

typedef struct CutFile {
    sqlite3_file base;
    sqlite3_file *real;
    PendingWrite *first, *last;
    struct CutFile *nextOpen, *previousOpen;
} CutFile;

static sqlite3_vfs cutVFS;
static sqlite3_vfs *realVFS;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CutFile *openFiles;
static int powerIsCut;
static long syncCount;
static long droppedWrites;

static void freePending(CutFile *file) {
    PendingWrite *write = file->first;
    while (write) {
        PendingWrite *next = write->next;
        free(write->bytes);
        free(write);
        write = next;
    }
    file->first = file->last = NULL;
}

/// Writes what is pending to the real file (the disk), in order. Called with the lock held.
static int flushPending(CutFile *file) {
    int rc = SQLITE_OK;
    for (PendingWrite *write = file->first; write && rc == SQLITE_OK; write = write->next) {
        rc = file->real->pMethods->xWrite(file->real, write->bytes, write->length, write->offset);
    }
    freePending(file);
    return rc;
}

static int cutClose(sqlite3_file *handle) {
    CutFile *file = (CutFile *)handle;
    pthread_mutex_lock(&lock);
    // A process that closes a file leaves its writes in the OS cache; they reach the disk unless the power is cut.
    if (!powerIsCut) flushPending(file);
    freePending(file);
    if (file->previousOpen) file->previousOpen->nextOpen = file->nextOpen; else openFiles = file->nextOpen;
    if (file->nextOpen) file->nextOpen->previousOpen = file->previousOpen;
    pthread_mutex_unlock(&lock);
    return file->real->pMethods->xClose(file->real);
}

static int cutRead(sqlite3_file *handle, void *buffer, int amount, sqlite3_int64 offset) {
    CutFile *file = (CutFile *)handle;
    pthread_mutex_lock(&lock);
    int rc = file->real->pMethods->xRead(file->real, buffer, amount, offset);
    sqlite3_int64 realSize = 0;
    file->real->pMethods->xFileSize(file->real, &realSize);
    sqlite3_int64 covered = realSize > offset ? realSize - offset : 0;
    if (covered > amount) covered = amount;
    if (rc == SQLITE_IOERR_SHORT_READ) memset((char *)buffer + covered, 0, (size_t)(amount - covered));
    else if (rc != SQLITE_OK) { pthread_mutex_unlock(&lock); return rc; }
    sqlite3_int64 end = offset + covered;
    for (PendingWrite *write = file->first; write; write = write->next) {
        sqlite3_int64 from = write->offset > offset ? write->offset : offset;
        sqlite3_int64 to = write->offset + write->length < offset + amount ? write->offset + write->length : offset + amount;
        if (from >= to) continue;
        memcpy((char *)buffer + (from - offset), write->bytes + (from - write->offset), (size_t)(to - from));
        if (to > end) end = to;
    }
    pthread_mutex_unlock(&lock);
    if (end >= offset + amount) return SQLITE_OK;
    if (end > offset + covered) memset((char *)buffer + (end - offset), 0, (size_t)(offset + amount - end));
    return SQLITE_IOERR_SHORT_READ;
}

static int cutWrite(sqlite3_file *handle, const void *buffer, int amount, sqlite3_int64 offset) {
    CutFile *file = (CutFile *)handle;
    pthread_mutex_lock(&lock);
    if (powerIsCut) { pthread_mutex_unlock(&lock); return SQLITE_IOERR_WRITE; }
    PendingWrite *write = malloc(sizeof *write);
    unsigned char *bytes = malloc((size_t)amount);
    if (!write || !bytes) { free(write); free(bytes); pthread_mutex_unlock(&lock); return SQLITE_IOERR_NOMEM; }
    memcpy(bytes, buffer, (size_t)amount);
    *write = (PendingWrite){ .offset = offset, .length = amount, .bytes = bytes, .next = NULL };
    if (file->last) file->last->next = write; else file->first = write;
    file->last = write;
    pthread_mutex_unlock(&lock);
    return SQLITE_OK;
}

static int cutTruncate(sqlite3_file *handle, sqlite3_int64 size) {
    CutFile *file = (CutFile *)handle;
    pthread_mutex_lock(&lock);
    if (powerIsCut) { pthread_mutex_unlock(&lock); return SQLITE_IOERR_TRUNCATE; }
    // Pending bytes beyond the new end are gone; the truncation itself is applied at once (conservative: it never
    // makes unsynced data durable).
    for (PendingWrite *write = file->first; write; write = write->next) {
        if (write->offset >= size) write->length = 0;
        else if (write->offset + write->length > size) write->length = (int)(size - write->offset);
    }
    int rc = file->real->pMethods->xTruncate(file->real, size);
    pthread_mutex_unlock(&lock);
    return rc;
}

static int cutSync(sqlite3_file *handle, int flags) {
    CutFile *file = (CutFile *)handle;
    pthread_mutex_lock(&lock);
    if (powerIsCut) { pthread_mutex_unlock(&lock); return SQLITE_IOERR_FSYNC; }
    int rc = flushPending(file);
    if (rc == SQLITE_OK) rc = file->real->pMethods->xSync(file->real, flags);
    if (rc == SQLITE_OK) syncCount += 1;
    pthread_mutex_unlock(&lock);
    return rc;
}

static int cutFileSize(sqlite3_file *handle, sqlite3_int64 *size) {
    CutFile *file = (CutFile *)handle;
    pthread_mutex_lock(&lock);
    int rc = file->real->pMethods->xFileSize(file->real, size);
    for (PendingWrite *write = file->first; rc == SQLITE_OK && write; write = write->next) {
        if (write->length > 0 && write->offset + write->length > *size) *size = write->offset + write->length;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static int cutLock(sqlite3_file *f, int level) { return ((CutFile *)f)->real->pMethods->xLock(((CutFile *)f)->real, level); }
static int cutUnlock(sqlite3_file *f, int level) { return ((CutFile *)f)->real->pMethods->xUnlock(((CutFile *)f)->real, level); }
static int cutCheckReserved(sqlite3_file *f, int *out) {
    return ((CutFile *)f)->real->pMethods->xCheckReservedLock(((CutFile *)f)->real, out);
}
static int cutFileControl(sqlite3_file *f, int op, void *arg) {
    // SQLITE_FCNTL_SIZE_HINT and friends would grow the real file behind the cache's back; they are only hints.
    if (op == SQLITE_FCNTL_SIZE_HINT || op == SQLITE_FCNTL_CHUNK_SIZE) return SQLITE_OK;
    return ((CutFile *)f)->real->pMethods->xFileControl(((CutFile *)f)->real, op, arg);
}
static int cutSectorSize(sqlite3_file *f) { return ((CutFile *)f)->real->pMethods->xSectorSize(((CutFile *)f)->real); }
static int cutDeviceCharacteristics(sqlite3_file *f) {
    return ((CutFile *)f)->real->pMethods->xDeviceCharacteristics(((CutFile *)f)->real);
}
static int cutShmMap(sqlite3_file *f, int page, int size, int extend, void volatile **out) {
    return ((CutFile *)f)->real->pMethods->xShmMap(((CutFile *)f)->real, page, size, extend, out);
}
static int cutShmLock(sqlite3_file *f, int offset, int n, int flags) {
    return ((CutFile *)f)->real->pMethods->xShmLock(((CutFile *)f)->real, offset, n, flags);
}
static void cutShmBarrier(sqlite3_file *f) { ((CutFile *)f)->real->pMethods->xShmBarrier(((CutFile *)f)->real); }
static int cutShmUnmap(sqlite3_file *f, int deleteFlag) {
    return ((CutFile *)f)->real->pMethods->xShmUnmap(((CutFile *)f)->real, deleteFlag);
}

// Version 2: shared memory (WAL) but no xFetch, so SQLite never memory-maps around the cache.
static const sqlite3_io_methods cutMethods = {
    2, cutClose, cutRead, cutWrite, cutTruncate, cutSync, cutFileSize, cutLock, cutUnlock, cutCheckReserved,
    cutFileControl, cutSectorSize, cutDeviceCharacteristics, cutShmMap, cutShmLock, cutShmBarrier, cutShmUnmap,
    NULL, NULL,
};

static int cutOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *handle, int flags, int *outFlags) {
    (void)vfs;
    CutFile *file = (CutFile *)handle;
    memset(file, 0, sizeof *file);
    file->real = (sqlite3_file *)(file + 1);
    int rc = realVFS->xOpen(realVFS, name, file->real, flags, outFlags);
    if (rc != SQLITE_OK || file->real->pMethods == NULL) { file->base.pMethods = NULL; return rc; }
    file->base.pMethods = &cutMethods;
    pthread_mutex_lock(&lock);
    file->nextOpen = openFiles;
    if (openFiles) openFiles->previousOpen = file;
    openFiles = file;
    pthread_mutex_unlock(&lock);
    return SQLITE_OK;
}

static int cutDelete(sqlite3_vfs *vfs, const char *name, int syncDir) {
    (void)vfs;
    pthread_mutex_lock(&lock);
    int cut = powerIsCut;
    pthread_mutex_unlock(&lock);
    if (cut) return SQLITE_IOERR_DELETE;
    return realVFS->xDelete(realVFS, name, syncDir);
}

static int cutAccess(sqlite3_vfs *v, const char *n, int f, int *o) { (void)v; return realVFS->xAccess(realVFS, n, f, o); }
static int cutFullPathname(sqlite3_vfs *v, const char *n, int size, char *out) {
    (void)v; return realVFS->xFullPathname(realVFS, n, size, out);
}
static void *cutDlOpen(sqlite3_vfs *v, const char *n) { (void)v; return realVFS->xDlOpen(realVFS, n); }
static void cutDlError(sqlite3_vfs *v, int n, char *m) { (void)v; realVFS->xDlError(realVFS, n, m); }
static void (*cutDlSym(sqlite3_vfs *v, void *h, const char *s))(void) { (void)v; return realVFS->xDlSym(realVFS, h, s); }
static void cutDlClose(sqlite3_vfs *v, void *h) { (void)v; realVFS->xDlClose(realVFS, h); }
static int cutRandomness(sqlite3_vfs *v, int n, char *out) { (void)v; return realVFS->xRandomness(realVFS, n, out); }
static int cutSleep(sqlite3_vfs *v, int micro) { (void)v; return realVFS->xSleep(realVFS, micro); }
static int cutCurrentTime(sqlite3_vfs *v, double *out) { (void)v; return realVFS->xCurrentTime(realVFS, out); }
static int cutGetLastError(sqlite3_vfs *v, int n, char *out) { (void)v; return realVFS->xGetLastError(realVFS, n, out); }
static int cutCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *out) {
    (void)v; return realVFS->xCurrentTimeInt64(realVFS, out);
}

int pb_powercut_register(const char *name) {
    pthread_mutex_lock(&lock);
    if (realVFS) { pthread_mutex_unlock(&lock); return SQLITE_OK; }
    realVFS = sqlite3_vfs_find(NULL);
    if (!realVFS) { pthread_mutex_unlock(&lock); return SQLITE_ERROR; }
    cutVFS = (sqlite3_vfs){
        .iVersion = 2, .szOsFile = (int)sizeof(CutFile) + realVFS->szOsFile, .mxPathname = realVFS->mxPathname,
        .zName = strdup(name), .xOpen = cutOpen, .xDelete = cutDelete, .xAccess = cutAccess,
        .xFullPathname = cutFullPathname, .xDlOpen = cutDlOpen, .xDlError = cutDlError, .xDlSym = cutDlSym,
        .xDlClose = cutDlClose, .xRandomness = cutRandomness, .xSleep = cutSleep, .xCurrentTime = cutCurrentTime,
        .xGetLastError = cutGetLastError, .xCurrentTimeInt64 = cutCurrentTimeInt64,
    };
    pthread_mutex_unlock(&lock);
    return sqlite3_vfs_register(&cutVFS, 0);
}

void pb_powercut_cut(unsigned int seed, int keep_percent) {
    pthread_mutex_lock(&lock);
    unsigned int state = seed ? seed : 1;
    droppedWrites = 0;
    for (CutFile *file = openFiles; file; file = file->nextOpen) {
        for (PendingWrite *write = file->first; write; write = write->next) {
            state = state * 1103515245u + 12345u;
            if ((int)((state >> 16) % 100) < keep_percent && write->length > 0) {
                file->real->pMethods->xWrite(file->real, write->bytes, write->length, write->offset);
            } else {
                droppedWrites += 1;
            }
        }
        freePending(file);
    }
    powerIsCut = 1;
    pthread_mutex_unlock(&lock);
}

void pb_powercut_restore(void) {
    pthread_mutex_lock(&lock);
    powerIsCut = 0;
    syncCount = 0;
    pthread_mutex_unlock(&lock);
}

long pb_powercut_sync_count(void) {
    pthread_mutex_lock(&lock);
    long count = syncCount;
    pthread_mutex_unlock(&lock);
    return count;
}

long pb_powercut_dropped_writes(void) {
    pthread_mutex_lock(&lock);
    long count = droppedWrites;
    pthread_mutex_unlock(&lock);
    return count;
}
