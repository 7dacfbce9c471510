#ifndef CPARTYBUS_SHIMS_H
#define CPARTYBUS_SHIMS_H
#include "partybus_plugin.h"

/// The ABI version as a value Swift can read (macros with a `u` suffix do not import).
static inline uint32_t pb_plugin_api_version(void) { return PB_PLUGIN_API_VERSION; }

#include <stdio.h>
/// Makes stdout line-buffered, so printed lines reach a pipe at once and in order (Swift 6 cannot touch `stdout`).
static inline void pb_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
#endif
