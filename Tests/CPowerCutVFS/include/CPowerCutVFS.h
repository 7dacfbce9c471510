#ifndef PARTYBUS_POWER_CUT_VFS_H
#define PARTYBUS_POWER_CUT_VFS_H

/// A test-only SQLite VFS that models a disk with a volatile write cache, after SQLite's own crash-test VFS:
/// writes are held in memory until the file's xSync, reads see them, and a simulated power cut keeps a random part
/// of what was never synced (none, some or all of it, chosen per write by a seeded generator) and drops the rest.
/// After the cut every write, sync, truncate and delete through the VFS fails, as a machine without power would.

/// Registers the VFS under `name` (not as the default). Returns an SQLite result code.
int pb_powercut_register(const char *name);

/// Cuts the power: for every open file, each unsynced write survives with probability `keep_percent` / 100
/// (seeded by `seed`), the rest are lost; from now on the VFS refuses to change any file.
void pb_powercut_cut(unsigned int seed, int keep_percent);

/// Restores power for the next test (call only when every connection of the cut has been closed).
void pb_powercut_restore(void);

/// How many xSync calls reached the disk since the last restore.
long pb_powercut_sync_count(void);

/// How many unsynced writes the last cut dropped.
long pb_powercut_dropped_writes(void);

#endif
