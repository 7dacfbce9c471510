#ifndef PARTYBUS_CWEBSOCKETS_SHIM_H
#define PARTYBUS_CWEBSOCKETS_SHIM_H
#include <libwebsockets.h>
#include <string.h>

/* LWS_PRE is a macro expression: the headroom lws needs before every buffer passed to lws_write. */
static inline size_t pb_lws_pre(void) { return LWS_PRE; }

/* Appends "name: value" to a client handshake (LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER); `in` and `len` are
   the callback's. `name` must end with ':'. Returns non-zero when the header does not fit. */
static inline int pb_lws_append_header(struct lws *wsi, void *in, size_t len, const char *name, const char *value) {
    unsigned char **p = (unsigned char **)in;
    unsigned char *end = (*p) + len;
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                       (int)strlen(value), p, end);
}

/* The close code a peer sent (first two bytes of the close payload, big-endian), or -1 when there is none. */
static inline int pb_lws_close_code(const void *in, size_t len) {
    if (in == NULL || len < 2) return -1;
    const unsigned char *b = (const unsigned char *)in;
    return (b[0] << 8) | b[1];
}

/* Creates a client-only context whose one protocol is `name` with `callback`; `user` is returned by
   lws_context_user. `protocols` is caller-owned storage for two entries that must outlive the context.
   `ca_file` may be NULL (system CAs). */
static inline struct lws_context *pb_lws_create_client_context(struct lws_protocols *protocols, const char *name,
                                                               lws_callback_function *callback, void *user,
                                                               const char *ca_file) {
    memset(protocols, 0, 2 * sizeof(struct lws_protocols));
    protocols[0].name = name;
    protocols[0].callback = callback;
    protocols[0].rx_buffer_size = 65536;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = user;
    info.client_ssl_ca_filepath = ca_file;
    info.gid = -1;
    info.uid = -1;
    return lws_create_context(&info);
}

/* Starts a client connection; returns NULL when it cannot even start. */
static inline struct lws *pb_lws_connect(struct lws_context *context, const char *address, int port,
                                         const char *path, const char *host, const char *origin,
                                         const char *protocol, int tls) {
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = context;
    ci.address = address;
    ci.port = port;
    ci.path = path;
    ci.host = host;
    ci.origin = origin;
    ci.protocol = protocol;
    ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    return lws_client_connect_via_info(&ci);
}
#endif
