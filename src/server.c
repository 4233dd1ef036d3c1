/* server.c - the server's life cycle: options, listening sockets, start, stop, statistics.
 * Chapter 11.
 *
 * server_create() does everything that can fail for a reason the operator
 * must fix (an address in use, a bad bind address, TLS files) before any
 * thread exists, so a replica that cannot serve says so at once and
 * leaves nothing running.  server_start() then starts one thread per
 * event loop (server_loop.c).  Stopping is one eventfd write, which is
 * async-signal-safe, so a SIGTERM handler can call server_request_stop()
 * directly; the loops see the descriptor readable, flush, close their
 * clients and return, and server_wait() joins them.
 *
 * The statistics accessors of server_stats.h sum per-loop counters: each
 * counter has one writer (its loop), so INFO's reads are relaxed loads of
 * numbers that were each exact at some instant.
 */
#include "server_private.h"

#include "alloc.h"
#include "server_channels.h"
#include "server_pubsub.h"
#include "server_tls.h"
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

server_options server_options_default(void)
{
    server_options o;
    memset(&o, 0, sizeof o);
    o.bind = "127.0.0.1";
    o.port = 6380;
    o.threads = 1;
    o.protected_mode = true;
    o.maxclients = 10000;
    o.timeout_s = 0;
    o.tcp_keepalive_s = 300;
    o.proto_max_bulk_len = UINT64_C(512) * 1024 * 1024;
    o.query_buffer_limit = UINT64_C(1024) * 1024 * 1024;
    o.max_args = 1048576;
    o.output_limit_normal = 0;
    o.output_limit_pubsub = UINT64_C(32) * 1024 * 1024;
    o.log_level = SERVER_LOG_NOTICE;
    o.tls.auth_clients = 1;
    return o;
}

/* ---- logging --------------------------------------------------------------- */

void server_logf(struct server *s, server_log_level level, const char *fmt,
                 ...)
{
    if (level < s->opt.log_level)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->opt.log != NULL) {
        s->opt.log(s->opt.log_arg, level, msg);
        return;
    }
    static const char marks[] = ".-*#"; /* Redis's level marks */
    fprintf(stderr, "server %c %s\n", marks[level & 3], msg);
}

/* ---- the address classifier -------------------------------------------------- */

bool server_addr_is_loopback(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const unsigned char *b = in6->sin6_addr.s6_addr;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
    }
    return sa->ss_family == AF_UNIX;
}

/* ---- listening ------------------------------------------------------------- */

/* Bind and listen on bind:port (port 0: any free one); returns the socket
 * and sets *bound to the port, or -1 with err written. */
static int listen_on(const char *bind_addr, int port, int *bound, char *err,
                     size_t errsz)
{
    const char *host = bind_addr;
    if (host == NULL || strcmp(host, "*") == 0)
        host = "0.0.0.0";
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errsz, "bind %s:%d: %s", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (fd < 0) {
        snprintf(err, errsz, "socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(fd, 511) != 0) {
        snprintf(err, errsz, "bind %s:%d: %s", host, port, strerror(errno));
        close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6
                       ? ((struct sockaddr_in6 *)&ss)->sin6_port
                       : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    if (d == NULL)
        *oom = true;
    else
        memcpy(d, s, n);
    return d;
}

static void make_run_id(char out[41])
{
    unsigned char r[20];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t x = (uint64_t)value_now_ms() ^ (uint64_t)getpid() << 32;
        for (size_t i = 0; i < sizeof r; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            r[i] = (unsigned char)(x >> 56);
        }
    }
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

server *server_create(const server_options *opt, dataset *ds, repl *link,
                      char *err, size_t errsz)
{
    if (errsz > 0)
        err[0] = '\0';
    server *s = xcalloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->opt = *opt;
    s->tcp_fd = s->tls_fd = s->stopfd = -1;
    bool oom = false;
    s->opt.bind = s->bind = dup_or_null(opt->bind ? opt->bind : "127.0.0.1",
                                        &oom);
    s->opt.requirepass = s->requirepass = dup_or_null(opt->requirepass, &oom);
    s->opt.config_file = s->config_file = dup_or_null(opt->config_file, &oom);
    s->opt.store = s->store = dup_or_null(opt->store, &oom);
    s->opt.tls.cert_file = s->tls_cert = dup_or_null(opt->tls.cert_file, &oom);
    s->opt.tls.key_file = s->tls_key = dup_or_null(opt->tls.key_file, &oom);
    s->opt.tls.ca_file = s->tls_ca_file = dup_or_null(opt->tls.ca_file, &oom);
    s->opt.tls.ca_dir = s->tls_ca_dir = dup_or_null(opt->tls.ca_dir, &oom);
    s->ds = ds;
    s->link = link;
    /* The count is fixed for the dataset's life (every generation has the
     * shape of the first), so reading it once here is enough. */
    s->databases = keyspace_databases(dataset_current(ds));
    s->nloops = opt->threads ? opt->threads : 1;
    atomic_init(&s->next_id, 1);
    make_run_id(s->run_id);
    s->start_ms = value_now_ms();
    if (oom) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    if (opt->port != 0) {
        s->tcp_fd = listen_on(s->bind, opt->port < 0 ? 0 : opt->port,
                              &s->tcp_port, err, errsz);
        if (s->tcp_fd < 0)
            goto fail;
    }
    if (opt->tls.port != 0) {
        s->tls = server_tls_create(&s->opt.tls, err, errsz);
        if (s->tls == NULL)
            goto fail;
        s->tls_fd = listen_on(s->bind, opt->tls.port < 0 ? 0 : opt->tls.port,
                              &s->tls_port, err, errsz);
        if (s->tls_fd < 0)
            goto fail;
    }
    if (s->tcp_fd < 0 && s->tls_fd < 0) {
        snprintf(err, errsz, "no port to listen on (port 0 and no TLS port)");
        goto fail;
    }
    s->channels = server_channels_create();
    s->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->loops = xcalloc(s->nloops, sizeof *s->loops);
    if (s->channels == NULL || s->stopfd < 0 || s->loops == NULL) {
        snprintf(err, errsz, "out of memory (or eventfd: %s)",
                 strerror(errno));
        goto fail;
    }
    for (unsigned i = 0; i < s->nloops; i++)
        if (server_loop_init(s, &s->loops[i], i) != 0) {
            snprintf(err, errsz, "event loop %u: %s", i, strerror(errno));
            goto fail;
        }
    return s;
fail:
    server_destroy(s);
    return NULL;
}

int server_start(server *s)
{
    for (unsigned i = 0; i < s->nloops; i++) {
        int rc = server_loop_start(&s->loops[i]);
        if (rc != 0) {
            server_request_stop(s);
            server_wait(s);
            errno = rc;
            return -1;
        }
    }
    s->started = true;
    server_logf(s, SERVER_LOG_NOTICE, "Ready to accept connections on "
                "port %d (%u thread%s)", s->tcp_port ? s->tcp_port
                : s->tls_port, s->nloops, s->nloops == 1 ? "" : "s");
    return 0;
}

void server_request_stop(server *s)
{
    uint64_t one = 1;
    /* write() is async-signal-safe; the result is ignored because the only
     * failure (EAGAIN at a counter of 2^64-2) still leaves it readable. */
    ssize_t w = write(s->stopfd, &one, sizeof one);
    (void)w;
}

void server_wait(server *s)
{
    if (s->waited)
        return;
    for (unsigned i = 0; i < s->nloops; i++)
        server_loop_join(&s->loops[i]);
    s->waited = true;
}

void server_stop(server *s)
{
    server_request_stop(s);
    server_wait(s);
}

void server_destroy(server *s)
{
    if (s == NULL)
        return;
    if (s->loops != NULL) {
        if (!s->waited && s->stopfd >= 0)
            server_stop(s);
        for (unsigned i = 0; i < s->nloops; i++)
            server_loop_free(&s->loops[i]);
        free(s->loops);
    }
    if (s->tcp_fd >= 0)
        close(s->tcp_fd);
    if (s->tls_fd >= 0)
        close(s->tls_fd);
    if (s->stopfd >= 0)
        close(s->stopfd);
    server_channels_destroy(s->channels);
    server_tls_free(s->tls);
    free(s->bind);
    free(s->requirepass);
    free(s->config_file);
    free(s->store);
    free(s->tls_cert);
    free(s->tls_key);
    free(s->tls_ca_file);
    free(s->tls_ca_dir);
    free(s);
}

int server_port(const server *s)
{
    return s->tcp_fd >= 0 ? s->tcp_port : 0;
}

int server_tls_port(const server *s)
{
    return s->tls_fd >= 0 ? s->tls_port : 0;
}

void server_notify_change(void *arg)
{
    server *s = arg;
    /* Release: a loop that reads the new count (acquire) and then begins a
     * read section sees at least the publication that caused this call. */
    atomic_fetch_add_explicit(&s->changes, 1, memory_order_release);
    for (unsigned i = 0; i < s->nloops; i++)
        server_loop_wake(&s->loops[i]);
}

/* [ch11-deliver] */
/* The registry's deliver callback, on the publishing thread with the
 * registry's mutex held: copy the message into the subscriber's loop
 * mailbox and wake the loop.  c stays valid for the call (a client leaves
 * the registry, server_channels_drop_client(), before it is freed), and
 * its loop and id never change, so reading them here is safe.  The loop's
 * lock is taken after the registry's, the order server_channels.h sets;
 * no thread takes them the other way round. */
static void deliver(server_client *c, const void *pattern, size_t plen,
                    const void *chan, size_t clen, const void *msg,
                    size_t mlen, void *arg)
{
    server *s = arg;
    server_mail *m = xmalloc(sizeof *m + clen + plen + mlen);
    if (m == NULL) {
        server_logf(s, SERVER_LOG_WARNING, "Pub/Sub: out of memory, a "
                    "message to client id=%llu was dropped",
                    (unsigned long long)c->id);
        return;
    }
    m->client_id = c->id;
    m->kind = pattern != NULL ? SERVER_MAIL_PMESSAGE : SERVER_MAIL_MESSAGE;
    m->clen = clen;
    m->plen = pattern != NULL ? plen : 0;
    m->len = clen + m->plen + mlen;
    if (clen)
        memcpy(m->data, chan, clen);
    if (m->plen)
        memcpy(m->data + clen, pattern, plen);
    if (mlen)
        memcpy(m->data + clen + m->plen, msg, mlen);
    server_loop_post(c->loop, m);
}
/* [ch11-deliver] */

void server_publish(const void *chan, size_t clen, const void *msg,
                    size_t mlen, void *arg)
{
    (void)server_publish_local(arg, chan, clen, msg, mlen);
}

size_t server_publish_local(server *s, const void *chan, size_t clen,
                            const void *msg, size_t mlen)
{
    return server_channels_publish(s->channels, chan, clen, msg, mlen,
                                   deliver, s);
}

/* ---- statistics ------------------------------------------------------------- */

static uint64_t ld(_Atomic(uint64_t) *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

void server_info_get(struct server *s, server_info *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->run_id, s->run_id, sizeof out->run_id);
    out->start_ms = s->start_ms;
    out->pid = (int)getpid();
    out->tcp_port = server_port(s);
    out->tls_port = server_tls_port(s);
    out->threads = s->nloops;
    out->connected_clients = ld(&s->connected);
    out->maxclients = s->opt.maxclients;
    out->total_connections = ld(&s->total_conns);
    out->rejected_connections = ld(&s->rejected_conns);
    out->output_limit_kills = ld(&s->output_kills);
    server_channels_stats cs;
    server_channels_get_stats(s->channels, &cs);
    out->pubsub_channels = cs.channels;
    out->pubsub_patterns = cs.patterns;
    out->pubsub_clients = cs.clients;
    for (unsigned i = 0; i < s->nloops; i++) {
        server_loop_stats *st = &s->loops[i].st;
        out->blocked_clients += ld(&st->blocked);
        out->total_commands += ld(&st->commands);
        out->total_error_replies += ld(&st->errors);
        out->net_input_bytes += ld(&st->net_in);
        out->net_output_bytes += ld(&st->net_out);
        out->keyspace_hits += ld(&st->hits);
        out->keyspace_misses += ld(&st->misses);
        out->pubsub_messages += ld(&st->messages);
        if (ld(&st->max_out) > out->client_max_output)
            out->client_max_output = ld(&st->max_out);
        if (ld(&st->max_in) > out->client_max_input)
            out->client_max_input = ld(&st->max_in);
    }
}

size_t server_cmdstats_get(struct server *s, server_cmdstat *out, size_t cap)
{
    size_t n = 0;
    for (unsigned i = 0; i < s->nloops; i++) {
        server_cmdslot *t = s->loops[i].cmdstats;
        for (size_t j = 0; j < SERVER_CMDSTAT_SLOTS; j++) {
            /* Acquire pairs with the release that published the name. */
            if (!atomic_load_explicit(&t[j].used, memory_order_acquire))
                continue;
            size_t k = 0;
            for (; k < n && k < cap; k++)
                if (strcmp(out[k].name, t[j].name) == 0)
                    break;
            if (k == n || k >= cap) {
                k = n++;
                if (k >= cap)
                    continue;
                memset(&out[k], 0, sizeof out[k]);
                snprintf(out[k].name, sizeof out[k].name, "%s", t[j].name);
            }
            out[k].calls += ld(&t[j].calls);
            out[k].usec += ld(&t[j].usec);
            out[k].rejected += ld(&t[j].rejected);
            out[k].failed += ld(&t[j].failed);
        }
    }
    /* A name seen on two loops past cap was counted twice in n; that only
     * overstates the room needed, which the contract allows. */
    return n;
}

server_cmdslot *server_cmdslot_get(server_loop *l, const char *name)
{
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (size_t i = 0; i < SERVER_CMDSTAT_SLOTS; i++) {
        server_cmdslot *sl = &l->cmdstats[(h + i) % SERVER_CMDSTAT_SLOTS];
        /* Only this loop's thread inserts, so a relaxed look is enough
         * here; readers on other threads use acquire. */
        if (!atomic_load_explicit(&sl->used, memory_order_relaxed)) {
            snprintf(sl->name, sizeof sl->name, "%s", name);
            atomic_store_explicit(&sl->used, 1, memory_order_release);
            return sl;
        }
        if (strcmp(sl->name, name) == 0)
            return sl;
    }
    return NULL;
}

const server_options *server_get_options(const struct server *s)
{
    return &s->opt;
}

dataset *server_dataset(struct server *s)
{
    return s->ds;
}

repl *server_link(struct server *s)
{
    return s->link;
}

struct server_channels *server_get_channels(struct server *s)
{
    return s->channels;
}

