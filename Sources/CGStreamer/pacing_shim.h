#ifndef PARTYBUS_CGSTREAMER_PACING_SHIM_H
#define PARTYBUS_CGSTREAMER_PACING_SHIM_H
#include <gst/gst.h>
#include "shim.h"

/* webrtcbin 1.22 puts a `clocksync` in front of rtpbin on each send stream: every RTP packet waits there until its
   running time plus the send path's latency (61 ms for our mic → Opus chain), so a file source cannot burst. With a
   live mic the packets already come at the pace of the clock; the wait only delayed them (≈ 33 ms, `bench voice`
   mouth → RTP in) and cost a clock wait — a thread sleep and wake-up — per packet and peer (`perf record -e
   sched:sched_switch`: the send queues' second switch per packet). For a live mic we turn that sync off. */

static inline void pb_unpace_if_clocksync(GstElement *element) {
    GstElementFactory *factory = gst_element_get_factory(element);
    if (factory && g_strcmp0(GST_OBJECT_NAME(factory), "clocksync") == 0)
        g_object_set(element, "sync", FALSE, NULL);
}

static inline void pb_unpace_on_deep_element_added(GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer data) {
    (void)bin; (void)sub_bin; (void)data;
    pb_unpace_if_clocksync(element);
}

static inline void pb_unpace_each(const GValue *item, gpointer data) {
    (void)data;
    pb_unpace_if_clocksync(GST_ELEMENT(g_value_get_object(item)));
}

static inline void pb_unpace_on_element_added(GstBin *bin, GstElement *element, gpointer data) {
    (void)bin; (void)data;
    pb_unpace_if_clocksync(element);
}

/// Sends RTP from webrtcbin as soon as it arrives: every `clocksync` webrtcbin has or adds from now on stops syncing
/// to the clock. Only for live sources (see the comment above). webrtcbin adds its clocksyncs as direct children
/// (`element-added`; `deep-element-added` is only emitted for elements of its sub-bins).
static inline void pb_webrtc_send_unpaced(GstElement *webrtc) {
    g_signal_connect(webrtc, "element-added", G_CALLBACK(pb_unpace_on_element_added), NULL);
    g_signal_connect(webrtc, "deep-element-added", G_CALLBACK(pb_unpace_on_deep_element_added), NULL);
    GstIterator *children = gst_bin_iterate_recurse(GST_BIN(webrtc));
    while (gst_iterator_foreach(children, pb_unpace_each, NULL) == GST_ITERATOR_RESYNC) gst_iterator_resync(children);
    gst_iterator_free(children);
}

typedef struct { int total; int synced; } pb_clocksync_count;

static inline void pb_count_clocksync(const GValue *item, gpointer data) {
    GstElement *element = GST_ELEMENT(g_value_get_object(item));
    GstElementFactory *factory = gst_element_get_factory(element);
    if (!factory || g_strcmp0(GST_OBJECT_NAME(factory), "clocksync") != 0) return;
    gboolean sync = FALSE;
    g_object_get(element, "sync", &sync, NULL);
    pb_clocksync_count *count = (pb_clocksync_count *)data;
    count->total++;
    if (sync) count->synced++;
}

/// The `clocksync` elements inside `bin` (at any depth) and how many of them sync to the clock.
static inline pb_clocksync_count pb_clocksyncs(GstElement *bin) {
    pb_clocksync_count count = {0, 0};
    GstIterator *children = gst_bin_iterate_recurse(GST_BIN(bin));
    while (gst_iterator_foreach(children, pb_count_clocksync, &count) == GST_ITERATOR_RESYNC) {
        count.total = 0; count.synced = 0;
        gst_iterator_resync(children);
    }
    gst_iterator_free(children);
    return count;
}

/// 1 when what reaches the `sink` pad of the element called `name` inside `bin` comes from a live source (a latency
/// query upstream says so); 0 when it is not live or there is no such element; -1 when the query went unanswered
/// (the source has not negotiated yet: ask again).
static inline int pb_upstream_is_live(GstElement *bin, const char *name) {
    GstPad *pad = pb_element_pad(bin, name, "sink");
    if (!pad) return 0;
    GstQuery *query = gst_query_new_latency();
    gboolean live = FALSE;
    gboolean answered = gst_pad_peer_query(pad, query);
    if (answered) gst_query_parse_latency(query, &live, NULL, NULL);
    gst_query_unref(query);
    gst_object_unref(pad);
    return answered ? (live ? 1 : 0) : -1;
}

#endif
