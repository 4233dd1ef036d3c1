/* server_client_cmds.c - CLIENT: ID, GETNAME, SETNAME, INFO, LIST, KILL.
 * Chapter 11.
 *
 * The one connection command that looks past its own connection: CLIENT
 * LIST and CLIENT KILL see every loop's clients, so this file, unlike the
 * rest of the connection family (server_conn_cmds.c), walks the loops.
 * Each loop's list is read under that loop's lock (one at a time, never
 * two together, so no lock order is needed), and a kill is a flag the
 * owning loop acts on when its eventfd wakes it, because only the owner
 * may touch a client's socket.  A name is set under the owning loop's
 * lock too, since CLIENT LIST on another loop reads it; HELLO's SETNAME
 * option comes here (server_conn_set_name()) so the rule for names lives
 * once.  Texts follow Redis 7.0.15 (redis/redis src/networking.c,
 * clientCommand()).
 *
 * Thread-safety: as every handler (server_cmd.h); the locks above for
 * what other loops read.
 */
#include "server_conn_cmds.h"

#include "alloc.h"
#include "value.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* CLIENT SETNAME's rule: '!' to '~' only (no spaces or control bytes). */
static bool valid_name(const resp_value *v)
{
    for (size_t i = 0; i < v->len; i++)
        if (v->str[i] < '!' || v->str[i] > '~')
            return false;
    return true;
}

int server_conn_set_name(server_ctx *x, const resp_value *v)
{
    if (!valid_name(v))
        return server_error(x, "ERR Client names cannot contain spaces, "
                            "newlines or special characters.");
    server_client *c = x->client;
    if (c == NULL)
        return SERVER_OK;
    char *n = NULL;
    if (v->len > 0) {
        n = xmalloc(v->len + 1);
        if (n == NULL)
            return SERVER_NOMEM;
        memcpy(n, v->str, v->len + 1);
    }
    pthread_mutex_lock(&c->loop->lock); /* CLIENT LIST reads it */
    char *old = c->name;
    c->name = n;
    pthread_mutex_unlock(&c->loop->lock);
    free(old);
    return SERVER_OK;
}

/* ---- CLIENT ------------------------------------------------------------- */

static int cmd_client_id(server_ctx *x)
{
    return reply_integer(x->out, x->client ? (int64_t)x->client->id : 0);
}

static int cmd_client_getname(server_ctx *x)
{
    server_client *c = x->client;
    if (c == NULL || c->name == NULL)
        return reply_null(x->out);
    return reply_bulk(x->out, c->name, strlen(c->name));
}

static int cmd_client_setname(server_ctx *x)
{
    SERVER_TRY(server_conn_set_name(x, &x->argv[2]));
    return reply_simple(x->out, "OK");
}

static int cmd_client_info(server_ctx *x)
{
    resp_buf b;
    resp_buf_init(&b);
    server_client *c = x->client;
    if (c != NULL) {
        pthread_mutex_lock(&c->loop->lock);
        int rc = server_client_info_line(c, &b, value_now_ms());
        pthread_mutex_unlock(&c->loop->lock);
        if (rc != 0) {
            resp_buf_free(&b);
            return -1;
        }
    }
    int rc = reply_verbatim(x->out, "txt", b.data, b.len);
    resp_buf_free(&b);
    return rc;
}

/* Which clients a CLIENT LIST or KILL filter selects. */
typedef struct client_filter {
    uint64_t *ids;       /**< ID filter (LIST takes several) */
    size_t nids;         /**< how many; 0: no ID filter */
    int type;            /**< -1 any, 0 normal, 1 pubsub, 2 none match
                              (master, replica) */
    const resp_value *addr, *laddr;
    bool skipme;         /**< KILL: not the caller */
} client_filter;

/* TYPE's names as Redis's getClientTypeByName(). */
static int client_type(const resp_value *v)
{
    if (strcasecmp(v->str, "normal") == 0)
        return 0;
    if (strcasecmp(v->str, "pubsub") == 0)
        return 1;
    if (strcasecmp(v->str, "master") == 0 ||
        strcasecmp(v->str, "replica") == 0 ||
        strcasecmp(v->str, "slave") == 0)
        return 2;
    return -1;
}

/* Called with c's loop lock held, maybe from another loop's thread: only
 * fields that never change, atomics, and what the lock guards. */
static bool matches(const client_filter *f, const server_client *c,
                    const server_client *me)
{
    if (f->skipme && c == me)
        return false;
    if (atomic_load_explicit(&c->kill, memory_order_relaxed))
        return false;
    if (f->nids > 0) {
        bool hit = false;
        for (size_t i = 0; i < f->nids && !hit; i++)
            hit = f->ids[i] == c->id;
        if (!hit)
            return false;
    }
    if (f->type >= 0) {
        bool ps = server_conn_subscribed(c);
        if (f->type == 2 || (f->type == 1) != ps)
            return false;
    }
    if (f->addr != NULL && strcmp(f->addr->str, c->addr) != 0)
        return false;
    if (f->laddr != NULL && strcmp(f->laddr->str, c->laddr) != 0)
        return false;
    return true;
}

typedef struct list_line {
    uint64_t id;
    size_t at, len;
} list_line;

static int line_cmp(const void *a, const void *b)
{
    const list_line *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmd_client_list(server_ctx *x)
{
    client_filter f = {.type = -1};
    for (size_t i = 2; i < x->argc; i++) {
        if (server_arg_is(x, i, "TYPE") && i + 1 < x->argc) {
            f.type = client_type(&x->argv[i + 1]);
            if (f.type < 0) {
                free(f.ids);
                return server_error(x, "ERR Unknown client type '%.128s'",
                                    x->argv[i + 1].str) == SERVER_REPLIED
                           ? 0 : -1;
            }
            i++;
        } else if (server_arg_is(x, i, "ID") && i + 1 < x->argc) {
            free(f.ids);
            f.ids = xmalloc((x->argc - i) * sizeof *f.ids);
            if (f.ids == NULL)
                return -1;
            f.nids = 0;
            for (i++; i < x->argc; i++) {
                int64_t id;
                if (resp_parse_int(x->argv[i].str, x->argv[i].len, &id) != 0) {
                    free(f.ids);
                    return reply_error(x->out, "ERR Invalid client ID");
                }
                f.ids[f.nids++] = (uint64_t)id;
            }
        } else {
            free(f.ids);
            return server_syntax_error(x) == SERVER_REPLIED ? 0 : -1;
        }
    }
    resp_buf b;
    resp_buf_init(&b);
    list_line *lines = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    int64_t now = value_now_ms();
    if (x->srv != NULL) {
        for (unsigned li = 0; li < x->srv->nloops && rc == 0; li++) {
            server_loop *l = &x->srv->loops[li];
            pthread_mutex_lock(&l->lock);
            for (server_client *c = l->clients; c != NULL && rc == 0;
                 c = c->next) {
                if (!matches(&f, c, NULL))
                    continue;
                if (n == cap) {
                    size_t nc = cap ? cap * 2 : 16;
                    list_line *p = xrealloc(lines, nc * sizeof *p);
                    if (p == NULL) {
                        rc = -1;
                        break;
                    }
                    lines = p;
                    cap = nc;
                }
                size_t at = b.len;
                if (server_client_info_line(c, &b, now) != 0) {
                    rc = -1;
                    break;
                }
                lines[n++] = (list_line){c->id, at, b.len - at};
            }
            pthread_mutex_unlock(&l->lock);
        }
    }
    resp_buf sorted;
    resp_buf_init(&sorted);
    if (rc == 0) {
        if (n > 0)
            qsort(lines, n, sizeof *lines, line_cmp);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = resp_buf_append(&sorted, b.data + lines[i].at, lines[i].len);
    }
    if (rc == 0)
        rc = reply_verbatim(x->out, "txt", sorted.data, sorted.len);
    resp_buf_free(&sorted);
    resp_buf_free(&b);
    free(lines);
    free(f.ids);
    return rc;
}

/* Mark every client f selects for closing; returns how many.  The caller
 * itself is closed after this reply. */
static size_t kill_matching(server_ctx *x, const client_filter *f)
{
    size_t n = 0;
    if (x->srv == NULL)
        return 0;
    for (unsigned li = 0; li < x->srv->nloops; li++) {
        server_loop *l = &x->srv->loops[li];
        bool wake = false;
        pthread_mutex_lock(&l->lock);
        for (server_client *c = l->clients; c != NULL; c = c->next) {
            if (!matches(f, c, x->client))
                continue;
            n++;
            if (c == x->client) {
                c->close_after_reply = true;
                continue;
            }
            atomic_store_explicit(&c->kill, true, memory_order_relaxed);
            wake = true;
        }
        pthread_mutex_unlock(&l->lock);
        if (wake) {
            /* Release: the owner's acquire exchange of kill_pending then
             * sees the flags stored above. */
            atomic_store_explicit(&l->kill_pending, true,
                                  memory_order_release);
            server_loop_wake(l);
        }
    }
    return n;
}

static int cmd_client_kill(server_ctx *x)
{
    client_filter f = {.type = -1};
    uint64_t id;
    if (x->argc == 3) { /* the old form: CLIENT KILL ip:port */
        f.addr = &x->argv[2];
        if (kill_matching(x, &f) == 0)
            return reply_error(x->out, "ERR No such client");
        return reply_simple(x->out, "OK");
    }
    f.skipme = true;
    for (size_t i = 2; i < x->argc; i += 2) {
        if (i + 1 >= x->argc)
            return server_syntax_error(x) == SERVER_REPLIED ? 0 : -1;
        const resp_value *v = &x->argv[i + 1];
        if (server_arg_is(x, i, "ID")) {
            int64_t n;
            if (resp_parse_int(v->str, v->len, &n) != 0 || n <= 0)
                return reply_error(x->out, "ERR client-id should be greater "
                                   "than 0");
            id = (uint64_t)n;
            f.ids = &id;
            f.nids = 1;
        } else if (server_arg_is(x, i, "TYPE")) {
            f.type = client_type(v);
            if (f.type < 0)
                return server_error(x, "ERR Unknown client type '%.128s'",
                                    v->str) == SERVER_REPLIED ? 0 : -1;
        } else if (server_arg_is(x, i, "ADDR")) {
            f.addr = v;
        } else if (server_arg_is(x, i, "LADDR")) {
            f.laddr = v;
        } else if (server_arg_is(x, i, "USER")) {
            if (strcmp(v->str, "default") != 0)
                return server_error(x, "ERR No such user '%.128s'", v->str)
                           == SERVER_REPLIED ? 0 : -1;
        } else if (server_arg_is(x, i, "SKIPME")) {
            if (strcasecmp(v->str, "yes") == 0)
                f.skipme = true;
            else if (strcasecmp(v->str, "no") == 0)
                f.skipme = false;
            else
                return server_syntax_error(x) == SERVER_REPLIED ? 0 : -1;
        } else {
            return server_syntax_error(x) == SERVER_REPLIED ? 0 : -1;
        }
    }
    return reply_integer(x->out, (int64_t)kill_matching(x, &f));
}

/* The line CLIENT LIST and CLIENT INFO print for one client. */
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

const server_command server_client_subcommands[] = {
    {.name = "id", .arity = 2, .flags = SERVER_CMD_LOADING | SERVER_CMD_FAST,
     .fn = cmd_client_id, .group = "connection", .since = "5.0.0",
     .summary = "Returns the unique client ID of the connection."},
    {.name = "getname", .arity = 2,
     .flags = SERVER_CMD_LOADING | SERVER_CMD_FAST, .fn = cmd_client_getname,
     .group = "connection", .since = "2.6.9",
     .summary = "Returns the name of the connection."},
    {.name = "setname", .arity = 3,
     .flags = SERVER_CMD_LOADING | SERVER_CMD_FAST, .fn = cmd_client_setname,
     .group = "connection", .since = "2.6.9",
     .summary = "Sets the connection name."},
    {.name = "info", .arity = 2, .flags = SERVER_CMD_LOADING |
     SERVER_CMD_RANDOM, .fn = cmd_client_info, .group = "connection",
     .since = "6.2.0",
     .summary = "Returns information about the connection."},
    {.name = "list", .arity = -2, .flags = SERVER_CMD_LOADING |
     SERVER_CMD_RANDOM, .fn = cmd_client_list, .group = "connection",
     .since = "2.4.0", .summary = "Lists open connections."},
    {.name = "kill", .arity = -3, .flags = SERVER_CMD_LOADING,
     .fn = cmd_client_kill, .group = "connection", .since = "2.4.0",
     .summary = "Terminates open connections."},
    {.name = NULL},
};
