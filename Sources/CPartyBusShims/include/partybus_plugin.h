#ifndef PARTYBUS_PLUGIN_H
#define PARTYBUS_PLUGIN_H
/*
 * The C ABI between the PartyBus engine and a plugin loaded from a shared object.
 *
 * A plugin library exports one symbol, PB_PLUGIN_ENTRY_SYMBOL, a function taking no arguments and returning a
 * pointer to a pb_plugin that lives as long as the process. The engine reads api_version first and refuses
 * the library unless it equals PB_PLUGIN_API_VERSION. Everything that crosses the boundary is UTF-8 JSON
 * (events, configuration, published drafts), so a plugin may be written in Swift (see PartyBusPluginAPI's
 * DynamicPluginExport), C, Rust, or anything that can export a C symbol.
 *
 * Strings passed to a callback are only valid during that call: copy what you keep.
 */
#include <stddef.h>
#include <stdint.h>

#define PB_PLUGIN_API_VERSION 2u
#define PB_PLUGIN_ENTRY_SYMBOL "partybus_plugin_entry"

/// Log levels for pb_host.log.
enum { PB_LOG_DEBUG = 0, PB_LOG_INFO = 1, PB_LOG_WARNING = 2, PB_LOG_ERROR = 3 };

/// Called once when an asynchronous plugin call finishes: status 0 is success; otherwise error holds a message.
typedef void (*pb_completion)(void *token, int32_t status, const char *error, size_t error_length);

/// Called once when create finishes: instance is non-NULL on success; otherwise error holds a message.
typedef void (*pb_created)(void *token, void *instance, const char *error, size_t error_length);

/// Called once when a published draft is appended (seq > 0, at in ms since 1970) or refused (seq 0, error).
typedef void (*pb_published)(void *token, uint64_t seq, int64_t at, const char *error, size_t error_length);

/// Called once with a projection as UTF-8 JSON (status 0) or an error message (status != 0).
typedef void (*pb_projection_done)(void *token, int32_t status, const char *json, size_t length);

/// What the engine offers a plugin. Valid from create until stop has completed.
typedef struct pb_host {
    void *context;
    /// Publish an event draft: a JSON object {"type": "...", "payload": {...}, "version": 1, "correlation": "..."}.
    /// Drafts are appended in call order; done is called once with the assigned seq or an error.
    void (*publish)(void *context, const char *json, size_t length, void *token, pb_published done);
    /// Write a line to the engine's log, attributed to this plugin.
    void (*log)(void *context, int32_t level, const char *message, size_t length);
    /// During a replay, record a side effect the plugin would have performed (it must not perform it).
    void (*record_side_effect)(void *context, const char *description, size_t length);
    /// A folder that belongs to this plugin (NUL-terminated path).
    const char *data_directory;
    /// The plugin instance's name (NUL-terminated).
    const char *plugin_name;
    /// 0 when live, 1 when the engine replays a recorded log (side effects must only be described, not done).
    int32_t replaying;
    /// (API version 2) Read an engine projection. name "parties": a JSON array of the parties we are in, each
    /// {"sessionId", "name", "ownerAccountId"?, "maxMembers"?, "members": [member objects by join order]}, folded at
    /// least through the event being handled; [] when the engine keeps none. done is called once, from any thread.
    void (*read_projection)(void *context, const char *name, size_t length, void *token, pb_projection_done done);
} pb_host;

/// What a plugin library offers the engine.
typedef struct pb_plugin {
    /// Must equal PB_PLUGIN_API_VERSION; read before anything else.
    uint32_t api_version;
    /// sizeof(pb_plugin) as the plugin was built, for forward compatibility.
    uint32_t struct_size;
    /// The plugin's name (NUL-terminated, [a-z0-9-]+).
    const char *name;
    /// The plugin's own version string (NUL-terminated).
    const char *version;
    /// Default subscriptions: a JSON array of event type globs (NUL-terminated), e.g. ["party.*"].
    const char *default_events_json;
    /// Create an instance from its options (a JSON object). Call done exactly once.
    void (*create)(const pb_host *host, const char *options_json, size_t options_length, void *token,
                   pb_created done);
    /// Handle one event (a JSON object, as in `partybus events export --jsonl`). Call done exactly once.
    void (*handle)(void *instance, const char *event_json, size_t length, void *token, pb_completion done);
    /// Stop the instance and release it. Call done exactly once; the instance is not used afterwards.
    void (*stop)(void *instance, void *token, pb_completion done);
} pb_plugin;

/// The type of the entry symbol.
typedef const pb_plugin *(*pb_plugin_entry_fn)(void);

#endif
