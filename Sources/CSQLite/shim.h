#ifndef PARTYBUS_CSQLITE_SHIM_H
#define PARTYBUS_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro cast that Swift cannot import: bind text that SQLite copies at once.
static inline int pb_sqlite3_bind_text_copy(sqlite3_stmt *stmt, int index, const char *text, int length) {
    return sqlite3_bind_text(stmt, index, text, length, SQLITE_TRANSIENT);
}

/// Bind a blob that SQLite copies at once (SQLITE_TRANSIENT).
static inline int pb_sqlite3_bind_blob_copy(sqlite3_stmt *stmt, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(stmt, index, bytes, length, SQLITE_TRANSIENT);
}
#endif
