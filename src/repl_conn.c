/* repl_conn.c - the replica's TCP connection to its master, with timeouts.
 * Chapter 10.
 *
 * A replica must never wait forever: a master that stops talking, a
 * network that drops packets silently (a half-open connection) or a host
 * that never answers a SYN would otherwise freeze the link for good.  So
 * the socket is non-blocking and every wait is a poll() with a deadline:
 * connect() is started and then waited for (each address getaddrinfo()
 * gives is tried in turn, within one overall timeout), and each read or
 * write waits at most its own timeout.  The one wait poll() cannot end
 * by itself is the one another thread wants to end (repl_stop()):
 * repl_conn_interrupt() sets a flag and shuts the socket down, which
 * makes a blocked poll() return at once and every later call fail with
 * "stopped".  TLS (repl_tls.c) sits on the same socket and the same
 * waits; this file only asks it to read or write and polls for whatever
 * it says it needs.  Every failure is one line naming host:port.
 */
#include "repl_conn_private.h"
#include "alloc.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t repl_conn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int repl_conn_left_ms(int64_t deadline_ms)
{
    if (deadline_ms < 0) return -1;
    int64_t left = deadline_ms - repl_conn_now_ms();
    if (left < 0) return 0;
    return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

static int64_t deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : repl_conn_now_ms() + timeout_ms;
}

void repl_conn_fail(repl_conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

/* acquire: pairs with the release store in repl_conn_interrupt(); a
 * thread that sees the flag also sees everything the interrupting thread
 * did before it (nothing else is shared today, but the order costs
 * nothing and keeps the flag a real hand-over). */
static bool stopped(const repl_conn *c)
{
    return atomic_load_explicit(&((repl_conn *)c)->stopped,
                                memory_order_acquire);
}

int repl_conn_wait(repl_conn *c, short events, int64_t deadline_ms)
{
    for (;;) {
        if (stopped(c)) {
            errno = ECANCELED;
            return -1;
        }
        struct pollfd pfd = {.fd = c->fd, .events = events};
        int r = poll(&pfd, 1, repl_conn_left_ms(deadline_ms));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (stopped(c)) {
            errno = ECANCELED;
            return -1;
        }
        return r > 0 ? 1 : 0;
    }
}

/* "host:port", with brackets around an IPv6 address. */
static void format_peer(char *out, size_t outsz, const char *host, int port)
{
    if (strchr(host, ':'))
        snprintf(out, outsz, "[%s]:%d", host, port);
    else
        snprintf(out, outsz, "%s:%d", host, port);
}

/* Connect one address within the deadline.  Returns the socket, or -1
 * with c->err set. */
static int connect_one(repl_conn *c, const struct addrinfo *ai,
                       int64_t deadline_ms, int timeout_ms)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    if (fd < 0) {
        repl_conn_fail(c, "connect to %s: socket: %s", c->peer, strerror(errno));
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            repl_conn_fail(c, "connect to %s: %s", c->peer, strerror(errno));
            close(fd);
            return -1;
        }
        for (;;) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            int r = poll(&pfd, 1, repl_conn_left_ms(deadline_ms));
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                repl_conn_fail(c, "connect to %s: poll: %s", c->peer, strerror(errno));
                close(fd);
                return -1;
            }
            if (r == 0) {
                repl_conn_fail(c, "connect to %s: timed out after %d ms", c->peer,
                               timeout_ms);
                close(fd);
                errno = ETIMEDOUT;
                return -1;
            }
            break;
        }
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
        if (soerr != 0) {
            repl_conn_fail(c, "connect to %s: %s", c->peer, strerror(soerr));
            close(fd);
            errno = soerr;
            return -1;
        }
    }
    /* The replica's own writes are small (REPLCONF ACK) and must not wait
     * for Nagle's algorithm to batch them with nothing. */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

repl_conn *repl_conn_open(const char *host, int port,
                          const repl_tls_options *tls, int timeout_ms,
                          char *err, size_t errsz)
{
    if (err && errsz) err[0] = '\0';
    if (!host || !*host) {
        if (err) snprintf(err, errsz, "connect: no host given");
        errno = EINVAL;
        return NULL;
    }
    if (port <= 0 || port > 65535) {
        if (err) snprintf(err, errsz, "connect to %s: port %d is not in 1..65535",
                          host, port);
        errno = EINVAL;
        return NULL;
    }
    repl_conn *c = xcalloc(1, sizeof *c);
    if (!c) {
        if (err) snprintf(err, errsz, "connect to %s:%d: out of memory", host, port);
        errno = ENOMEM;
        return NULL;
    }
    c->fd = -1;
    c->port = port;
    atomic_init(&c->stopped, false);
    format_peer(c->peer, sizeof c->peer, host, port);

    int64_t deadline = deadline_after(timeout_ms);
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    /* getaddrinfo() has no timeout of its own; a name is resolved within
     * the resolver's limits (resolv.conf), an address at once. */
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0) {
        repl_conn_fail(c, "connect to %s: cannot resolve host: %s", c->peer,
                       gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
        goto fail;
    }
    for (const struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next) {
        c->fd = connect_one(c, ai, deadline, timeout_ms);
        if (c->fd < 0 && repl_conn_left_ms(deadline) == 0) break;
    }
    freeaddrinfo(res);
    if (c->fd < 0) goto fail;
    c->err[0] = '\0';

    if (tls && tls->enabled && repl_tls_start(c, host, tls, deadline) != 0)
        goto fail;
    return c;

fail:
    if (err) snprintf(err, errsz, "%s", c->err);
    int saved = errno;
    repl_conn_close(c);
    errno = saved;
    return NULL;
}

ssize_t repl_conn_read(repl_conn *c, void *buf, size_t cap, int timeout_ms)
{
    if (cap == 0) { /* recv() would return 0, which means "closed" */
        repl_conn_fail(c, "read from %s: no room to read into", c->peer);
        errno = EINVAL;
        return -1;
    }
    int64_t deadline = deadline_after(timeout_ms);
    short events = POLLIN;
    for (;;) {
        if (stopped(c)) break;
        /* Bytes OpenSSL already decrypted are not on the socket any more:
         * poll() would not see them, so read them first. */
        if (!c->ssl || repl_tls_pending(c) == 0) {
            int r = repl_conn_wait(c, events, deadline);
            if (r < 0 && errno == ECANCELED) break;
            if (r < 0) {
                repl_conn_fail(c, "read from %s: poll: %s", c->peer, strerror(errno));
                return -1;
            }
            if (r == 0) {
                repl_conn_fail(c, "read from %s: no data for %d ms", c->peer,
                               timeout_ms);
                errno = ETIMEDOUT;
                return -1;
            }
        }
        ssize_t n;
        if (c->ssl) {
            bool want_write = false;
            n = repl_tls_read(c, buf, cap, &want_write);
            if (n < 0 && errno == EAGAIN) {
                events = want_write ? POLLOUT : POLLIN;
                continue;
            }
            if (n <= 0 && stopped(c)) break;
            if (n <= 0) return n;
        } else {
            n = recv(c->fd, buf, cap, 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                continue;
            if (n <= 0 && stopped(c)) break;
            if (n < 0) {
                repl_conn_fail(c, "read from %s: %s", c->peer, strerror(errno));
                return -1;
            }
        }
        return n;
    }
    repl_conn_fail(c, "read from %s: stopped", c->peer);
    errno = ECANCELED;
    return -1;
}

int repl_conn_write(repl_conn *c, const void *p, size_t n, int timeout_ms)
{
    int64_t deadline = deadline_after(timeout_ms);
    const unsigned char *b = p;
    size_t off = 0;
    short events = POLLOUT;
    while (off < n) {
        if (stopped(c)) goto stop;
        ssize_t w;
        if (c->ssl) {
            bool want_read = false;
            w = repl_tls_write(c, b + off, n - off, &want_read);
            if (w < 0 && errno == EAGAIN) events = want_read ? POLLIN : POLLOUT;
            else if (w < 0 && stopped(c)) goto stop;
            else if (w < 0) return -1;
        } else {
            /* MSG_NOSIGNAL: a closed peer is an error to report, not a
             * SIGPIPE that kills the process. */
            w = send(c->fd, b + off, n - off, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                events = POLLOUT;
            } else if (w < 0) {
                if (stopped(c)) goto stop;
                repl_conn_fail(c, "write to %s: %s", c->peer, strerror(errno));
                return -1;
            }
        }
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        int r = repl_conn_wait(c, events, deadline);
        if (r < 0 && errno == ECANCELED) goto stop;
        if (r < 0) {
            repl_conn_fail(c, "write to %s: poll: %s", c->peer, strerror(errno));
            return -1;
        }
        if (r == 0) {
            repl_conn_fail(c, "write to %s: could not write for %d ms (%zu of %zu bytes sent)",
                           c->peer, timeout_ms, off, n);
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return 0;
stop:
    repl_conn_fail(c, "write to %s: stopped", c->peer);
    errno = ECANCELED;
    return -1;
}

void repl_conn_interrupt(repl_conn *c)
{
    if (!c) return;
    /* release: pairs with the acquire in stopped(). */
    atomic_store_explicit(&c->stopped, true, memory_order_release);
    /* shutdown() wakes a poll() already waiting on the socket (it becomes
     * readable and writable, at end of file); the flag, set first, makes
     * the woken call say "stopped" rather than "closed by the master". */
    (void)shutdown(c->fd, SHUT_RDWR);
}

const char *repl_conn_error(const repl_conn *c)
{
    return c ? c->err : "";
}

bool repl_conn_is_tls(const repl_conn *c)
{
    return c && c->ssl != NULL;
}

int repl_conn_local_port(const repl_conn *c)
{
    if (!c || c->fd < 0) return 0;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(c->fd, (struct sockaddr *)&ss, &len) != 0) return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

void repl_conn_close(repl_conn *c)
{
    if (!c) return;
    if (c->ssl || c->ssl_ctx) repl_tls_close(c);
    if (c->fd >= 0) close(c->fd);
    free(c);
}
