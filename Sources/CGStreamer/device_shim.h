#ifndef PARTYBUS_CGSTREAMER_DEVICE_SHIM_H
#define PARTYBUS_CGSTREAMER_DEVICE_SHIM_H
#include <gst/gst.h>
#include "shim.h"
#include <string.h>

/// The element class of a factory ("Sink/Audio", "Source/Audio/Hardware" …), newly allocated; NULL when unknown.
static inline char *pb_factory_klass(const char *factory_name) {
    GstElementFactory *factory = gst_element_factory_find(factory_name);
    if (!factory) return NULL;
    const char *klass = gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_KLASS);
    char *out = g_strdup(klass ? klass : "");
    gst_object_unref(factory);
    return out;
}

/// Opens the element described by `description` (one element with its properties, launch syntax) on its own, as
/// far as READY — where audio sinks and sources connect to their sound server or device — and closes it again.
/// Returns 1 when it opened. `kid_factory` gets the factory of the element an auto-detecting bin (autoaudiosink)
/// picked, `error_message` the first error or warning it posted. Both newly allocated or NULL.
static inline int pb_probe_device(const char *description, char **kid_factory, char **error_message) {
    GError *parse_error = NULL;
    GstElement *element = gst_parse_launch(description, &parse_error);
    if (!element) {
        *error_message = g_strdup(parse_error ? parse_error->message : "cannot build the element");
        if (parse_error) g_error_free(parse_error);
        return 0;
    }
    if (parse_error) g_error_free(parse_error);
    GstBus *bus = gst_bus_new();
    gst_element_set_bus(element, bus);
    GstStateChangeReturn result = gst_element_set_state(element, GST_STATE_READY);
    if (result == GST_STATE_CHANGE_ASYNC) result = gst_element_get_state(element, NULL, NULL, 2 * GST_SECOND);
    int opened = result != GST_STATE_CHANGE_FAILURE;
    if (GST_IS_BIN(element)) {
        GstIterator *children = gst_bin_iterate_elements(GST_BIN(element));
        GValue item = G_VALUE_INIT;
        if (gst_iterator_next(children, &item) == GST_ITERATOR_OK) {
            GstElement *kid = GST_ELEMENT(g_value_get_object(&item));
            GstElementFactory *factory = gst_element_get_factory(kid);
            if (factory) *kid_factory = g_strdup(GST_OBJECT_NAME(factory));
            g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(children);
    }
    GstMessage *message;
    while (!*error_message && (message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
        GError *error = NULL; gchar *debug = NULL;
        if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) gst_message_parse_error(message, &error, &debug);
        else gst_message_parse_warning(message, &error, &debug);
        if (error) *error_message = g_strdup(error->message);
        if (error) g_error_free(error);
        g_free(debug);
        gst_message_unref(message);
    }
    gst_element_set_state(element, GST_STATE_NULL);
    gst_element_set_bus(element, NULL);
    gst_object_unref(bus);
    gst_object_unref(element);
    return opened;
}

/// The factory of the first child of `element` when it is a bin (what an auto-detecting bin picked), or NULL.
static inline char *pb_first_child_factory(GstElement *element) {
    char *out = NULL;
    if (!GST_IS_BIN(element)) return NULL;
    GstIterator *children = gst_bin_iterate_elements(GST_BIN(element));
    GValue item = G_VALUE_INIT;
    if (gst_iterator_next(children, &item) == GST_ITERATOR_OK) {
        GstElementFactory *factory = gst_element_get_factory(GST_ELEMENT(g_value_get_object(&item)));
        if (factory) out = g_strdup(GST_OBJECT_NAME(factory));
        g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(children);
    return out;
}

static GstPadProbeReturn pb_probe_flag(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    (void)pad; (void)info;
    g_atomic_int_set((gint *)data, 1);
    return GST_PAD_PROBE_OK;
}

/// Plays the source described by `description` (one element called `name`, launch syntax) into a fakesink until
/// its first buffer arrives, it posts an error, or `timeout_ms` passes, then closes it. Returns 0 when it failed
/// (`error_message` says why), 1 otherwise. A source that opens but cannot capture (openalsrc with no device)
/// would otherwise stall the pipeline's clock: audio sources provide it. `kid_factory` as for pb_probe_device.
static inline int pb_probe_source(const char *description, const char *name, long timeout_ms, char **kid_factory,
                                  char **error_message) {
    char *launch = g_strdup_printf("%s ! fakesink name=partybus_probe_sink sync=false async=false", description);
    GError *parse_error = NULL;
    GstElement *pipeline = gst_parse_launch(launch, &parse_error);
    g_free(launch);
    if (!pipeline) {
        *error_message = g_strdup(parse_error ? parse_error->message : "cannot build the element");
        if (parse_error) g_error_free(parse_error);
        return 0;
    }
    if (parse_error) g_error_free(parse_error);
    gint flowed = 0;
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "partybus_probe_sink");
    if (sink) {
        GstPad *pad = gst_element_get_static_pad(sink, "sink");
        if (pad) { gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, pb_probe_flag, &flowed, NULL); gst_object_unref(pad); }
        gst_object_unref(sink);
    }
    int opened = gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
    GstElement *source = gst_bin_get_by_name(GST_BIN(pipeline), name);
    if (source) { *kid_factory = pb_first_child_factory(source); gst_object_unref(source); }
    GstBus *bus = gst_element_get_bus(pipeline);
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    while (opened && !g_atomic_int_get(&flowed) && g_get_monotonic_time() < deadline) {
        GstMessage *message = gst_bus_timed_pop_filtered(bus, 5 * GST_MSECOND, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
        if (message) {
            /* The first warning usually says what is wrong ("Could not open device"); the error that follows is
               GStreamer's generic "Internal data stream error". */
            GError *error = NULL; gchar *debug = NULL;
            int fatal = GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR;
            if (fatal) gst_message_parse_error(message, &error, &debug);
            else gst_message_parse_warning(message, &error, &debug);
            if (!*error_message) *error_message = g_strdup(error ? error->message : "error");
            if (error) g_error_free(error);
            g_free(debug);
            gst_message_unref(message);
            if (fatal) opened = 0;
        }
    }
    if (opened && *error_message) { g_free(*error_message); *error_message = NULL; }
    if (!opened && !*error_message) {
        GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
        if (message) {
            GError *error = NULL; gchar *debug = NULL;
            if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) gst_message_parse_error(message, &error, &debug);
            else gst_message_parse_warning(message, &error, &debug);
            *error_message = g_strdup(error ? error->message : "error");
            if (error) g_error_free(error);
            g_free(debug);
            gst_message_unref(message);
        }
    }
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    return opened;
}

typedef struct { gint reached; gint refs; } pb_eos_counter;
static void pb_eos_counter_unref(gpointer data) {
    pb_eos_counter *counter = (pb_eos_counter *)data;
    if (g_atomic_int_dec_and_test(&counter->refs)) g_free(counter);
}
static GstPadProbeReturn pb_eos_flag(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
    (void)pad;
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (event && GST_EVENT_TYPE(event) == GST_EVENT_EOS) g_atomic_int_add(&((pb_eos_counter *)data)->reached, 1);
    return GST_PAD_PROBE_OK;
}

/// Ends one branch of a playing bin: end-of-stream goes into the sink pad of its element `entry` (a queue), and we
/// wait (at most `timeout_ms`) until it has reached every sink that is a direct child of the bin, so file writers
/// finish their headers (wavenc rewrites its sizes) before the bin is torn down. Returns 1 when all got it.
static inline int pb_finish_branch(GstElement *bin, const char *entry, long timeout_ms) {
    GstPad *pad = pb_element_pad(bin, entry, "sink");
    if (!pad) return 0;
    pb_eos_counter *counter = g_new0(pb_eos_counter, 1);
    counter->refs = 1;
    int sinks = 0;
    GstIterator *iterator = gst_bin_iterate_sinks(GST_BIN(bin));
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(iterator, &item) == GST_ITERATOR_OK) {
        GstElement *sink = GST_ELEMENT(g_value_get_object(&item));
        GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
        if (sinkpad) {
            g_atomic_int_inc(&counter->refs);
            gst_pad_add_probe(sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, pb_eos_flag, counter, pb_eos_counter_unref);
            gst_object_unref(sinkpad);
            sinks++;
        }
        g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(iterator);
    gst_pad_send_event(pad, gst_event_new_eos());
    gst_object_unref(pad);
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    while (g_atomic_int_get(&counter->reached) < sinks && g_get_monotonic_time() < deadline) g_usleep(5000);
    int done = g_atomic_int_get(&counter->reached) >= sinks;
    /* The probes keep their own references: the counter lives until the last pad goes. */
    pb_eos_counter_unref(counter);
    return done;
}

#endif
