#ifndef PB_DTLS_SHIM_H
#define PB_DTLS_SHIM_H

#include <gst/gst.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* webrtcbin (1.22) makes an RSA certificate for DTLS and has no property for another. Peers whose DTLS client
 * offers ECDSA-authenticated suites only (aiortc's) then cannot complete the handshake when webrtcbin is the DTLS
 * server (when we offered). Its dtlssrtpdec elements take a `pem` (certificate + private key); setting it makes the
 * connection again with that certificate, and webrtcbin reads the SDP fingerprint from the same property. */

/// A self-signed ECDSA (P-256) certificate and its private key in PEM, made once per process (NULL if OpenSSL
/// failed). Owned by the process; never freed.
static inline const char *pb_dtls_ecdsa_pem(void) {
    static gsize once = 0;
    static char *pem = NULL;
    if (g_once_init_enter(&once)) {
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *cert = key ? X509_new() : NULL;
        BIO *bio = cert ? BIO_new(BIO_s_mem()) : NULL;
        if (bio) {
            X509_set_version(cert, 2);
            ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)g_random_int_range(1, G_MAXINT32));
            X509_gmtime_adj(X509_getm_notBefore(cert), -24 * 3600L);
            X509_gmtime_adj(X509_getm_notAfter(cert), 365 * 24 * 3600L);
            X509_NAME *name = X509_get_subject_name(cert);
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"partybus", -1, -1, 0);
            X509_set_issuer_name(cert, name);
            if (X509_set_pubkey(cert, key) == 1 && X509_sign(cert, key, EVP_sha256()) > 0
                && PEM_write_bio_X509(bio, cert) == 1 && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
                char *data = NULL;
                long length = BIO_get_mem_data(bio, &data);
                if (data && length > 0) pem = g_strndup(data, (gsize)length);
            }
        }
        if (bio) BIO_free(bio);
        if (cert) X509_free(cert);
        if (key) EVP_PKEY_free(key);
        g_once_init_leave(&once, 1);
    }
    return pem;
}

/// The SDP fingerprint of that certificate ("sha-256 AB:CD:…", g_free), or NULL without one. webrtcbin (1.22)
/// hashes every base64 line of the `pem` property, the private key's included, so the fingerprint it writes into
/// its SDP is wrong for a `pem` that holds a key; ours is written over it (`PeerBin.completeLocalSDP`).
static inline char *pb_dtls_ecdsa_fingerprint(void) {
    const char *pem = pb_dtls_ecdsa_pem();
    if (!pem) return NULL;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    if (bio) BIO_free(bio);
    if (!cert) return NULL;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    char *out = NULL;
    if (X509_digest(cert, EVP_sha256(), digest, &length) == 1 && length > 0) {
        GString *text = g_string_new("sha-256 ");
        for (unsigned int i = 0; i < length; i++) g_string_append_printf(text, i ? ":%02X" : "%02X", digest[i]);
        out = g_string_free(text, FALSE);
    }
    X509_free(cert);
    return out;
}

static inline void pb_dtls_on_deep_element_added(GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer pem) {
    (void)bin; (void)sub_bin;
    GstElementFactory *factory = gst_element_get_factory(element);
    if (factory && g_strcmp0(GST_OBJECT_NAME(factory), "dtlssrtpdec") == 0) g_object_set(element, "pem", (const char *)pem, NULL);
}

/// Gives every DTLS transport webrtcbin creates from now on the process's ECDSA certificate. 1 on success, 0 when
/// no certificate could be made (webrtcbin keeps its own RSA one).
static inline int pb_webrtc_use_ecdsa_certificate(GstElement *webrtc) {
    const char *pem = pb_dtls_ecdsa_pem();
    if (!pem) return 0;
    g_signal_connect(webrtc, "deep-element-added", G_CALLBACK(pb_dtls_on_deep_element_added), (gpointer)pem);
    return 1;
}

#endif
