#ifndef PARTYBUS_CGSTREAMER_CAPTURE_SHIM_H
#define PARTYBUS_CGSTREAMER_CAPTURE_SHIM_H
#include <gst/gst.h>
#include "shim.h"
#include <string.h>

/* A short sample capture on one pad of a running graph (`partybus bench voice` checks which tone each peer carries).
   The probe copies the first channel of raw S16LE or F32LE audio, as -1…1 floats, until `capacity` samples are in,
   then removes itself: nothing stays on the streaming thread afterwards. The capture is reference counted (the probe
   holds one reference, the caller another), so the caller may read it after the probe is gone. */

typedef struct {
    float *samples;
    gint capacity;
    volatile gint filled;  /* samples written; read with g_atomic_int_get */
    volatile gint failed;  /* 1 when the pad carried audio the capture cannot read (format) */
    gint rate;             /* the audio's sample rate, from the pad's caps */
} pb_capture;

static inline void pb_capture_clear(gpointer data) {
    pb_capture *capture = (pb_capture *)data;
    g_free(capture->samples);
}

/// A capture for `capacity` samples (one reference, the caller's).
static inline pb_capture *pb_capture_new(int capacity) {
    pb_capture *capture = g_atomic_rc_box_new0(pb_capture);
    capture->capacity = capacity > 0 ? capacity : 1;
    capture->samples = g_new0(float, capture->capacity);
    return capture;
}

/// Drops one reference.
static inline void pb_capture_release(pb_capture *capture) {
    if (capture) g_atomic_rc_box_release_full(capture, pb_capture_clear);
}

static inline void pb_capture_probe_free(gpointer data) { pb_capture_release((pb_capture *)data); }

static inline int pb_capture_filled(pb_capture *capture) { return g_atomic_int_get(&capture->filled); }
static inline int pb_capture_failed(pb_capture *capture) { return g_atomic_int_get(&capture->failed); }

static inline GstPadProbeReturn pb_capture_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    pb_capture *capture = (pb_capture *)data;
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!buffer) return GST_PAD_PROBE_OK;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps) return GST_PAD_PROBE_OK;
    GstStructure *structure = gst_caps_get_structure(caps, 0);
    const gchar *format = gst_structure_get_string(structure, "format");
    gint channels = 1, rate = 0;
    gst_structure_get_int(structure, "channels", &channels);
    gst_structure_get_int(structure, "rate", &rate);
    int width = 0, is_float = 0;
    if (format && strcmp(format, "S16LE") == 0) width = 2;
    else if (format && strcmp(format, "F32LE") == 0) { width = 4; is_float = 1; }
    gst_caps_unref(caps);
    if (width == 0 || channels < 1 || rate <= 0) {
        g_atomic_int_set(&capture->failed, 1);
        return GST_PAD_PROBE_REMOVE;
    }
    capture->rate = rate;
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
    gint filled = g_atomic_int_get(&capture->filled);
    gsize frames = map.size / (gsize)(width * channels);
    for (gsize i = 0; i < frames && filled < capture->capacity; i++) {
        const guint8 *at = map.data + i * (gsize)(width * channels);
        float value;
        if (is_float) { memcpy(&value, at, 4); }
        else { gint16 sample; memcpy(&sample, at, 2); value = (float)sample / 32768.0f; }
        capture->samples[filled++] = value;
    }
    gst_buffer_unmap(buffer, &map);
    g_atomic_int_set(&capture->filled, filled);
    return filled >= capture->capacity ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_OK;
}

/// Starts capturing on pad `pad_name` of the element called `name` inside `bin`. 0 when there is no such pad.
static inline int pb_capture_start(GstElement *bin, const char *name, const char *pad_name, pb_capture *capture) {
    GstPad *pad = pb_element_pad(bin, name, pad_name);
    if (!pad) return 0;
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, pb_capture_probe, g_atomic_rc_box_acquire(capture),
                      pb_capture_probe_free);
    gst_object_unref(pad);
    return 1;
}

#endif
