// Everything in this target is header-only (static inline); this file keeps SwiftPM's C target non-empty.
#include "CPartyBusShims.h"
