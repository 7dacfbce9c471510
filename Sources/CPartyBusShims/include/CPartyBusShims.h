#ifndef CPARTYBUS_SHIMS_H
#define CPARTYBUS_SHIMS_H
#include "partybus_plugin.h"

/// The ABI version as a value Swift can read (macros with a `u` suffix do not import).
static inline uint32_t pb_plugin_api_version(void) { return PB_PLUGIN_API_VERSION; }
#endif
