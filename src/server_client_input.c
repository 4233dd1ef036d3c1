/* server_client_input.c - a client's bytes in: reads, inline commands, multibulk limits, protocol errors.
 * Chapter 11.
 *
 * A client's bytes go to one of two readers, chosen by the first byte
 * of each command, as Redis chooses in processInputBuffer(): '*' starts
 * a multibulk request, fed to chapter 6's resp_parser (which keeps the
 * half-built command between reads, so a request cut at any byte
 * resumes where it stopped); anything else is an inline command, a line
 * split like redis-cli splits it (quotes and escapes), kept in the input
 * buffer until its newline arrives.  The parser's limits come from the
 * options before each command: proto_max_bulk_len, max_args, and, before
 * AUTH, Redis's 10 arguments of 16 KiB; query_buffer_limit bounds one
 * command's bytes.  A parser error becomes Redis's own "Protocol error"
 * text (redis/redis src/networking.c), after which the connection is
 * closed once its replies are sent.  This file only turns bytes into
 * commands; server_client.c runs them and server_client_output.c sends
 * what they produced.
 *
 * Thread-safety: the client's own loop thread only.
 */
#include "server_client_io.h"

#include "alloc.h"
#include "server_tls.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes asked of read() at a time. */
#define READ_CHUNK (64 * 1024)

/* ---- input ------------------------------------------------------------------ */

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
            server_client_update_events(c);
            return got;
        }
        if (st == SERVER_TLS_ERROR)
            server_logf(c->loop->srv, SERVER_LOG_VERBOSE, "TLS read from "
                        "%s: %s", c->addr, server_tls_conn_error(c->tls));
        return got ? 1 : -1; /* CLOSED or ERROR: what came is still run */
    }
}

/* Read what the socket has (one chunk).  Returns 1 when bytes arrived, 0
 * when none were there, -1 when the peer closed or failed. */
int server_client_read(server_client *c)
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
int server_client_next_command(server_client *c, resp_value *v)
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
