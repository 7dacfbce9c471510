#ifndef CPARTYBUS_SHIMS_H
#define CPARTYBUS_SHIMS_H
#include "partybus_plugin.h"

/// The ABI version as a value Swift can read (macros with a `u` suffix do not import).
static inline uint32_t pb_plugin_api_version(void) { return PB_PLUGIN_API_VERSION; }

#include <stdio.h>
/// Makes stdout line-buffered, so printed lines reach a pipe at once and in order (Swift 6 cannot touch `stdout`).
static inline void pb_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

#include <malloc.h>
/// glibc's heap figures (`mallinfo2`, summed over every arena, main and per-thread): bytes in use by live
/// allocations (`uordblks` + `hblkhd`, mmapped blocks included) and bytes free inside the arenas (`fordblks`: holes
/// and tops not given back to the kernel).
typedef struct { size_t in_use; size_t free; } pb_heap_info;
static inline pb_heap_info pb_heap_statistics(void) {
    struct mallinfo2 info = mallinfo2();
    pb_heap_info out = { info.uordblks + info.hblkhd, info.fordblks };
    return out;
}
#include <stdlib.h>
#include <string.h>
/// How many malloc arenas the process has (the `<heap nr=…>` entries of `malloc_info`); -1 when it cannot tell.
static inline int pb_heap_arenas(void) {
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    if (!stream) return -1;
    int ok = malloc_info(0, stream) == 0;
    fclose(stream);
    int count = 0;
    for (const char *at = text; ok && at && (at = strstr(at, "<heap nr=")) != NULL; at += 9) count++;
    free(text);
    return ok ? count : -1;
}
/// Caps how many malloc arenas glibc may create (`mallopt(M_ARENA_MAX)`); effective for arenas created after the
/// call (glibc fixes its limit when the ninth arena would be made). Returns 1 on success.
static inline int pb_malloc_arena_max(int arenas) { return mallopt(M_ARENA_MAX, arenas); }
#endif
