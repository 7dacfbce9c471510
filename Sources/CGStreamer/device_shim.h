#ifndef PARTYBUS_CGSTREAMER_DEVICE_SHIM_H
#define PARTYBUS_CGSTREAMER_DEVICE_SHIM_H
#include <gst/gst.h>
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

#endif
