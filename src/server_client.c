/* server_client.c - one connection: bytes in, commands run, replies out.
 * Chapter 11.
 *
 * Input.  A client's bytes go to one of two readers, chosen by the first
 * byte of each command, as Redis chooses in processInputBuffer(): '*'
 * starts a multibulk request, fed to chapter 6's resp_parser (which keeps
 * the half-built command between reads, so a request cut at any byte
 * resumes where it stopped); anything else is an inline command, a line
 * split like redis-cli splits it (quotes and escapes), kept in the input
 * buffer until its newline arrives.  The parser's limits come from the
 * options before each command: proto_max_bulk_len, max_args, and, before
 * AUTH, Redis's 10 arguments of 16 KiB; query_buffer_limit bounds one
 * command's bytes.  A parser error becomes Redis's own "Protocol error"
 * text, after which the connection is closed once its replies are sent.
 *
 * Pipelining.  Every complete command in the buffer runs before anything
 * is written, all inside one dataset read section (server_batch), so a
 * pipeline of a thousand GETs costs one section and, usually, one write.
 * A blocked client (XREAD BLOCK) stops there; its later commands wait in
 * the buffer until it is released.
 *
 * Output.  Replies accumulate in the client's reply_buf and are written
 * with non-blocking send(); what the socket does not take waits for
 * EPOLLOUT.  Over the hard output limit (output_limit_normal, or
 * output_limit_pubsub for a subscriber) the client is closed and counted,
 * as Redis's client-output-buffer-limit does: a client that never reads
 * cannot make the server hold unbounded memory.
 */
#include "server_private.h"

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

/* Bytes asked of read() at a time. */
#define READ_CHUNK (64 * 1024)

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

/* ---- input ------------------------------------------------------------------ */

static void update_events(server_client *c);

/* TLS: read until the session has nothing more (decrypted bytes may wait
 * inside it where epoll cannot see them), growing the buffer as needed. */
static int tls_read_some(server_client *c)
{
    int got = 0;
    c->tls_read_out = false;
    for (;;) {
        if (c->in_cap - c->in_len < READ_CHUNK) {
            char *p = xrealloc(c->in, c->in_cap * 2);
            if (p == NULL)
                return -1;
            c->in = p;
            c->in_cap *= 2;
        }
        size_t n = 0;
        server_tls_status st = server_tls_read(c->tls, c->in + c->in_len,
                                               READ_CHUNK, &n);
        if (st == SERVER_TLS_OK) {
            c->in_len += n;
            server_stat_add(&c->loop->st.net_in, n);
            got = 1;
            /* bound one event's work: the parser runs, then we return
             * here with the same readiness (level-triggered) or the
             * pending bytes (server_tls_pending(), checked after) */
            if (c->in_len - c->in_pos > 4 * READ_CHUNK)
                return 1;
            continue;
        }
        if (st == SERVER_TLS_WANT_READ)
            return got;
        if (st == SERVER_TLS_WANT_WRITE) {
            c->tls_read_out = true;
            update_events(c);
            return got;
        }
        if (st == SERVER_TLS_ERROR)
            server_logf(c->loop->srv, SERVER_LOG_VERBOSE, "TLS read from "
                        "%s: %s", c->addr, server_tls_conn_error(c->tls));
        return got ? 1 : -1; /* CLOSED or ERROR: what came is still run */
    }
}

/* TLS: one handshake step.  Returns 0 (done or waiting), -1 (failed). */
static int tls_handshake(server_client *c)
{
    server_tls_status st = server_tls_handshake(c->tls);
    c->tls_hs_out = st == SERVER_TLS_WANT_WRITE;
    if (st == SERVER_TLS_OK) {
        c->tls_handshaking = false;
        update_events(c);
        return 0;
    }
    if (st == SERVER_TLS_WANT_READ || st == SERVER_TLS_WANT_WRITE) {
        update_events(c);
        return 0;
    }
    server_logf(c->loop->srv, SERVER_LOG_VERBOSE, "TLS handshake with %s: "
                "%s", c->addr, server_tls_conn_error(c->tls));
    return -1;
}

/* Read what the socket has (one chunk).  Returns 1 when bytes arrived, 0
 * when none were there, -1 when the peer closed or failed. */
static int read_some(server_client *c)
{
    if (c->in_pos == c->in_len)
        c->in_pos = c->in_len = 0;
    else if (c->in_pos > 0 && c->in_cap - c->in_len < READ_CHUNK) {
        memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
        c->in_len -= c->in_pos;
        c->in_pos = 0;
    }
    if (c->in_cap - c->in_len < READ_CHUNK) {
        size_t cap = c->in_cap ? c->in_cap : READ_CHUNK;
        while (cap - c->in_len < READ_CHUNK)
            cap *= 2;
        char *p = xrealloc(c->in, cap);
        if (p == NULL)
            return -1;
        c->in = p;
        c->in_cap = cap;
    }
    if (c->tls != NULL)
        return tls_read_some(c);
    ssize_t n = read(c->fd, c->in + c->in_len, READ_CHUNK);
    if (n > 0) {
        c->in_len += (size_t)n;
        server_stat_add(&c->loop->st.net_in, (uint64_t)n);
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    return -1;
}

/* Reply with a protocol error and close once replies are out. */
static int protocol_error(server_client *c, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "ERR Protocol error: %s", what);
    server_logf(c->loop->srv, SERVER_LOG_VERBOSE, "Protocol error (%s) from "
                "client: id=%llu addr=%s", what, (unsigned long long)c->id,
                c->addr);
    reply_error(&c->out, msg);
    server_stat_add(&c->loop->st.errors, 1);
    c->close_after_reply = true;
    return -1;
}

/* Split an inline command as Redis's sdssplitargs(): blanks separate
 * arguments; "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes;
 * 'single quotes' take \'; a closing quote must be followed by a blank or
 * the end.  Returns 0 with v an array of bulk strings, -1 on unbalanced
 * quotes, -2 when out of memory. */
static int split_inline(const char *p, size_t n, resp_value *v)
{
    memset(v, 0, sizeof *v);
    v->type = RESP_ARRAY;
    v->is_inline = true;
    size_t cap = 0, i = 0;
    char *tok = xmalloc(n + 1);
    if (tok == NULL)
        return -2;
    for (;;) {
        while (i < n && isspace((unsigned char)p[i]))
            i++;
        if (i >= n)
            break;
        size_t tl = 0;
        bool inq = false, insq = false, done = false;
        while (!done) {
            char ch = i < n ? p[i] : '\0';
            if (inq) {
                if (i >= n) {
                    free(tok);
                    resp_value_clear(v);
                    return -1;
                }
                if (ch == '\\' && i + 3 < n && p[i + 1] == 'x' &&
                    isxdigit((unsigned char)p[i + 2]) &&
                    isxdigit((unsigned char)p[i + 3])) {
                    char hex[3] = {p[i + 2], p[i + 3], 0};
                    tok[tl++] = (char)strtol(hex, NULL, 16);
                    i += 3;
                } else if (ch == '\\' && i + 1 < n) {
                    i++;
                    char e = p[i];
                    tok[tl++] = e == 'n' ? '\n' : e == 'r' ? '\r'
                              : e == 't' ? '\t' : e == 'b' ? '\b'
                              : e == 'a' ? '\a' : e;
                } else if (ch == '"') {
                    if (i + 1 < n && !isspace((unsigned char)p[i + 1])) {
                        free(tok);
                        resp_value_clear(v);
                        return -1;
                    }
                    done = true;
                } else {
                    tok[tl++] = ch;
                }
            } else if (insq) {
                if (i >= n) {
                    free(tok);
                    resp_value_clear(v);
                    return -1;
                }
                if (ch == '\\' && i + 1 < n && p[i + 1] == '\'') {
                    i++;
                    tok[tl++] = '\'';
                } else if (ch == '\'') {
                    if (i + 1 < n && !isspace((unsigned char)p[i + 1])) {
                        free(tok);
                        resp_value_clear(v);
                        return -1;
                    }
                    done = true;
                } else {
                    tok[tl++] = ch;
                }
            } else if (i >= n || isspace((unsigned char)ch)) {
                done = true;
            } else if (ch == '"') {
                inq = true;
            } else if (ch == '\'') {
                insq = true;
            } else {
                tok[tl++] = ch;
            }
            if (i < n)
                i++;
        }
        if (v->len == cap) {
            size_t nc = cap ? cap * 2 : 4;
            resp_value *e = xrealloc(v->elems, nc * sizeof *e);
            if (e == NULL) {
                free(tok);
                resp_value_clear(v);
                return -2;
            }
            v->elems = e;
            cap = nc;
        }
        resp_value *a = &v->elems[v->len];
        memset(a, 0, sizeof *a);
        a->type = RESP_BULK;
        a->len = tl;
        a->str = xmalloc(tl + 1);
        if (a->str == NULL) {
            free(tok);
            resp_value_clear(v);
            return -2;
        }
        memcpy(a->str, tok, tl);
        a->str[tl] = '\0';
        v->len++;
    }
    free(tok);
    return 0;
}

/* The type byte Redis would have found where it wanted '$'. */
static char type_char(resp_type t)
{
    switch (t) {
    case RESP_SIMPLE: return '+';
    case RESP_ERROR: return '-';
    case RESP_INTEGER: return ':';
    default: return '*';
    }
}

/* Turn a parser error into Redis's words (redis/redis src/networking.c,
 * processMultibulkBuffer). */
static int parser_error(server_client *c)
{
    const resp_parser *p = &c->parser;
    const char *e = resp_parser_error(p);
    bool unauth = !c->authed;
    char buf[64];
    if (e == NULL)
        e = "";
    if (strstr(e, "value longer than") != NULL ||
        strstr(e, "would make the value longer") != NULL) {
        /* Redis closes such a client without a reply. */
        server_logf(c->loop->srv, SERVER_LOG_WARNING, "Closing client that "
                    "reached max query buffer length: id=%llu addr=%s (%s)",
                    (unsigned long long)c->id, c->addr, e);
        c->closing = true;
        return -1;
    }
    if (strstr(e, "out of memory") != NULL) {
        reply_error(&c->out, "ERR out of memory");
        c->close_after_reply = true;
        return -1;
    }
    if (strstr(e, "line longer than") != NULL)
        return protocol_error(c, p->hdr == '$' ? "too big bulk count string"
                                               : "too big mbulk count string");
    if (strstr(e, "nested deeper") != NULL)
        return protocol_error(c, "expected '$', got '*'");
    const char *got = strstr(e, "got '");
    if (strstr(e, "expected a type byte") != NULL && got != NULL) {
        snprintf(buf, sizeof buf, "expected '$', got '%c'",
                 got[5] == '\\' ? '?' : got[5]);
        return protocol_error(c, buf);
    }
    if (p->hdr == '*') {
        bool limit = strstr(e, "exceeds the limit") != NULL;
        return protocol_error(c, limit && unauth
                                     ? "unauthenticated multibulk length"
                                     : "invalid multibulk length");
    }
    if (p->hdr == '$') {
        bool limit = strstr(e, "exceeds the limit") != NULL;
        return protocol_error(c, limit && unauth
                                     ? "unauthenticated bulk length"
                                     : "invalid bulk length");
    }
    return protocol_error(c, e);
}

/* "*-N\r\n" at c->in_pos: Redis takes any count below 1 as no command
 * at all (processMultibulkBuffer(): `if (ll <= 0)`), where chapter 6's
 * parser knows only -1, the null array.  Returns 1 when such a line was
 * skipped, 0 when its end has not arrived, -1 when it is not one (the
 * parser then reads it, and names what is wrong). */
static int skip_negative_count(server_client *c)
{
    const char *p = c->in + c->in_pos;
    size_t avail = c->in_len - c->in_pos;
    if (avail < 2)
        return avail == 1 ? 0 : -1;
    if (p[1] != '-')
        return -1;
    const char *cr = memchr(p, '\r', avail);
    if (cr == NULL)
        return avail > SERVER_INLINE_MAX ? -1 : 0;
    if ((size_t)(cr - p) + 2 > avail)
        return 0;
    size_t digits = (size_t)(cr - p) - 2;
    if (cr[1] != '\n' || digits == 0 || digits > 19 || p[2] == '0')
        return -1;
    char num[24];
    memcpy(num, p + 1, digits + 1);
    num[digits + 1] = '\0';
    char *end;
    errno = 0;
    long long n = strtoll(num, &end, 10);
    if (errno != 0 || *end != '\0' || n >= 0)
        return -1;
    c->in_pos += digits + 4;
    return 1;
}

/* The next complete command.  Returns 1 with *v set, 0 when more bytes
 * are needed, -1 after a protocol error (or a client to close). */
static int next_command(server_client *c, resp_value *v)
{
    struct server *s = c->loop->srv;
    if (!c->parsing) {
        if (c->in_pos == c->in_len)
            return 0;
        if (c->in[c->in_pos] != '*') {
            const char *start = c->in + c->in_pos;
            size_t avail = c->in_len - c->in_pos;
            const char *nl = memchr(start, '\n', avail);
            if (nl == NULL) {
                if (avail > SERVER_INLINE_MAX)
                    return protocol_error(c, "too big inline request");
                return 0;
            }
            size_t len = (size_t)(nl - start);
            if (len > SERVER_INLINE_MAX)
                return protocol_error(c, "too big inline request");
            c->in_pos += len + 1;
            if (len > 0 && start[len - 1] == '\r')
                len--;
            int rc = split_inline(start, len, v);
            if (rc == -1)
                return protocol_error(c, "unbalanced quotes in request");
            if (rc == -2) {
                reply_error(&c->out, "ERR out of memory");
                c->close_after_reply = true;
                return -1;
            }
            return 1;
        }
        int neg = skip_negative_count(c);
        if (neg == 0)
            return 0;
        if (neg == 1) { /* nothing to run, as Redis */
            memset(v, 0, sizeof *v);
            v->type = RESP_ARRAY;
            return 1;
        }
        /* A new multibulk: the limits in force for this one command. */
        resp_limits *lim = &c->parser.lim;
        lim->max_array = s->opt.max_args;
        lim->max_bulk = s->opt.proto_max_bulk_len;
        if (!c->authed) {
            if (lim->max_array > SERVER_UNAUTH_MAX_ARGS)
                lim->max_array = SERVER_UNAUTH_MAX_ARGS;
            if (lim->max_bulk > SERVER_UNAUTH_MAX_BULK)
                lim->max_bulk = SERVER_UNAUTH_MAX_BULK;
        }
        lim->max_depth = 1;
        lim->max_line = SERVER_INLINE_MAX;
        lim->max_value = s->opt.query_buffer_limit;
        lim->allow_inline = false;
        c->parsing = true;
    }
    size_t used = 0;
    resp_status st = resp_parse(&c->parser, c->in + c->in_pos,
                                c->in_len - c->in_pos, &used, v);
    c->in_pos += used;
    if (st == RESP_NEED_MORE)
        return 0;
    if (st == RESP_ERR)
        return parser_error(c);
    c->parsing = false;
    if (v->type != RESP_ARRAY) { /* "*-1": nothing to run, as Redis */
        resp_value_clear(v);
        memset(v, 0, sizeof *v);
        v->type = RESP_ARRAY;
        return 1;
    }
    for (size_t i = 0; i < v->len; i++) {
        const resp_value *a = &v->elems[i];
        if (a->type == RESP_BULK)
            continue;
        char what[64];
        if (a->type == RESP_NULL)
            snprintf(what, sizeof what, "invalid bulk length");
        else
            snprintf(what, sizeof what, "expected '$', got '%c'",
                     type_char(a->type));
        resp_value_clear(v);
        return protocol_error(c, what);
    }
    return 1;
}

/* [ch11-over-limit] */
bool server_client_over_limit(server_client *c)
{
    const server_options *o = &c->loop->srv->opt;
    bool pubsub = atomic_load_explicit(&c->subs, memory_order_relaxed) +
                  atomic_load_explicit(&c->psubs, memory_order_relaxed) > 0;
    uint64_t limit = pubsub ? o->output_limit_pubsub : o->output_limit_normal;
    size_t pending = c->out.out.len - c->out_pos;
    if (limit == 0 || pending <= limit)
        return false;
    if (!c->closing) {
        atomic_fetch_add_explicit(&c->loop->srv->output_kills, 1,
                                  memory_order_relaxed);
        server_logf(c->loop->srv, SERVER_LOG_WARNING, "Client id=%llu "
                    "addr=%s closed for overcoming of output buffer limits "
                    "(%zu bytes pending, limit %llu).",
                    (unsigned long long)c->id, c->addr, pending,
                    (unsigned long long)limit);
        c->closing = true;
    }
    return true;
}
/* [ch11-over-limit] */

static void show_buffers(server_client *c)
{
    atomic_store_explicit(&c->qbuf_shown, c->in_len - c->in_pos,
                          memory_order_relaxed);
    atomic_store_explicit(&c->obl_shown, c->out.out.len - c->out_pos,
                          memory_order_relaxed);
}

/* [ch11-process] */
int server_client_process(server_client *c)
{
    /* learn: ch11 server_client_process "Threads: why reads never wait for the stream" */
    server_batch b = {.loop = c->loop, .ks = NULL};
    while (!c->blocked && !c->close_after_reply && !c->closing) {
        resp_value v;
        memset(&v, 0, sizeof v);
        int rc = next_command(c, &v);
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

/* ---- output ----------------------------------------------------------------- */

/* EPOLLOUT is wanted while replies wait, or TLS needs to send first. */
static void update_events(server_client *c)
{
    bool on = c->out_pos < c->out.out.len || c->tls_hs_out || c->tls_read_out;
    if (c->want_write == on)
        return;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
    ev.data.u64 = (uint64_t)(uintptr_t)c;
    if (epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->want_write = on;
}

/* Send some of the output.  Returns bytes sent (> 0), 0 when the socket
 * is full, -1 when the connection failed. */
static ssize_t send_some(server_client *c)
{
    const char *p = c->out.out.data + c->out_pos;
    size_t len = c->out.out.len - c->out_pos;
    if (c->tls == NULL) {
        for (;;) {
            ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
            if (n > 0)
                return n;
            if (n < 0 && errno == EINTR)
                continue;
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0
                                                                      : -1;
        }
    }
    if (c->tls_handshaking)
        return 0;
    size_t n = 0;
    server_tls_status st = server_tls_write(c->tls, p, len, &n);
    c->tls_write_in = st == SERVER_TLS_WANT_READ;
    if (st == SERVER_TLS_OK)
        return (ssize_t)n;
    return st == SERVER_TLS_WANT_WRITE || st == SERVER_TLS_WANT_READ ? 0 : -1;
}

int server_client_flush(server_client *c)
{
    if (c->closing) {
        server_client_free(c);
        return -1;
    }
    while (c->out_pos < c->out.out.len) {
        ssize_t n = send_some(c);
        if (n > 0) {
            c->out_pos += (size_t)n;
            server_stat_add(&c->loop->st.net_out, (uint64_t)n);
            continue;
        }
        if (n == 0)
            break;
        server_client_free(c); /* the peer went away */
        return -1;
    }
    if (c->out_pos == c->out.out.len) {
        c->out_pos = 0;
        c->out.out.len = 0;
        if (c->out.out.cap > 1024 * 1024) /* give a burst's memory back */
            reply_free(&c->out);
    } else if (c->out_pos >= 1024 * 1024 && c->out_pos * 2 >= c->out.out.len) {
        memmove(c->out.out.data, c->out.out.data + c->out_pos,
                c->out.out.len - c->out_pos);
        c->out.out.len -= c->out_pos;
        c->out_pos = 0;
    }
    bool pending = c->out_pos < c->out.out.len;
    if (!pending && c->close_after_reply) {
        server_client_free(c);
        return -1;
    }
    if (server_client_over_limit(c)) {
        server_client_free(c);
        return -1;
    }
    update_events(c);
    show_buffers(c);
    return 0;
}

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
        int rc = read_some(c);
        if (rc < 0) {
            server_client_free(c);
            return;
        }
        if (rc > 0 && server_client_process(c) != 0)
            return;
        /* Decrypted bytes left in the session raise no event: go on. */
        while (c->tls != NULL && !c->closing && !c->blocked &&
               !c->close_after_reply && server_tls_pending(c->tls) > 0) {
            rc = read_some(c);
            if (rc < 0) {
                server_client_free(c);
                return;
            }
            if (rc == 0 || server_client_process(c) != 0)
                return;
        }
    }
}

void server_client_deliver(server_client *c, const server_mail *m)
{
    const char *chan = m->data, *pat = m->data + m->clen;
    const char *msg = pat + m->plen;
    size_t mlen = m->len - m->clen - m->plen;
    if (server_pubsub_message(&c->out,
                              m->kind == SERVER_MAIL_PMESSAGE ? pat : NULL,
                              m->plen, chan, m->clen, msg, mlen) != 0)
        return; /* out of memory: this subscriber misses one message */
    server_stat_add(&c->loop->st.messages, 1);
    server_client_over_limit(c);
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

/* ---- CLIENT LIST ------------------------------------------------------------ */

int server_client_info_line(server_client *c, resp_buf *b, int64_t now)
{
    char flags[8];
    size_t f = 0;
    unsigned subs = atomic_load_explicit(&c->subs, memory_order_relaxed);
    unsigned psubs = atomic_load_explicit(&c->psubs, memory_order_relaxed);
    if (subs + psubs > 0)
        flags[f++] = 'P';
    if (atomic_load_explicit(&c->blocked_shown, memory_order_relaxed))
        flags[f++] = 'b';
    if (atomic_load_explicit(&c->kill, memory_order_relaxed))
        flags[f++] = 'A';
    if (f == 0)
        flags[f++] = 'N';
    flags[f] = '\0';
    uint64_t qbuf = atomic_load_explicit(&c->qbuf_shown, memory_order_relaxed);
    uint64_t obl = atomic_load_explicit(&c->obl_shown, memory_order_relaxed);
    const char *cmd = atomic_load_explicit(&c->lastcmd, memory_order_relaxed);
    int64_t last = atomic_load_explicit(&c->last_ms, memory_order_relaxed);
    char line[1024];
    int n = snprintf(line, sizeof line,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld "
        "flags=%s db=%u sub=%u psub=%u ssub=0 multi=-1 qbuf=%llu "
        "qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=%llu oll=0 "
        "omem=%llu tot-mem=%llu events=%s cmd=%s user=default redir=-1 "
        "resp=%d\n",
        (unsigned long long)c->id, c->addr, c->laddr, c->fd,
        c->name ? c->name : "", (long long)((now - c->ctime_ms) / 1000),
        (long long)((now - last) / 1000), flags,
        atomic_load_explicit(&c->db_shown, memory_order_relaxed), subs, psubs,
        (unsigned long long)qbuf, (unsigned long long)obl,
        (unsigned long long)obl,
        (unsigned long long)(sizeof *c + qbuf + obl), obl ? "rw" : "r",
        cmd ? cmd : "NULL",
        atomic_load_explicit(&c->proto_shown, memory_order_relaxed));
    if (n < 0)
        return -1;
    return resp_buf_append(b, line, (size_t)n < sizeof line ? (size_t)n
                                                           : sizeof line - 1);
}
