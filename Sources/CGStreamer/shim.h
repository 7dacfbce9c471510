#ifndef PARTYBUS_CGSTREAMER_SHIM_H
#define PARTYBUS_CGSTREAMER_SHIM_H
#include <gst/gst.h>

/* GObject's type macros and casts do not import into Swift; these small wrappers stand in for them. */

/// The static pad `pad_name` of the element called `name` inside `bin` (a new reference), or NULL when there is no
/// such element or pad.
static inline GstPad *pb_element_pad(GstElement *bin, const char *name, const char *pad_name) {
    GstElement *element = gst_bin_get_by_name(GST_BIN(bin), name);
    if (!element) return NULL;
    GstPad *pad = gst_element_get_static_pad(element, pad_name);
    gst_object_unref(element);
    return pad;
}

/// Initialises GStreamer once (safe to call again).
static inline void pb_gst_init(void) {
    if (!gst_is_initialized()) gst_init(NULL, NULL);
}

/// Kinds of property value the graph validator understands.
enum {
    PB_PARAM_OTHER = 0, PB_PARAM_BOOL = 1, PB_PARAM_INT = 2, PB_PARAM_UINT = 3, PB_PARAM_FLOAT = 4,
    PB_PARAM_STRING = 5, PB_PARAM_ENUM = 6, PB_PARAM_FLAGS = 7, PB_PARAM_CAPS = 8
};

/// The property `name` of the element `element`, or NULL.
static inline GParamSpec *pb_find_property(GstElement *element, const char *name) {
    return g_object_class_find_property(G_OBJECT_GET_CLASS(element), name);
}

/// The kind of value a property takes.
static inline int pb_param_kind(GParamSpec *spec) {
    GType type = G_PARAM_SPEC_VALUE_TYPE(spec);
    if (type == GST_TYPE_CAPS) return PB_PARAM_CAPS;
    switch (G_TYPE_FUNDAMENTAL(type)) {
    case G_TYPE_BOOLEAN: return PB_PARAM_BOOL;
    case G_TYPE_INT: case G_TYPE_LONG: case G_TYPE_INT64: case G_TYPE_CHAR: return PB_PARAM_INT;
    case G_TYPE_UINT: case G_TYPE_ULONG: case G_TYPE_UINT64: case G_TYPE_UCHAR: return PB_PARAM_UINT;
    case G_TYPE_FLOAT: case G_TYPE_DOUBLE: return PB_PARAM_FLOAT;
    case G_TYPE_STRING: return PB_PARAM_STRING;
    case G_TYPE_ENUM: return PB_PARAM_ENUM;
    case G_TYPE_FLAGS: return PB_PARAM_FLAGS;
    default: return PB_PARAM_OTHER;
    }
}

/// Whether the property can be written.
static inline int pb_param_writable(GParamSpec *spec) {
    return (spec->flags & G_PARAM_WRITABLE) != 0;
}

/// The numeric range of an integer or float property; returns 0 when it has none.
static inline int pb_param_range(GParamSpec *spec, double *minimum, double *maximum) {
    if (G_IS_PARAM_SPEC_INT(spec)) { *minimum = G_PARAM_SPEC_INT(spec)->minimum; *maximum = G_PARAM_SPEC_INT(spec)->maximum; return 1; }
    if (G_IS_PARAM_SPEC_UINT(spec)) { *minimum = G_PARAM_SPEC_UINT(spec)->minimum; *maximum = G_PARAM_SPEC_UINT(spec)->maximum; return 1; }
    if (G_IS_PARAM_SPEC_LONG(spec)) { *minimum = G_PARAM_SPEC_LONG(spec)->minimum; *maximum = G_PARAM_SPEC_LONG(spec)->maximum; return 1; }
    if (G_IS_PARAM_SPEC_ULONG(spec)) { *minimum = G_PARAM_SPEC_ULONG(spec)->minimum; *maximum = G_PARAM_SPEC_ULONG(spec)->maximum; return 1; }
    if (G_IS_PARAM_SPEC_INT64(spec)) { *minimum = (double)G_PARAM_SPEC_INT64(spec)->minimum; *maximum = (double)G_PARAM_SPEC_INT64(spec)->maximum; return 1; }
    if (G_IS_PARAM_SPEC_UINT64(spec)) { *minimum = (double)G_PARAM_SPEC_UINT64(spec)->minimum; *maximum = (double)G_PARAM_SPEC_UINT64(spec)->maximum; return 1; }
    if (G_IS_PARAM_SPEC_DOUBLE(spec)) { *minimum = G_PARAM_SPEC_DOUBLE(spec)->minimum; *maximum = G_PARAM_SPEC_DOUBLE(spec)->maximum; return 1; }
    if (G_IS_PARAM_SPEC_FLOAT(spec)) { *minimum = G_PARAM_SPEC_FLOAT(spec)->minimum; *maximum = G_PARAM_SPEC_FLOAT(spec)->maximum; return 1; }
    return 0;
}

/// Whether `text` names a value (nick or name) of an enum property.
static inline int pb_param_enum_accepts(GParamSpec *spec, const char *text) {
    if (!G_IS_PARAM_SPEC_ENUM(spec)) return 0;
    GEnumClass *enums = G_PARAM_SPEC_ENUM(spec)->enum_class;
    return g_enum_get_value_by_nick(enums, text) != NULL || g_enum_get_value_by_name(enums, text) != NULL;
}

/// The nicks of an enum property's values, comma-separated (caller frees with g_free).
static inline char *pb_param_enum_nicks(GParamSpec *spec) {
    if (!G_IS_PARAM_SPEC_ENUM(spec)) return g_strdup("");
    GEnumClass *enums = G_PARAM_SPEC_ENUM(spec)->enum_class;
    GString *out = g_string_new("");
    for (guint i = 0; i < enums->n_values; i++) {
        if (i) g_string_append(out, ", ");
        g_string_append(out, enums->values[i].value_nick);
    }
    return g_string_free(out, FALSE);
}

/// Whether an element factory has a static pad template in `direction` (GST_PAD_SRC or GST_PAD_SINK), including
/// request and sometimes pads.
static inline int pb_factory_has_pads(GstElementFactory *factory, int direction) {
    const GList *templates = gst_element_factory_get_static_pad_templates(factory);
    for (const GList *item = templates; item; item = item->next) {
        GstStaticPadTemplate *template = (GstStaticPadTemplate *)item->data;
        if ((int)template->direction == direction) return 1;
    }
    return 0;
}

/// Makes an element of a factory without a name; NULL when the factory is unknown.
static inline GstElement *pb_make_element(const char *factory) {
    GstElement *element = gst_element_factory_make(factory, NULL);
    if (element) gst_object_ref_sink(element);
    return element;
}

/// Releases an element made by pb_make_element.
static inline void pb_release_element(GstElement *element) { gst_object_unref(element); }
/// Names of every element factory, newline-separated (caller frees with g_free).
static inline char *pb_factory_names(void) {
    GList *factories = gst_element_factory_list_get_elements(GST_ELEMENT_FACTORY_TYPE_ANY, GST_RANK_NONE);
    GString *out = g_string_new("");
    for (GList *item = factories; item; item = item->next) {
        g_string_append(out, gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(item->data)));
        g_string_append_c(out, '\n');
    }
    gst_plugin_feature_list_free(factories);
    return g_string_free(out, FALSE);
}

/// Whether `text` parses as caps.
static inline int pb_caps_valid(const char *text) {
    GstCaps *caps = gst_caps_from_string(text);
    if (!caps) return 0;
    gst_caps_unref(caps);
    return 1;
}
/// Builds a pipeline from a gst-launch description; on failure returns NULL and a message the caller frees with
/// g_free.
static inline GstElement *pb_parse_launch(const char *description, char **error_message) {
    GError *error = NULL;
    GstElement *pipeline = gst_parse_launch_full(description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &error);
    if (error) {
        *error_message = g_strdup(error->message);
        g_error_free(error);
        if (pipeline) gst_object_unref(pipeline);
        return NULL;
    }
    return pipeline;
}

/// Waits up to `timeout_ms` for end-of-stream or an error on the pipeline's bus: 1 = EOS, 0 = timeout, -1 = error
/// (message in *error_message, freed with g_free).
static inline int pb_wait_eos_or_error(GstElement *pipeline, long timeout_ms, char **error_message) {
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *message = gst_bus_timed_pop_filtered(bus, (GstClockTime)timeout_ms * GST_MSECOND,
                                                     GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    gst_object_unref(bus);
    if (!message) return 0;
    int result = 1;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError *error = NULL;
        gchar *debug = NULL;
        gst_message_parse_error(message, &error, &debug);
        *error_message = g_strdup_printf("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), error ? error->message : "error");
        if (error) g_error_free(error);
        g_free(debug);
        result = -1;
    }
    gst_message_unref(message);
    return result;
}

/// Asks the pipeline to finish: an end-of-stream event (so file writers finalise their headers).
static inline void pb_send_eos(GstElement *pipeline) { gst_element_send_event(pipeline, gst_event_new_eos()); }
/// Sets a property of the element named `name` inside `bin` from text (like gst-launch does); returns 0 when there
/// is no such element or property.
static inline int pb_set_named_property(GstElement *bin, const char *name, const char *property, const char *value) {
    GstElement *element = gst_bin_get_by_name(GST_BIN(bin), name);
    if (!element) return 0;
    int found = g_object_class_find_property(G_OBJECT_GET_CLASS(element), property) != NULL;
    if (found) gst_util_set_object_arg(G_OBJECT(element), property, value);
    gst_object_unref(element);
    return found;
}
#endif
