/* tls_certs.h - throwaway certificates for the TLS tests (chapter 10).
 *
 * The TLS cases of chapter 10 start a real redis-server with
 * --tls-port and need a certificate authority, a server certificate that
 * this CA signed for 127.0.0.1 and localhost, a client certificate (for
 * tls-auth-clients yes), and a second, unrelated CA (the "wrong CA" case).
 * tls_certs_make() creates all of them with the `openssl` command-line
 * tool (Debian package openssl) in a fresh temporary directory; nothing is
 * checked into the repository, so nothing expires.  Keys are EC P-256,
 * which are quick to generate; certificates are valid for two days.
 */
#ifndef TEST_TLS_CERTS_H
#define TEST_TLS_CERTS_H

#include <stddef.h>

/** A directory of certificates and keys (all PEM). */
typedef struct tls_certs {
    char dir[256];          /**< the temporary directory */
    char ca_cert[320];      /**< the CA that signed server and client */
    char server_cert[320];  /**< CN localhost, SAN IP:127.0.0.1, DNS:localhost */
    char server_key[320];   /**< its key */
    char client_cert[320];  /**< CN replica, extendedKeyUsage clientAuth */
    char client_key[320];   /**< its key */
    char wrong_ca_cert[320];/**< a CA that signed nothing here */
} tls_certs;

/**
 * Make the CA, the server and client certificates and the wrong CA.
 * \param t     receives the paths.
 * \param err   receives the reason on failure (the failing openssl
 *              command and its output's tail).
 * \param errsz size of err.
 * \return 0, or -1 (nothing left behind).
 */
int tls_certs_make(tls_certs *t, char *err, size_t errsz);

/**
 * Remove the directory and everything in it.  Safe to call twice.
 * \param t the certificates.
 */
void tls_certs_remove(tls_certs *t);

#endif
