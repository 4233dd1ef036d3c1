/* repl_tls.c - TLS for the replica's connection (OpenSSL).
 * Chapter 10.
 *
 * Not built yet: every TLS connection fails with a clear message.
 */
#include "repl_conn_private.h"

#include <errno.h>
#include <stdlib.h>

int repl_tls_start(repl_conn *c, const char *host,
                   const repl_tls_options *tls, int64_t deadline_ms)
{
    (void)host; (void)tls; (void)deadline_ms;
    repl_conn_fail(c, "TLS handshake with %s: TLS not built yet", c->peer);
    errno = ENOSYS;
    return -1;
}

ssize_t repl_tls_read(repl_conn *c, void *buf, size_t cap, bool *want_write)
{
    (void)buf; (void)cap; (void)want_write;
    repl_conn_fail(c, "read from %s: TLS not built yet", c->peer);
    errno = ENOSYS;
    return -1;
}

ssize_t repl_tls_write(repl_conn *c, const void *p, size_t n, bool *want_read)
{
    (void)p; (void)n; (void)want_read;
    repl_conn_fail(c, "write to %s: TLS not built yet", c->peer);
    errno = ENOSYS;
    return -1;
}

size_t repl_tls_pending(const repl_conn *c)
{
    (void)c;
    return 0;
}

void repl_tls_close(repl_conn *c)
{
    c->ssl = NULL;
    c->ssl_ctx = NULL;
}
