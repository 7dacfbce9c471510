#ifndef PARTYBUS_CGSTREAMER_WEBRTC_SHIM_H
#define PARTYBUS_CGSTREAMER_WEBRTC_SHIM_H
#define GST_USE_UNSTABLE_API 1
#include <gst/gst.h>
#include "shim.h"
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

/* webrtcbin's API is signals, promises and enum properties, read through variadic calls that do not import into
   Swift. These wrappers are the only C the voice engine needs: each does one call and reports errors as text.
   The blocking ones wait on a GstPromise and must run on a thread of their own, never a Swift concurrency thread. */

/// Connects `callback` to `signal` of `instance`; `context` is released with `destroy` when the handler goes.
static inline gulong pb_signal_connect(gpointer instance, const char *signal, GCallback callback, gpointer context,
                                       GClosureNotify destroy) {
    return g_signal_connect_data(instance, signal, callback, context, destroy, (GConnectFlags)0);
}

/// The value of an enum property (ice-connection-state, connection-state, ice-gathering-state …).
static inline int pb_enum_property(gpointer object, const char *property) {
    gint value = 0;
    g_object_get(object, property, &value, NULL);
    return value;
}

/// 1 when every linked sink pad of `webrtc` has caps (the send branch has delivered its first buffer), or it has
/// no linked sink pad. Until then webrtcbin (1.22) does not know the pad's transceiver is audio, does not match it
/// to an offer's audio section, and answers with a new transceiver that never sends.
static inline int pb_webrtc_sink_caps_ready(GstElement *webrtc) {
    int ready = 1;
    GstIterator *pads = gst_element_iterate_sink_pads(webrtc);
    GValue item = G_VALUE_INIT;
    gboolean done = FALSE;
    while (!done) {
        switch (gst_iterator_next(pads, &item)) {
        case GST_ITERATOR_OK: {
            GstPad *pad = GST_PAD(g_value_get_object(&item));
            if (gst_pad_is_linked(pad) && !gst_pad_has_current_caps(pad)) ready = 0;
            g_value_reset(&item);
            break;
        }
        case GST_ITERATOR_RESYNC: gst_iterator_resync(pads); ready = 1; break;
        default: done = TRUE; break;
        }
    }
    g_value_unset(&item);
    gst_iterator_free(pads);
    return ready;
}

/// Lets libnice gather on `address` (it skips 127.0.0.1 by default, so loopback-only hosts have no candidates).
static inline int pb_webrtc_add_local_address(GstElement *webrtc, const char *address) {
    GstWebRTCICE *agent = NULL;
    g_object_get(webrtc, "ice-agent", &agent, NULL);
    if (!agent) return 0;
    gboolean added = FALSE;
    g_signal_emit_by_name(agent, "add-local-ip-address", address, &added);
    gst_object_unref(agent);
    return added ? 1 : 0;
}

/// The NiceAgent inside a webrtcbin's ICE agent (a new reference), or NULL when this GStreamer has none to show.
static inline GObject *pb_webrtc_nice_agent(GstElement *webrtc) {
    GObject *ice = NULL;
    g_object_get(webrtc, "ice-agent", &ice, NULL);
    if (!ice) return NULL;
    GObject *agent = NULL;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) g_object_get(ice, "agent", &agent, NULL);
    gst_object_unref(ice);
    return agent;
}

/// Turns off libnice's UPnP-IGD port mapping for a webrtcbin (Debian's libnice is built with it, and it is on by
/// default): with it every peer starts a gupnp-igd thread that multicasts SSDP searches (239.255.255.250:1900) out of
/// every interface and asks the router to open a port for each host candidate. Call before gathering. Returns 1
/// when UPnP is off afterwards, 0 when the agent could not be reached.
static inline int pb_webrtc_disable_upnp(GstElement *webrtc) {
    GObject *agent = pb_webrtc_nice_agent(webrtc);
    if (!agent) return 0;
    gboolean on = TRUE;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp")) {
        g_object_set(agent, "upnp", FALSE, NULL);
        g_object_get(agent, "upnp", &on, NULL);
    }
    g_object_unref(agent);
    return on ? 0 : 1;
}

/// Whether a webrtcbin's ICE agent would use UPnP: 1 on, 0 off, -1 unknown.
static inline int pb_webrtc_upnp_enabled(GstElement *webrtc) {
    GObject *agent = pb_webrtc_nice_agent(webrtc);
    if (!agent) return -1;
    gboolean on = FALSE;
    int known = g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp") != NULL;
    if (known) g_object_get(agent, "upnp", &on, NULL);
    g_object_unref(agent);
    return known ? (on ? 1 : 0) : -1;
}

/// Sets the STUN server (`stun://host:port`) of a webrtcbin.
static inline void pb_webrtc_set_stun(GstElement *webrtc, const char *uri) {
    g_object_set(webrtc, "stun-server", uri, NULL);
}

/// Adds a receive-only audio transceiver with `caps` (for graphs without a send branch, so an offer has audio).
static inline int pb_webrtc_add_recvonly_transceiver(GstElement *webrtc, const char *caps_text) {
    GstCaps *caps = gst_caps_from_string(caps_text);
    if (!caps) return 0;
    GstWebRTCRTPTransceiver *transceiver = NULL;
    g_signal_emit_by_name(webrtc, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
    gst_caps_unref(caps);
    if (!transceiver) return 0;
    gst_object_unref(transceiver);
    return 1;
}

/// Opens a data channel labelled `label` (before an offer, so the offer has the `m=application` section PS apps
/// write). webrtcbin keeps the channel; 1 on success.
static inline int pb_webrtc_create_data_channel(GstElement *webrtc, const char *label) {
    GstWebRTCDataChannel *channel = NULL;
    g_signal_emit_by_name(webrtc, "create-data-channel", label, NULL, &channel);
    if (!channel) return 0;
    g_object_unref(channel);
    return 1;
}

/// A promise that can be waited for with a deadline (gst_promise_wait has none: a webrtcbin that never answers
/// would block its caller, and every later step of that peer, for good).
/// A flag one thread sets and another waits for, with a deadline.
typedef struct { GMutex lock; GCond cond; gboolean done; } pb_flag_waiter;
static inline void pb_flag_set(pb_flag_waiter *waiter) {
    g_mutex_lock(&waiter->lock);
    waiter->done = TRUE;
    g_cond_signal(&waiter->cond);
    g_mutex_unlock(&waiter->lock);
}
/// Waits until the flag is set or `deadline` (g_get_monotonic_time) passes; returns whether it was set.
static inline gboolean pb_flag_wait_until(pb_flag_waiter *waiter, gint64 deadline) {
    g_mutex_lock(&waiter->lock);
    while (!waiter->done) {
        if (!g_cond_wait_until(&waiter->cond, &waiter->lock, deadline)) break;
    }
    gboolean done = waiter->done;
    g_mutex_unlock(&waiter->lock);
    return done;
}

typedef pb_flag_waiter pb_promise_waiter;
static inline void pb_promise_changed(GstPromise *promise, gpointer data) {
    (void)promise;
    pb_flag_set((pb_promise_waiter *)data);
}
static inline pb_promise_waiter *pb_promise_waiter_new(void) {
    pb_promise_waiter *waiter = g_new0(pb_promise_waiter, 1);
    g_mutex_init(&waiter->lock);
    g_cond_init(&waiter->cond);
    return waiter;
}
static inline GstPromise *pb_promise_new(pb_promise_waiter *waiter) {
    return gst_promise_new_with_change_func(pb_promise_changed, waiter, NULL);
}

/// Waits up to 5 s for the promise; returns the error text it was answered with, or NULL (caller frees with
/// g_free). Frees the waiter.
static inline char *pb_promise_error(GstPromise *promise, pb_promise_waiter *waiter) {
    if (!pb_flag_wait_until(waiter, g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND)) {
        /* A reply racing the interrupt may still call the change func: the waiter is left allocated (rare). */
        gst_promise_interrupt(promise);
        return g_strdup("webrtcbin did not answer within 5 s");
    }
    g_mutex_clear(&waiter->lock); g_cond_clear(&waiter->cond); g_free(waiter);
    if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return g_strdup("webrtcbin did not answer the request");
    const GstStructure *reply = gst_promise_get_reply(promise);
    if (reply && gst_structure_has_field(reply, "error")) {
        GError *error = NULL;
        gst_structure_get(reply, "error", G_TYPE_ERROR, &error, NULL);
        char *text = g_strdup(error ? error->message : "webrtcbin reported an error");
        if (error) g_error_free(error);
        return text;
    }
    return NULL;
}

/// Inbound RTP statistics of `webrtc` (`get-stats`, W3C `inbound-rtp` entries summed): packets received and lost
/// and the largest jitter in seconds. Returns 1 with the figures, 0 when webrtcbin did not answer in time or has no
/// inbound stream yet.
static inline int pb_webrtc_inbound_stats(GstElement *webrtc, guint64 *received, gint64 *lost, double *jitter) {
    *received = 0; *lost = 0; *jitter = 0;
    pb_promise_waiter *waiter = pb_promise_waiter_new();
    GstPromise *promise = pb_promise_new(waiter);
    g_signal_emit_by_name(webrtc, "get-stats", NULL, promise);
    char *message = pb_promise_error(promise, waiter);
    if (message) { g_free(message); gst_promise_unref(promise); return 0; }
    const GstStructure *reply = gst_promise_get_reply(promise);
    int found = 0;
    if (reply) {
        gint fields = gst_structure_n_fields(reply);
        for (gint index = 0; index < fields; index++) {
            const GValue *value = gst_structure_get_value(reply, gst_structure_nth_field_name(reply, index));
            if (!value || !GST_VALUE_HOLDS_STRUCTURE(value)) continue;
            const GstStructure *stat = gst_value_get_structure(value);
            GstWebRTCStatsType type;
            if (!gst_structure_get_enum(stat, "type", GST_TYPE_WEBRTC_STATS_TYPE, (gint *)&type)) continue;
            if (type != GST_WEBRTC_STATS_INBOUND_RTP) continue;
            guint64 packets = 0; gint64 missing = 0; double delay = 0;
            if (gst_structure_get_uint64(stat, "packets-received", &packets)) *received += packets;
            if (gst_structure_get_int64(stat, "packets-lost", &missing)) *lost += missing;
            if (gst_structure_get_double(stat, "jitter", &delay) && delay > *jitter) *jitter = delay;
            found = 1;
        }
    }
    gst_promise_unref(promise);
    return found;
}

/// Sets the local (`remote` = 0) or remote description from SDP text; `offer` = 1 for an offer, 0 for an answer.
/// Blocks until webrtcbin has applied it. Returns 1, or 0 with a message in *error (g_free).
static inline int pb_webrtc_set_description(GstElement *webrtc, int remote, int offer, const char *text, char **error) {
    GstSDPMessage *sdp = NULL;
    if (gst_sdp_message_new_from_text(text, &sdp) != GST_SDP_OK || !sdp) {
        *error = g_strdup("the SDP does not parse");
        return 0;
    }
    GstWebRTCSessionDescription *description = gst_webrtc_session_description_new(
        offer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
    pb_promise_waiter *waiter = pb_promise_waiter_new();
    GstPromise *promise = pb_promise_new(waiter);
    g_signal_emit_by_name(webrtc, remote ? "set-remote-description" : "set-local-description", description, promise);
    char *message = pb_promise_error(promise, waiter);
    gst_promise_unref(promise);
    gst_webrtc_session_description_free(description);
    if (message) { *error = message; return 0; }
    return 1;
}

/// Creates an offer (`offer` = 1) or an answer and sets it as the local description. Blocks. Returns 1, or 0 with a
/// message in *error (g_free).
static inline int pb_webrtc_create_local(GstElement *webrtc, int offer, char **error) {
    pb_promise_waiter *waiter = pb_promise_waiter_new();
    GstPromise *promise = pb_promise_new(waiter);
    g_signal_emit_by_name(webrtc, offer ? "create-offer" : "create-answer", NULL, promise);
    char *message = pb_promise_error(promise, waiter);
    if (message) { gst_promise_unref(promise); *error = message; return 0; }
    const GstStructure *reply = gst_promise_get_reply(promise);
    GstWebRTCSessionDescription *description = NULL;
    if (reply) gst_structure_get(reply, offer ? "offer" : "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &description, NULL);
    gst_promise_unref(promise);
    if (!description) { *error = g_strdup(offer ? "webrtcbin made no offer" : "webrtcbin made no answer"); return 0; }
    pb_promise_waiter *set_waiter = pb_promise_waiter_new();
    GstPromise *set = pb_promise_new(set_waiter);
    g_signal_emit_by_name(webrtc, "set-local-description", description, set);
    message = pb_promise_error(set, set_waiter);
    gst_promise_unref(set);
    gst_webrtc_session_description_free(description);
    if (message) { *error = message; return 0; }
    return 1;
}

/// The current local description as SDP text (with every candidate gathered so far), or NULL (g_free).
static inline char *pb_webrtc_local_sdp(GstElement *webrtc) {
    GstWebRTCSessionDescription *description = NULL;
    g_object_get(webrtc, "local-description", &description, NULL);
    if (!description) return NULL;
    char *text = gst_sdp_message_as_text(description->sdp);
    gst_webrtc_session_description_free(description);
    return text;
}

/// Builds a bin from a launch description without ghosting anything; NULL and *error (g_free) when it fails.
static inline GstElement *pb_parse_bin(const char *description, const char *name, char **error) {
    GError *failure = NULL;
    GstElement *bin = gst_parse_bin_from_description_full(description, FALSE, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &failure);
    if (failure) {
        *error = g_strdup(failure->message);
        g_error_free(failure);
        if (bin) gst_object_unref(bin);
        return NULL;
    }
    gst_object_set_name(GST_OBJECT(bin), name);
    return bin;
}

/// Gives `bin` a ghost pad `ghost` for pad `pad` of its child `element`. Returns 1 on success.
static inline int pb_bin_ghost(GstElement *bin, const char *element, const char *pad, const char *ghost) {
    GstPad *target = pb_element_pad(bin, element, pad);
    if (!target) return 0;
    GstPad *ghost_pad = gst_ghost_pad_new(ghost, target);
    gst_object_unref(target);
    gst_pad_set_active(ghost_pad, TRUE);
    return gst_element_add_pad(bin, ghost_pad) ? 1 : 0;
}

/// Links a new request pad of the pipeline's element `from` (a tee) to the bin's pad `to_pad`.
static inline int pb_link_from_request(GstElement *pipeline, const char *from, GstElement *bin, const char *to_pad) {
    GstElement *source = gst_bin_get_by_name(GST_BIN(pipeline), from);
    if (!source) return 0;
    GstPad *request = gst_element_request_pad_simple(source, "src_%u");
    gst_object_unref(source);
    if (!request) return 0;
    GstPad *sink = gst_element_get_static_pad(bin, to_pad);
    int ok = sink && gst_pad_link(request, sink) == GST_PAD_LINK_OK;
    if (sink) gst_object_unref(sink);
    gst_object_unref(request);
    return ok;
}

/// Links the bin's pad `from_pad` to a new request pad of the pipeline's element `to` (a mixer).
static inline int pb_link_to_request(GstElement *bin, const char *from_pad, GstElement *pipeline, const char *to) {
    GstElement *target = gst_bin_get_by_name(GST_BIN(pipeline), to);
    if (!target) return 0;
    GstPad *request = gst_element_request_pad_simple(target, "sink_%u");
    gst_object_unref(target);
    if (!request) return 0;
    GstPad *source = gst_element_get_static_pad(bin, from_pad);
    int ok = source && gst_pad_link(source, request) == GST_PAD_LINK_OK;
    if (source) gst_object_unref(source);
    gst_object_unref(request);
    return ok;
}

/// Unlinks the bin's ghost pad `pad` and releases the request pad it was linked to.
static inline void pb_unlink_release(GstElement *bin, const char *pad) {
    GstPad *own = gst_element_get_static_pad(bin, pad);
    if (!own) return;
    GstPad *peer = gst_pad_get_peer(own);
    if (peer) {
        GstElement *owner = gst_pad_get_parent_element(peer);
        if (GST_PAD_DIRECTION(own) == GST_PAD_SINK) gst_pad_unlink(peer, own); else gst_pad_unlink(own, peer);
        if (owner) { gst_element_release_request_pad(owner, peer); gst_object_unref(owner); }
        gst_object_unref(peer);
    }
    gst_object_unref(own);
}

/// Adds `bin` to `pipeline` (taking a reference of its own).
static inline int pb_bin_add(GstElement *pipeline, GstElement *bin) {
    gst_object_ref(bin);
    if (!gst_bin_add(GST_BIN(pipeline), bin)) { gst_object_unref(bin); return 0; }
    return 1;
}

/// Brings an element added to a playing pipeline to the pipeline's state.
static inline int pb_sync_state(GstElement *element) { return gst_element_sync_state_with_parent(element) ? 1 : 0; }

/// Brings `bin` and every element inside it to NULL, child by child if the bin as a whole did not get there (an
/// element disposed while still PLAYING leaves its streaming thread spinning).
static inline void pb_force_null(GstElement *bin) {
    gst_element_set_locked_state(bin, TRUE);
    if (gst_element_set_state(bin, GST_STATE_NULL) != GST_STATE_CHANGE_SUCCESS || GST_STATE(bin) != GST_STATE_NULL) {
        GstIterator *children = gst_bin_iterate_recurse(GST_BIN(bin));
        GValue item = G_VALUE_INIT;
        while (gst_iterator_next(children, &item) == GST_ITERATOR_OK) {
            GstElement *child = GST_ELEMENT(g_value_get_object(&item));
            gst_element_set_state(child, GST_STATE_NULL);
            g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(children);
        gst_element_set_state(bin, GST_STATE_NULL);
    }
}

static inline void pb_mark_removing(GstElement *bin);

/// Unlinks `bin` (its "sink" and "src" ghost pads), stops it and removes it from `pipeline`.
static inline void pb_bin_remove(GstElement *pipeline, GstElement *bin) {
    pb_mark_removing(bin);
    pb_unlink_release(bin, "sink");
    pb_force_null(bin);
    pb_unlink_release(bin, "src");
    gst_bin_remove(GST_BIN(pipeline), bin);
}

/// The child called `name` of a bin (a new reference), or NULL.
static inline GstElement *pb_bin_child(GstElement *bin, const char *name) {
    return gst_bin_get_by_name(GST_BIN(bin), name);
}

/// Calls `notify(context, object)` when GStreamer finalizes `object` (its last reference is gone), whatever thread
/// drops it (`g_object_weak_ref`).
static inline void pb_on_finalize(gpointer object, GWeakNotify notify, gpointer context) {
    g_object_weak_ref(G_OBJECT(object), notify, context);
}

#include <malloc.h>
/// Gives the whole free pages inside malloc's arenas back to the kernel (`malloc_trim(0)`), after a peer's threads
/// and buffers are gone. Walks every arena under its lock (about a millisecond): on the teardown queue only.
static inline void pb_release_free_heap(void) { (void)malloc_trim(0); }

/// Drops a reference to a GStreamer object.
static inline void pb_object_unref(gpointer object) { gst_object_unref(object); }

/// Calls `callback(context)` once, when the first buffer leaves pad `pad_name` of `element` (first decoded audio).
typedef void (*pb_probe_callback)(gpointer context);
typedef struct { pb_probe_callback callback; gpointer context; GDestroyNotify destroy; } pb_probe_data;
static inline GstPadProbeReturn pb_probe_once(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    (void)pad; (void)info;
    pb_probe_data *probe = (pb_probe_data *)data;
    probe->callback(probe->context);
    return GST_PAD_PROBE_REMOVE;
}
static inline void pb_probe_free(gpointer data) {
    pb_probe_data *probe = (pb_probe_data *)data;
    if (probe->destroy) probe->destroy(probe->context);
    g_free(probe);
}
static inline int pb_on_first_buffer(GstElement *element, const char *pad_name, pb_probe_callback callback,
                                     gpointer context, GDestroyNotify destroy) {
    GstPad *pad = gst_element_get_static_pad(element, pad_name);
    if (!pad) return 0;
    pb_probe_data *probe = g_new0(pb_probe_data, 1);
    probe->callback = callback; probe->context = context; probe->destroy = destroy;
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, pb_probe_once, probe, pb_probe_free);
    gst_object_unref(pad);
    return 1;
}

/// Marks a peer bin as being taken out of its pipeline: errors its elements post from now on are teardown noise.
static inline void pb_mark_removing(GstElement *bin) {
    g_object_set_data(G_OBJECT(bin), "partybus-removing", GINT_TO_POINTER(1));
}

/// Where a bus message's source sits: returns 1 when it is inside a bin marked as being removed or no longer inside
/// `pipeline` at all; *scope gets the name of the pipeline's child that holds it (g_free), NULL for the pipeline's own
/// elements at its top level.
static inline int pb_message_scope(GstElement *pipeline, GstObject *source, char **scope) {
    if (!source) return 0;
    int detached = 1;
    GstObject *object = gst_object_ref(source);
    while (object) {
        if (g_object_get_data(G_OBJECT(object), "partybus-removing")) {
            if (!*scope) *scope = g_strdup(GST_OBJECT_NAME(object));
            gst_object_unref(object);
            return 1;
        }
        GstObject *parent = gst_object_get_parent(object);
        if (parent == GST_OBJECT(pipeline)) {
            if (object != source) { g_free(*scope); *scope = g_strdup(GST_OBJECT_NAME(object)); }
            detached = 0;
        } else if (!parent && object == GST_OBJECT(pipeline)) {
            detached = 0;
        } else if (!parent) {
            g_free(*scope); *scope = g_strdup(GST_OBJECT_NAME(object));
        }
        gst_object_unref(object);
        object = parent;
        if (!detached) break;
    }
    if (object) gst_object_unref(object);
    return detached;
}

/// One message from a pipeline's bus, flattened for Swift: kind 0 = none (timeout), 1 = error, 2 = EOS,
/// 3 = level (value = loudest channel's RMS in dB), 4 = warning, 5 / 6 = a speaking detector (speaking_shim.h) saw
/// speaking start / stop (value = the reading in dB). Latency messages are handled here (the pipeline's
/// latency is recalculated) and reported as 0, as is `pb_bus_wake`'s message. An error from inside a bin being removed (or already out of the
/// pipeline) is reported as a warning. *scope names the pipeline's child holding the source (a peer's bin), or
/// NULL. `source`, `text` and `scope` are g_free'd by the caller.
static inline int pb_bus_next(GstElement *pipeline, long timeout_ms, char **source, char **text, double *value,
                              char **scope) {
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *message = gst_bus_timed_pop_filtered(bus, (GstClockTime)timeout_ms * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_ELEMENT | GST_MESSAGE_LATENCY
        | GST_MESSAGE_APPLICATION);
    gst_object_unref(bus);
    if (!message) return 0;
    int kind = 0;
    *source = g_strdup(GST_MESSAGE_SRC(message) ? GST_OBJECT_NAME(GST_MESSAGE_SRC(message)) : "");
    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: case GST_MESSAGE_WARNING: {
        GError *error = NULL; gchar *debug = NULL;
        if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) gst_message_parse_error(message, &error, &debug);
        else gst_message_parse_warning(message, &error, &debug);
        *text = g_strdup(error ? error->message : "error");
        if (error) g_error_free(error);
        g_free(debug);
        int detached = pb_message_scope(pipeline, GST_MESSAGE_SRC(message), scope);
        kind = GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR && !detached ? 1 : 4;
        break;
    }
    case GST_MESSAGE_EOS: kind = 2; break;
    case GST_MESSAGE_LATENCY:
        /* A peer joined or its jitterbuffer changed: the pipeline does not redistribute latency by itself. */
        gst_bin_recalculate_latency(GST_BIN(pipeline));
        break;
    case GST_MESSAGE_ELEMENT: {
        const GstStructure *structure = gst_message_get_structure(message);
        gboolean speaking = FALSE;
        if (structure && gst_structure_has_name(structure, "partybus-speaking")
            && gst_structure_get_boolean(structure, "speaking", &speaking)
            && gst_structure_get_double(structure, "level-db", value)) {
            kind = speaking ? 5 : 6;
        } else if (structure && gst_structure_has_name(structure, "level")) {
            const GValue *list = gst_structure_get_value(structure, "rms");
            double loudest = -200;
            if (list && GST_VALUE_HOLDS_ARRAY(list)) {
                for (guint i = 0; i < gst_value_array_get_size(list); i++) {
                    double rms = g_value_get_double(gst_value_array_get_value(list, i));
                    if (rms > loudest) loudest = rms;
                }
            } else if (list && G_VALUE_HOLDS(list, G_TYPE_VALUE_ARRAY)) {
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
                GValueArray *array = (GValueArray *)g_value_get_boxed(list);
                for (guint i = 0; array && i < array->n_values; i++) {
                    double rms = g_value_get_double(g_value_array_get_nth(array, i));
                    if (rms > loudest) loudest = rms;
                }
G_GNUC_END_IGNORE_DEPRECATIONS
            }
            *value = loudest;
            kind = 3;
        }
        break;
    }
    default: break;
    }
    gst_message_unref(message);
    return kind;
}

/// Wakes a reader waiting in `pb_bus_next` at once (it returns 0), e.g. to see that the graph stopped.
static inline void pb_bus_wake(GstElement *pipeline) {
    GstBus *bus = gst_element_get_bus(pipeline);
    gst_bus_post(bus, gst_message_new_application(NULL, gst_structure_new_empty("partybus-wake")));
    gst_object_unref(bus);
}

/// Calls `callback(context, monotonic_us)` when a pulse passes pad `pad_name` of the element called `name` inside
/// `bin`: `mode` 0 = a raw S16 sample beyond `threshold` in magnitude, 1 = a buffer larger than `threshold` bytes
/// (an Opus RTP packet of a click among silence). Pulses closer than 300 ms to the previous one are ignored.
/// For latency measurements (`partybus bench voice`).
typedef void (*pb_pulse_callback)(gpointer context, gint64 monotonic_us);
typedef struct { pb_pulse_callback callback; gpointer context; GDestroyNotify destroy; int mode; long threshold; gint64 last; } pb_pulse_data;
static inline GstPadProbeReturn pb_pulse_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    (void)pad;
    pb_pulse_data *pulse = (pb_pulse_data *)data;
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!buffer) return GST_PAD_PROBE_OK;
    gint64 now = g_get_monotonic_time();
    if (now - pulse->last < 300000) return GST_PAD_PROBE_OK;
    int hit = 0;
    if (pulse->mode == 1) {
        hit = (long)gst_buffer_get_size(buffer) > pulse->threshold;
    } else {
        GstMapInfo map;
        if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            const gint16 *samples = (const gint16 *)map.data;
            for (gsize i = 0; i < map.size / 2; i++) {
                if (samples[i] > pulse->threshold || samples[i] < -pulse->threshold) { hit = 1; break; }
            }
            gst_buffer_unmap(buffer, &map);
        }
    }
    if (hit) { pulse->last = now; pulse->callback(pulse->context, now); }
    return GST_PAD_PROBE_OK;
}
static inline void pb_pulse_free(gpointer data) {
    pb_pulse_data *pulse = (pb_pulse_data *)data;
    if (pulse->destroy) pulse->destroy(pulse->context);
    g_free(pulse);
}
static inline int pb_watch_pulses(GstElement *bin, const char *name, const char *pad_name, int mode, long threshold,
                                  pb_pulse_callback callback, gpointer context, GDestroyNotify destroy) {
    GstPad *pad = pb_element_pad(bin, name, pad_name);
    if (!pad) return 0;
    pb_pulse_data *pulse = g_new0(pb_pulse_data, 1);
    pulse->callback = callback; pulse->context = context; pulse->destroy = destroy;
    pulse->mode = mode; pulse->threshold = threshold;
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, pb_pulse_probe, pulse, pb_pulse_free);
    gst_object_unref(pad);
    return 1;
}

/// The pipeline's current latency (the most a live buffer waits before a synchronised sink renders it), in µs;
/// -1 when the query fails.
static inline gint64 pb_pipeline_latency_us(GstElement *pipeline) {
    GstQuery *query = gst_query_new_latency();
    gint64 result = -1;
    if (gst_element_query(pipeline, query)) {
        gboolean live = FALSE; GstClockTime minimum = 0, maximum = 0;
        gst_query_parse_latency(query, &live, &minimum, &maximum);
        result = (gint64)(minimum / 1000);
    }
    gst_query_unref(query);
    return result;
}

/// Ends the stream right after the element called `name` (a mixer): end-of-stream is sent into whatever its
/// src pad feeds, so file writers behind it finish with the audio up to now, whatever the mixer's inputs do next.
static inline int pb_end_after(GstElement *pipeline, const char *name) {
    GstPad *src = pb_element_pad(pipeline, name, "src");
    if (!src) return 0;
    GstPad *peer = gst_pad_get_peer(src);
    gst_object_unref(src);
    if (!peer) return 0;
    gboolean sent = gst_pad_send_event(peer, gst_event_new_eos());
    gst_object_unref(peer);
    return sent ? 1 : 0;
}

/// Voice taps: calls `callback` with every buffer leaving pad `pad_name` of the element called `name` inside `bin`
/// (mapped read-only, valid only during the call), its time on the monotonic clock in ns (-1 without a timestamp:
/// PTS → running time through the pad's segment → clock time, mapped onto g_get_monotonic_time so every graph and
/// clock agrees), and the pad's caps as `format` (0 other/encoded, 1 S16LE, 2 F32LE), rate and channels.
typedef void (*pb_tap_callback)(gpointer context, const guint8 *data, gsize size, gint64 monotonic_ns, int format,
                                int rate, int channels);
/// `wanted(context)` is asked first, for every buffer: 0 (nobody listens to this tap) skips all the work below
/// (segment, clock, caps, mapping), which otherwise runs on the streaming thread for every buffer of every peer.
typedef int (*pb_tap_wanted)(gpointer context);
typedef struct { pb_tap_callback callback; pb_tap_wanted wanted; gpointer context; GDestroyNotify destroy; } pb_tap_data;
static inline GstPadProbeReturn pb_tap_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    pb_tap_data *tap = (pb_tap_data *)data;
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!buffer) return GST_PAD_PROBE_OK;
    if (tap->wanted && !tap->wanted(tap->context)) return GST_PAD_PROBE_OK;
    gint64 when = -1;
    GstClockTime pts = GST_BUFFER_PTS(buffer);
    GstObject *parent = gst_pad_get_parent(pad);
    if (GST_CLOCK_TIME_IS_VALID(pts) && parent && GST_IS_ELEMENT(parent)) {
        GstClockTime running = pts;
        GstEvent *event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
        if (event) {
            const GstSegment *segment = NULL;
            gst_event_parse_segment(event, &segment);
            if (segment && segment->format == GST_FORMAT_TIME) {
                guint64 converted = gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts);
                if (GST_CLOCK_TIME_IS_VALID(converted)) running = converted;
            }
            gst_event_unref(event);
        }
        GstClock *clock = gst_element_get_clock(GST_ELEMENT(parent));
        if (clock) {
            GstClockTime now = gst_clock_get_time(clock);
            GstClockTime base = gst_element_get_base_time(GST_ELEMENT(parent));
            when = g_get_monotonic_time() * 1000 - ((gint64)now - (gint64)(base + running));
            gst_object_unref(clock);
        }
    }
    if (parent) gst_object_unref(parent);
    int format = 0, rate = 0, channels = 0;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (caps) {
        if (gst_caps_get_size(caps) > 0) {
            GstStructure *structure = gst_caps_get_structure(caps, 0);
            const char *name = gst_structure_get_name(structure);
            const char *sample = gst_structure_get_string(structure, "format");
            if (name && strcmp(name, "audio/x-raw") == 0 && sample) {
                if (strcmp(sample, "S16LE") == 0) format = 1;
                else if (strcmp(sample, "F32LE") == 0) format = 2;
            }
            gst_structure_get_int(structure, "rate", &rate);
            gst_structure_get_int(structure, "channels", &channels);
        }
        gst_caps_unref(caps);
    }
    GstMapInfo map;
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        tap->callback(tap->context, map.data, map.size, when, format, rate, channels);
        gst_buffer_unmap(buffer, &map);
    }
    return GST_PAD_PROBE_OK;
}
static inline void pb_tap_free(gpointer data) {
    pb_tap_data *tap = (pb_tap_data *)data;
    if (tap->destroy) tap->destroy(tap->context);
    g_free(tap);
}
/// Adds the tap; returns 0 (and destroys the context) when there is no such element or pad.
static inline int pb_tap_pad(GstElement *bin, const char *name, const char *pad_name, pb_tap_callback callback,
                             pb_tap_wanted wanted, gpointer context, GDestroyNotify destroy) {
    GstPad *pad = pb_element_pad(bin, name, pad_name);
    if (!pad) { if (destroy) destroy(context); return 0; }
    pb_tap_data *tap = g_new0(pb_tap_data, 1);
    tap->callback = callback; tap->wanted = wanted; tap->context = context; tap->destroy = destroy;
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, pb_tap_probe, tap, pb_tap_free);
    gst_object_unref(pad);
    return 1;
}

#endif
