#ifndef PARTYBUS_CGSTREAMER_SEND_GATE_SHIM_H
#define PARTYBUS_CGSTREAMER_SEND_GATE_SHIM_H
#include "webrtc_shim.h"

/* The mic's RTP goes to every peer on the mic's own streaming thread (the tee pushes each peer's branch in turn);
   there is no queue — no thread and no hand-over — per peer. Two things made that queue necessary before:

   - webrtcbin's transport send bin blocks RTP on a pad probe until the peer's DTLS keys are set
     (`transportsendbin.c`, `pad_block`), so a push into a peer still handshaking would stall the mic for every peer.
     The gate below drops the branch's buffers (events pass: the caps reach webrtcbin before the offer is made) until
     the peer's connection state is `connected`, which webrtcbin reports only after DTLS finished, i.e. after the
     keys were set and the block removed. It stays open from then on (the block never comes back).
   - A peer taken out while the mic pushes into it answers FLUSHING, and the tee hands that back to the mic's source,
     which stops for good. `pb_unlink_sink_when_idle` unlinks the branch from the tee between two pushes. */

typedef struct { gint open; } pb_send_gate;

static inline GstPadProbeReturn pb_send_gate_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    (void)pad;
    pb_send_gate *gate = (pb_send_gate *)data;
    if (g_atomic_int_get(&gate->open)) return GST_PAD_PROBE_OK;
    if (info->type & (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST)) return GST_PAD_PROBE_DROP;
    return GST_PAD_PROBE_OK;
}

static inline void pb_send_gate_on_state(GObject *webrtc, GParamSpec *spec, gpointer data) {
    (void)spec;
    GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
    g_object_get(webrtc, "connection-state", &state, NULL);
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) g_atomic_int_set(&((pb_send_gate *)data)->open, 1);
}

static inline void pb_send_gate_release(gpointer data) { g_atomic_rc_box_release(data); }
static inline void pb_send_gate_release_closure(gpointer data, GClosure *closure) {
    (void)closure;
    g_atomic_rc_box_release(data);
}

/// Closes the send branch that starts at the element `name` inside `bin` until `webrtc` is connected (see above).
/// Returns 1 on success.
static inline int pb_send_gate_install(GstElement *bin, const char *name, GstElement *webrtc) {
    GstPad *pad = pb_element_pad(bin, name, "src");
    if (!pad) return 0;
    pb_send_gate *gate = g_atomic_rc_box_new0(pb_send_gate);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, pb_send_gate_probe,
                      g_atomic_rc_box_acquire(gate), pb_send_gate_release);
    gst_object_unref(pad);
    g_signal_connect_data(webrtc, "notify::connection-state", G_CALLBACK(pb_send_gate_on_state),
                          g_atomic_rc_box_acquire(gate), pb_send_gate_release_closure, 0);
    g_atomic_rc_box_release(gate);
    return 1;
}

static inline GstPadProbeReturn pb_idle_unlink_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    (void)info;
    GstPad *peer = gst_pad_get_peer(pad);
    if (peer) {
        gst_pad_unlink(pad, peer);
        gst_object_unref(peer);
    }
    pb_flag_set((pb_flag_waiter *)data);
    return GST_PAD_PROBE_REMOVE;
}

static inline void pb_flag_waiter_clear(gpointer data) {
    pb_flag_waiter *waiter = (pb_flag_waiter *)data;
    g_cond_clear(&waiter->cond);
    g_mutex_clear(&waiter->lock);
}
static inline void pb_flag_waiter_release(gpointer data) { g_atomic_rc_box_release_full(data, pb_flag_waiter_clear); }

/// Unlinks the bin's sink ghost pad from the request pad feeding it (a tee's) between two of the tee's pushes, and
/// releases that request pad. Waits at most `timeout_ms` for the tee to be idle, then unlinks anyway.
static inline void pb_unlink_sink_when_idle(GstElement *bin, const char *pad_name, int timeout_ms) {
    GstPad *own = gst_element_get_static_pad(bin, pad_name);
    if (!own) return;
    GstPad *feeder = gst_pad_get_peer(own);
    if (!feeder) { gst_object_unref(own); return; }
    /* Shared with the probe (it may outlive this call when the tee never goes idle): freed by the last holder. */
    pb_flag_waiter *unlinked = g_atomic_rc_box_new0(pb_flag_waiter);
    g_mutex_init(&unlinked->lock);
    g_cond_init(&unlinked->cond);
    /* An idle pad runs the probe at once, on this thread; a pushing one runs it after the push, on the mic's. */
    gulong id = gst_pad_add_probe(feeder, GST_PAD_PROBE_TYPE_IDLE, pb_idle_unlink_probe,
                                  g_atomic_rc_box_acquire(unlinked), pb_flag_waiter_release);
    if (!pb_flag_wait_until(unlinked, g_get_monotonic_time() + (gint64)timeout_ms * 1000)) {
        /* The tee never went idle (its thread is stuck): take the probe away, then unlink from here unless a probe
           that fired in between did. */
        if (id) gst_pad_remove_probe(feeder, id);
        if (!pb_flag_wait_until(unlinked, 0)) gst_pad_unlink(feeder, own);
    }
    GstElement *owner = gst_pad_get_parent_element(feeder);
    if (owner) {
        gst_element_release_request_pad(owner, feeder);
        gst_object_unref(owner);
    }
    gst_object_unref(feeder);
    gst_object_unref(own);
    pb_flag_waiter_release(unlinked);
}

#endif
