/* server_client.c - one connection: bytes in, commands run, replies out.
 * Chapter 11.
 *
 * Input.  A client's bytes become commands in server_client_input.c:
 * multibulk requests through chapter 6's resp_parser, inline commands
 * split as redis-cli splits them, each under the limits the options set,
 * and parser errors in Redis's own words.
 *
 * Pipelining.  Every complete command in the buffer runs before anything
 * is written, all inside one dataset read section (server_batch), so a
 * pipeline of a thousand GETs costs one section and, usually, one write.
 * A blocked client (XREAD BLOCK) stops there; its later commands wait in
 * the buffer until it is released.
 *
 * Output.  Replies accumulate in the client's reply_buf and go out in
 * server_client_output.c, which also closes a client over its output
 * limit.  This file holds the rest of a connection's life: accepting it
 * (maxclients, protected mode), its epoll events, running what it sent,
 * its Pub/Sub bookkeeping, and freeing it.  server_client_io.h joins the
 * three files.
 */
#include "server_client_io.h"

#include "alloc.h"
#include "server_channels.h"
#include "server_pubsub.h"
#include "server_tls.h"
#include "value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Redis 7.0.15's reply to a non-loopback client in protected mode,
 * "Setup a an" included (redis/redis src/networking.c,
 * clientAcceptHandler). */
static const char denied_text[] =
    "-DENIED Redis is running in protected mode because protected mode is "
    "enabled and no password is set for the default user. In this mode "
    "connections are only accepted from the loopback interface. If you "
    "want to connect from external computers to Redis you may adopt one of "
    "the following solutions: 1) Just disable protected mode sending the "
    "command 'CONFIG SET protected-mode no' from the loopback interface by "
    "connecting to Redis from the same host the server is running, however "
    "MAKE SURE Redis is not publicly accessible from internet if you do so. "
    "Use CONFIG REWRITE to make this change permanent. 2) Alternatively you "
    "can just disable the protected mode by editing the Redis configuration "
    "file, and setting the protected mode option to 'no', and then "
    "restarting the server. 3) If you started the server manually just for "
    "testing, restart it with the '--protected-mode no' option. 4) Setup a "
    "an authentication password for the default user. NOTE: You only need "
    "to do one of the above things in order for the server to start "
    "accepting connections from the outside.\r\n";

static const char maxclients_text[] =
    "-ERR max number of clients reached\r\n";

/* A refusal is best effort: one non-blocking send, then close. */
static void refuse(int fd, const char *text)
{
    if (text[0] != '\0') {
        ssize_t w = send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
    }
    close(fd);
}

static void format_addr(const struct sockaddr_storage *ss, char *out,
                        size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        port = ntohs(in6->sin6_port);
    }
    snprintf(out, n, "%s:%d", ip, port);
}

/* TCP_NODELAY and keepalive as Redis's anetKeepAlive(): probes start after
 * `interval` seconds idle, every interval/3, three of them. */
static void tune_socket(int fd, int keepalive)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (keepalive <= 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    int idle = keepalive, intvl = keepalive / 3 ? keepalive / 3 : 1, cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

void server_client_accept(server_loop *l, int fd,
                          const struct sockaddr_storage *peer, bool tls)
{
    struct server *s = l->srv;
    /* Reserve a slot first so two loops cannot both take the last one. */
    uint64_t was = atomic_fetch_add_explicit(&s->connected, 1,
                                             memory_order_relaxed);
    if (was >= s->opt.maxclients) {
        atomic_fetch_sub_explicit(&s->connected, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->rejected_conns, 1,
                                  memory_order_relaxed);
        server_logf(s, SERVER_LOG_WARNING, "Refused a client: max number of "
                    "clients reached (maxclients %u)", s->opt.maxclients);
        refuse(fd, tls ? "" : maxclients_text); /* no TLS session yet */
        return;
    }
    if (s->opt.protected_mode && s->opt.requirepass == NULL &&
        !server_addr_is_loopback(peer)) {
        atomic_fetch_sub_explicit(&s->connected, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->rejected_conns, 1,
                                  memory_order_relaxed);
        server_logf(s, SERVER_LOG_WARNING, "Possible SECURITY ATTACK "
                    "detected: protected mode refused a non-loopback client");
        refuse(fd, tls ? "" : denied_text);
        return;
    }
    /* Counted once accepted, as Redis's total_connections_received. */
    atomic_fetch_add_explicit(&s->total_conns, 1, memory_order_relaxed);
    server_client *c = xcalloc(1, sizeof *c);
    if (c == NULL) {
        atomic_fetch_sub_explicit(&s->connected, 1, memory_order_relaxed);
        refuse(fd, "-ERR out of memory\r\n");
        return;
    }
    if (tls) {
        c->tls = server_tls_conn_new(s->tls, fd);
        if (c->tls == NULL) {
            atomic_fetch_sub_explicit(&s->connected, 1, memory_order_relaxed);
            free(c);
            close(fd);
            return;
        }
        c->tls_handshaking = true;
    }
    tune_socket(fd, s->opt.tcp_keepalive_s);
    c->loop = l;
    c->fd = fd;
    c->id = atomic_fetch_add_explicit(&s->next_id, 1, memory_order_relaxed);
    format_addr(peer, c->addr, sizeof c->addr);
    struct sockaddr_storage me;
    socklen_t ml = sizeof me;
    if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
        format_addr(&me, c->laddr, sizeof c->laddr);
    resp_parser_init(&c->parser, NULL);
    reply_init(&c->out, 2);
    atomic_init(&c->proto_shown, 2);
    c->authed = s->opt.requirepass == NULL;
    c->ctime_ms = value_now_ms();
    atomic_init(&c->last_ms, c->ctime_ms);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = (uint64_t)(uintptr_t)c;
    pthread_mutex_lock(&l->lock);
    c->prev = l->clients_tail;
    if (l->clients_tail != NULL)
        l->clients_tail->next = c;
    else
        l->clients = c;
    l->clients_tail = c;
    l->nclients++;
    pthread_mutex_unlock(&l->lock);
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        server_logf(s, SERVER_LOG_WARNING, "epoll_ctl: %s", strerror(errno));
        server_client_free(c);
        return;
    }
    server_logf(s, SERVER_LOG_DEBUG, "Accepted %s (id=%llu, loop %u)",
                c->addr, (unsigned long long)c->id, l->idx);
}

void server_client_free(server_client *c)
{
    server_loop *l = c->loop;
    struct server *s = l->srv;
    c->closing = true;
    server_block_drop(c);
    server_client_reset_pubsub(c);
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->tls != NULL) {
        server_tls_shutdown(c->tls);
        server_tls_conn_free(c->tls);
    }
    close(c->fd);
    pthread_mutex_lock(&l->lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        l->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        l->clients_tail = c->prev;
    l->nclients--;
    pthread_mutex_unlock(&l->lock);
    atomic_fetch_sub_explicit(&s->connected, 1, memory_order_relaxed);
    resp_parser_free(&c->parser);
    reply_free(&c->out);
    free(c->name);
    free(c->in);
    free(c);
}

/* ---- events ---------------------------------------------------------------- */

/* TLS: one handshake step.  Returns 0 (done or waiting), -1 (failed). */
static int tls_handshake(server_client *c)
{
    server_tls_status st = server_tls_handshake(c->tls);
    c->tls_hs_out = st == SERVER_TLS_WANT_WRITE;
    if (st == SERVER_TLS_OK) {
        c->tls_handshaking = false;
        server_client_update_events(c);
        return 0;
    }
    if (st == SERVER_TLS_WANT_READ || st == SERVER_TLS_WANT_WRITE) {
        server_client_update_events(c);
        return 0;
    }
    server_logf(c->loop->srv, SERVER_LOG_VERBOSE, "TLS handshake with %s: "
                "%s", c->addr, server_tls_conn_error(c->tls));
    return -1;
}

/* [ch11-process] */
int server_client_process(server_client *c)
{
    /* learn: ch11 server_client_process "Threads: why reads never wait for the stream" */
    server_batch b = {.loop = c->loop, .ks = NULL};
    while (!c->blocked && !c->close_after_reply && !c->closing) {
        resp_value v;
        memset(&v, 0, sizeof v);
        int rc = server_client_next_command(c, &v);
        if (rc <= 0)
            break;
        if (v.len > 0) {
            atomic_store_explicit(&c->last_ms, value_now_ms(),
                                  memory_order_relaxed);
            server_exec(c, &b, v.len, v.elems);
        }
        resp_value_clear(&v);
        if (server_client_over_limit(c))
            break;
    }
    server_batch_end(&b);
    if (c->closing) {
        server_client_free(c);
        return -1;
    }
    if (c->blocked && c->in_len - c->in_pos >
                          c->loop->srv->opt.query_buffer_limit) {
        server_logf(c->loop->srv, SERVER_LOG_WARNING, "Closing client that "
                    "reached max query buffer length: id=%llu addr=%s",
                    (unsigned long long)c->id, c->addr);
        server_client_free(c);
        return -1;
    }
    return server_client_flush(c);
    /* learn: end */
}
/* [ch11-process] */

void server_client_event(server_client *c, uint32_t events)
{
    if (c->tls_handshaking) {
        if (tls_handshake(c) != 0) {
            server_client_free(c);
            return;
        }
        if (c->tls_handshaking)
            return;
        events |= EPOLLIN; /* application bytes may have come with it */
    }
    bool retry_read = c->tls_read_out && (events & EPOLLOUT);
    if ((events & EPOLLOUT) || (c->tls_write_in && (events & EPOLLIN))) {
        if (server_client_flush(c) != 0)
            return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) || retry_read) {
        if (c->close_after_reply && c->tls == NULL) {
            /* Input after QUIT or a protocol error is ignored; only the
             * socket's end matters. */
            char sink[4096];
            ssize_t n = read(c->fd, sink, sizeof sink);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                server_client_free(c);
            return;
        }
        int rc = server_client_read(c);
        if (rc < 0) {
            server_client_free(c);
            return;
        }
        if (rc > 0 && server_client_process(c) != 0)
            return;
        /* Decrypted bytes left in the session raise no event: go on. */
        while (c->tls != NULL && !c->closing && !c->blocked &&
               !c->close_after_reply && server_tls_pending(c->tls) > 0) {
            rc = server_client_read(c);
            if (rc < 0) {
                server_client_free(c);
                return;
            }
            if (rc == 0 || server_client_process(c) != 0)
                return;
        }
    }
}

void server_client_sync_subs(server_client *c, bool patterns)
{
    unsigned subs = atomic_load_explicit(&c->subs, memory_order_relaxed);
    unsigned psubs = atomic_load_explicit(&c->psubs, memory_order_relaxed);
    size_t n = server_channels_count(c->loop->srv->channels, c);
    /* The registry counts channels and patterns together; the command
     * that changed the count says which of the two moved. */
    if (patterns) {
        psubs = n > subs ? (unsigned)(n - subs) : 0;
        subs = (unsigned)n - psubs;
    } else {
        subs = n > psubs ? (unsigned)(n - psubs) : 0;
        psubs = (unsigned)n - subs;
    }
    if (n > 0)
        c->in_registry = true;
    atomic_store_explicit(&c->subs, subs, memory_order_relaxed);
    atomic_store_explicit(&c->psubs, psubs, memory_order_relaxed);
}

void server_client_reset_pubsub(server_client *c)
{
    /* After this no delivery to c is running or will start, so the
     * client can be freed; messages already in the mailbox are dropped
     * there when their client id is no longer found. */
    if (c->in_registry)
        server_channels_drop_client(c->loop->srv->channels, c);
    c->in_registry = false;
    atomic_store_explicit(&c->subs, 0, memory_order_relaxed);
    atomic_store_explicit(&c->psubs, 0, memory_order_relaxed);
}
