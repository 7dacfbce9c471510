#ifndef PARTYBUS_CGSTREAMER_SPEAKING_SHIM_H
#define PARTYBUS_CGSTREAMER_SPEAKING_SHIM_H
#include <gst/gst.h>
#include <math.h>
#include <string.h>

/* Speaking detection on the streaming thread (issue 10 item 6). A pad probe measures the loudest channel's RMS (dB,
   full scale = 0 dB, as GStreamer's `level` does) over every `interval_ns` of audio and feeds it to a hysteresis:
   speaking starts after `start_count` readings above `start_db`, stops after `stop_count` readings below `stop_db`,
   and no two changes come closer than `min_gap` readings. Only a change leaves the streaming thread: an element
   message `partybus-speaking` (`speaking`, `level-db`) posted by the probed element. Before this, a `level` element
   per peer posted every reading to the bus and Swift ran the hysteresis: ten bus messages a second per member, each
   waking the bus reader and Swift's threads. All state is touched by the probed pad's streaming thread only. */

/// The detector's settings (see the comment above).
typedef struct {
    double start_db;
    double stop_db;
    int start_count;
    int stop_count;
    int min_gap;
    guint64 interval_ns;
} pb_speaking_settings;

/// Sample formats the detector reads (interleaved, native endianness).
enum { PB_SPEAKING_UNKNOWN = 0, PB_SPEAKING_S16 = 1, PB_SPEAKING_S32 = 2, PB_SPEAKING_F32 = 3, PB_SPEAKING_F64 = 4 };

#define PB_SPEAKING_MAX_CHANNELS 8

/// One detector: settings, the reading being summed and the hysteresis.
typedef struct {
    pb_speaking_settings settings;
    int format;
    int channels;
    int rate;
    int warned;                                   /* an unreadable format was reported once */
    double sums[PB_SPEAKING_MAX_CHANNELS];        /* squares of the reading in progress, per channel */
    guint64 frames;                               /* frames in the reading in progress */
    int speaking;
    int above;
    int below;
    int since_change;
    guint64 readings;                             /* readings made (for tests) */
    double last_db;                               /* the latest reading */
} pb_speaking;

/// Called for each change: `speaking` 1 or 0, `db` the reading that made it.
typedef void (*pb_speaking_change)(gpointer context, int speaking, double db);

static inline pb_speaking *pb_speaking_new(pb_speaking_settings settings) {
    pb_speaking *detector = g_new0(pb_speaking, 1);
    if (settings.interval_ns == 0) settings.interval_ns = 100 * GST_MSECOND;
    if (settings.start_count < 1) settings.start_count = 1;
    if (settings.stop_count < 1) settings.stop_count = 1;
    if (settings.min_gap < 0) settings.min_gap = 0;
    detector->settings = settings;
    detector->since_change = G_MAXINT / 2;
    detector->last_db = -200;
    return detector;
}

static inline void pb_speaking_free(gpointer detector) { g_free(detector); }

/// Sets the audio format (a change starts a fresh reading). Returns 0 when the detector cannot read it.
static inline int pb_speaking_set_format(pb_speaking *detector, int format, int channels, int rate) {
    memset(detector->sums, 0, sizeof(detector->sums));
    detector->frames = 0;
    int readable = format != PB_SPEAKING_UNKNOWN && channels >= 1 && channels <= PB_SPEAKING_MAX_CHANNELS && rate > 0;
    detector->format = readable ? format : PB_SPEAKING_UNKNOWN;
    detector->channels = readable ? channels : 0;
    detector->rate = readable ? rate : 0;
    return readable;
}

/// One reading into the hysteresis (exactly the former Swift `SpeakingDetector.feed`). Returns 1 on a change.
static inline int pb_speaking_reading(pb_speaking *detector, double db) {
    const pb_speaking_settings *s = &detector->settings;
    detector->readings++;
    detector->last_db = db;
    if (detector->since_change < G_MAXINT / 2) detector->since_change++;
    detector->above = db > s->start_db ? detector->above + 1 : 0;
    detector->below = db < s->stop_db ? detector->below + 1 : 0;
    if (detector->since_change < s->min_gap) return 0;
    if (!detector->speaking && detector->above >= s->start_count) detector->speaking = 1;
    else if (detector->speaking && detector->below >= s->stop_count) detector->speaking = 0;
    else return 0;
    detector->since_change = 0;
    return 1;
}

/// The reading in progress is complete: its loudest channel's RMS in dB (digital silence reads -200 dB).
static inline double pb_speaking_close_reading(pb_speaking *detector) {
    double loudest = 0;
    for (int c = 0; c < detector->channels; c++) {
        double mean = detector->frames ? detector->sums[c] / (double)detector->frames : 0;
        if (mean > loudest) loudest = mean;
        detector->sums[c] = 0;
    }
    detector->frames = 0;
    double db = loudest > 0 ? 10.0 * log10(loudest) : -200.0;
    return db < -200.0 ? -200.0 : db;
}

static inline double pb_speaking_sample(const guint8 *at, int format) {
    switch (format) {
    case PB_SPEAKING_S16: { gint16 v; memcpy(&v, at, 2); return (double)v / 32768.0; }
    case PB_SPEAKING_S32: { gint32 v; memcpy(&v, at, 4); return (double)v / 2147483648.0; }
    case PB_SPEAKING_F32: { float v; memcpy(&v, at, 4); return (double)v; }
    case PB_SPEAKING_F64: { double v; memcpy(&v, at, 8); return v; }
    default: return 0;
    }
}

static inline int pb_speaking_width(int format) {
    switch (format) {
    case PB_SPEAKING_S16: return 2;
    case PB_SPEAKING_S32: case PB_SPEAKING_F32: return 4;
    case PB_SPEAKING_F64: return 8;
    default: return 0;
    }
}

/// Feeds interleaved samples (`size` bytes in the detector's format; a trailing partial frame is ignored). Each
/// completed reading goes into the hysteresis; `on_change` (may be NULL) hears every change. Returns the number of
/// changes.
static inline int pb_speaking_feed(pb_speaking *detector, const guint8 *data, gsize size, pb_speaking_change on_change,
                                   gpointer context) {
    int width = pb_speaking_width(detector->format);
    if (width == 0 || detector->channels < 1) return 0;
    gsize frame_bytes = (gsize)width * (gsize)detector->channels;
    gsize frames = size / frame_bytes;
    guint64 per_reading = gst_util_uint64_scale_round(detector->settings.interval_ns, (guint64)detector->rate, GST_SECOND);
    if (per_reading == 0) per_reading = 1;
    int changes = 0;
    for (gsize i = 0; i < frames; i++) {
        const guint8 *frame = data + i * frame_bytes;
        for (int c = 0; c < detector->channels; c++) {
            double v = pb_speaking_sample(frame + (gsize)c * (gsize)width, detector->format);
            detector->sums[c] += v * v;
        }
        if (++detector->frames >= per_reading) {
            double db = pb_speaking_close_reading(detector);
            if (pb_speaking_reading(detector, db)) {
                changes++;
                if (on_change) on_change(context, detector->speaking, db);
            }
        }
    }
    return changes;
}

/// The format code of raw audio caps (PB_SPEAKING_UNKNOWN for anything else); channels and rate into the pointers.
static inline int pb_speaking_format_of_caps(GstCaps *caps, int *channels, int *rate) {
    *channels = 0; *rate = 0;
    if (!caps || gst_caps_get_size(caps) < 1) return PB_SPEAKING_UNKNOWN;
    GstStructure *structure = gst_caps_get_structure(caps, 0);
    if (!gst_structure_has_name(structure, "audio/x-raw")) return PB_SPEAKING_UNKNOWN;
    const gchar *format = gst_structure_get_string(structure, "format");
    const gchar *layout = gst_structure_get_string(structure, "layout");
    gst_structure_get_int(structure, "channels", channels);
    gst_structure_get_int(structure, "rate", rate);
    if (!format || (layout && strcmp(layout, "interleaved") != 0)) return PB_SPEAKING_UNKNOWN;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    if (strcmp(format, "S16LE") == 0) return PB_SPEAKING_S16;
    if (strcmp(format, "S32LE") == 0) return PB_SPEAKING_S32;
    if (strcmp(format, "F32LE") == 0) return PB_SPEAKING_F32;
    if (strcmp(format, "F64LE") == 0) return PB_SPEAKING_F64;
#else
    if (strcmp(format, "S16BE") == 0) return PB_SPEAKING_S16;
    if (strcmp(format, "S32BE") == 0) return PB_SPEAKING_S32;
    if (strcmp(format, "F32BE") == 0) return PB_SPEAKING_F32;
    if (strcmp(format, "F64BE") == 0) return PB_SPEAKING_F64;
#endif
    return PB_SPEAKING_UNKNOWN;
}

static inline void pb_speaking_post(gpointer context, int speaking, double db) {
    GstElement *element = (GstElement *)context;
    GstStructure *structure = gst_structure_new("partybus-speaking", "speaking", G_TYPE_BOOLEAN, speaking ? TRUE : FALSE,
                                                "level-db", G_TYPE_DOUBLE, db, NULL);
    gst_element_post_message(element, gst_message_new_element(GST_OBJECT(element), structure));
}

static inline void pb_speaking_caps(pb_speaking *detector, GstPad *pad, GstCaps *caps) {
    int channels = 0, rate = 0;
    int format = pb_speaking_format_of_caps(caps, &channels, &rate);
    if (pb_speaking_set_format(detector, format, channels, rate) || detector->warned) return;
    detector->warned = 1;
    GstElement *element = GST_PAD_PARENT(pad);
    if (!element) return;
    gchar *text = caps ? gst_caps_to_string(caps) : g_strdup("no caps");
    GError *error = g_error_new(GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                                "speaking detector on %s: cannot read %s (raw S16, S32, F32 or F64, up to %d channels)",
                                GST_OBJECT_NAME(element), text, PB_SPEAKING_MAX_CHANNELS);
    gst_element_post_message(element, gst_message_new_warning(GST_OBJECT(element), error, NULL));
    g_error_free(error);
    g_free(text);
}

static inline GstPadProbeReturn pb_speaking_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    pb_speaking *detector = (pb_speaking *)data;
    if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
        GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
        if (event && GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
            GstCaps *caps = NULL;
            gst_event_parse_caps(event, &caps);
            pb_speaking_caps(detector, pad, caps);
        }
        return GST_PAD_PROBE_OK;
    }
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!buffer || detector->format == PB_SPEAKING_UNKNOWN) return GST_PAD_PROBE_OK;
    GstElement *element = GST_PAD_PARENT(pad);
    if (!element) return GST_PAD_PROBE_OK;
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
    pb_speaking_feed(detector, map.data, map.size, pb_speaking_post, element);
    gst_buffer_unmap(buffer, &map);
    return GST_PAD_PROBE_OK;
}

/// Runs a speaking detector on the `src` pad of the element called `name` inside `bin`: its changes come on the bus as
/// element messages `partybus-speaking` from that element. If the element is a `level` meter its own readings are
/// turned off (`post-messages`), as the detector replaces them. Returns 0 when there is no such element or pad.
static inline int pb_speaking_attach(GstElement *bin, const char *name, pb_speaking_settings settings) {
    GstElement *element = gst_bin_get_by_name(GST_BIN(bin), name);
    if (!element) return 0;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), "post-messages"))
        g_object_set(element, "post-messages", FALSE, NULL);
    GstPad *pad = gst_element_get_static_pad(element, "src");
    gst_object_unref(element);
    if (!pad) return 0;
    pb_speaking *detector = pb_speaking_new(settings);
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (caps) {
        pb_speaking_caps(detector, pad, caps);
        gst_caps_unref(caps);
    }
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, pb_speaking_probe, detector,
                      pb_speaking_free);
    gst_object_unref(pad);
    return 1;
}

#endif
