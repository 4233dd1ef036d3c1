/* server_conn_cmds.c - the connection's commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET, CLIENT.
 * Chapter 11.
 *
 * These commands read no keys; they read and change the connection
 * itself (protocol, password, database, name), so unlike every other
 * family they reach into server_client (server_private.h).  Each works
 * without a connection too (ctx.client NULL, the handler tests), answering
 * as a fresh connection would.  Texts follow Redis 7.0.15 as a replica
 * answers (HELLO says role "replica"; READONLY and READWRITE are cluster
 * commands, refused outside cluster mode): redis/redis src/networking.c
 * (CLIENT, HELLO), src/acl.c (AUTH), src/server.c (PING, ECHO), src/db.c
 * (SELECT).
 *
 * CLIENT LIST and CLIENT KILL see every loop's clients: each loop's list is
 * read under that loop's lock (one at a time, never two together, so no
 * lock order is needed), and a kill is a flag the owning loop acts on when
 * its eventfd wakes it, because only the owner may touch a client's socket.
 */
#include "server_private.h"

#include "alloc.h"
#include "value.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool subscribed(const server_client *c)
{
    return c != NULL &&
           atomic_load_explicit(&c->subs, memory_order_relaxed) +
                   atomic_load_explicit(&c->psubs, memory_order_relaxed) > 0;
}

static int cmd_ping(server_ctx *x)
{
    if (x->argc > 2)
        return server_error(x, "ERR wrong number of arguments for 'ping' "
                            "command") == SERVER_REPLIED ? 0 : -1;
    /* RESP2 subscribed mode answers with a Pub/Sub-shaped array. */
    if (subscribed(x->client) && x->out->proto == 2) {
        const char *m = x->argc == 2 ? x->argv[1].str : "";
        size_t ml = x->argc == 2 ? x->argv[1].len : 0;
        return reply_array(x->out, 2) || reply_bulk(x->out, "pong", 4) ||
               reply_bulk(x->out, m, ml) ? -1 : 0;
    }
    if (x->argc == 2)
        return reply_bulk(x->out, x->argv[1].str, x->argv[1].len);
    return reply_simple(x->out, "PONG");
}

static int cmd_echo(server_ctx *x)
{
    return reply_bulk(x->out, x->argv[1].str, x->argv[1].len);
}

/* Compare without an early exit, so the time taken does not tell how many
 * leading bytes of a guess were right. */
static bool same_secret(const char *a, size_t al, const char *b)
{
    size_t bl = strlen(b), n = al > bl ? al : bl;
    unsigned char diff = al != bl;
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = i < al ? (unsigned char)a[i] : 0;
        unsigned char cb = i < bl ? (unsigned char)b[i] : 0;
        diff |= ca ^ cb;
    }
    return diff == 0;
}

/* The only user is "default": no password configured means any password
 * is accepted for it (Redis's "nopass"). */
static bool check_user(const server_ctx *x, const resp_value *user,
                       const resp_value *pass)
{
    if (user != NULL && !(user->len == 7 && memcmp(user->str, "default",
                                                   7) == 0))
        return false;
    const char *want = x->srv ? server_get_options(x->srv)->requirepass
                              : NULL;
    return want == NULL || same_secret(pass->str, pass->len, want);
}

static int wrongpass(server_ctx *x)
{
    if (x->srv != NULL)
        server_logf(x->srv, SERVER_LOG_NOTICE, "AUTH failed (client id=%llu "
                    "addr=%s)", x->client ? (unsigned long long)x->client->id
                    : 0ULL, x->client ? x->client->addr : "?");
    return reply_error(x->out, "WRONGPASS invalid username-password pair or "
                       "user is disabled.");
}

static int cmd_auth(server_ctx *x)
{
    const char *want = x->srv ? server_get_options(x->srv)->requirepass
                              : NULL;
    if (x->argc > 3)
        return server_syntax_error(x) == SERVER_REPLIED ? 0 : -1;
    if (x->argc == 2 && want == NULL)
        return reply_error(x->out, "ERR AUTH <password> called without any "
                           "password configured for the default user. Are "
                           "you sure your configuration is correct?");
    const resp_value *user = x->argc == 3 ? &x->argv[1] : NULL;
    if (!check_user(x, user, &x->argv[x->argc - 1]))
        return wrongpass(x);
    if (x->client != NULL)
        x->client->authed = true;
    return reply_simple(x->out, "OK");
}

/* CLIENT SETNAME's rule: '!' to '~' only (no spaces or control bytes). */
static bool valid_name(const resp_value *v)
{
    for (size_t i = 0; i < v->len; i++)
        if (v->str[i] < '!' || v->str[i] > '~')
            return false;
    return true;
}

static int set_name(server_ctx *x, const resp_value *v)
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

static int cmd_hello(server_ctx *x)
{
    server_client *c = x->client;
    long long ver = x->out->proto;
    size_t i = 1;
    if (x->argc >= 2) {
        int64_t v;
        if (resp_parse_int(x->argv[1].str, x->argv[1].len, &v) != 0)
            return reply_error(x->out, "ERR Protocol version is not an "
                               "integer or out of range");
        if (v < 2 || v > 3)
            return reply_error(x->out, "NOPROTO unsupported protocol "
                               "version");
        ver = v;
        i = 2;
    }
    const resp_value *user = NULL, *pass = NULL, *name = NULL;
    for (; i < x->argc; i++) {
        size_t more = x->argc - 1 - i;
        if (server_arg_is(x, i, "AUTH") && more >= 2) {
            user = &x->argv[i + 1];
            pass = &x->argv[i + 2];
            i += 2;
        } else if (server_arg_is(x, i, "SETNAME") && more >= 1) {
            name = &x->argv[++i];
        } else {
            SERVER_TRY(server_error(x, "ERR Syntax error in HELLO option "
                                    "'%.128s'", x->argv[i].str));
        }
    }
    if (user != NULL) {
        if (!check_user(x, user, pass))
            return wrongpass(x);
        if (c != NULL)
            c->authed = true;
    }
    if (c != NULL && !c->authed)
        return reply_error(x->out, "NOAUTH HELLO must be called with the "
                           "client already authenticated, otherwise the "
                           "HELLO AUTH <user> <pass> option can be "
                           "used to authenticate the client and select the "
                           "RESP protocol version at the same time");
    if (name != NULL)
        SERVER_TRY(set_name(x, name));
    int old = x->out->proto;
    reply_set_proto(x->out, (int)ver);
    size_t before = x->out->out.len;
    if (reply_map(x->out, 7) || reply_bulk(x->out, "server", 6) ||
        reply_bulk(x->out, "redis", 5) || reply_bulk(x->out, "version", 7) ||
        reply_bulk(x->out, "7.0.15", 6) || reply_bulk(x->out, "proto", 5) ||
        reply_integer(x->out, ver) || reply_bulk(x->out, "id", 2) ||
        reply_integer(x->out, c ? (int64_t)c->id : 0) ||
        reply_bulk(x->out, "mode", 4) ||
        reply_bulk(x->out, "standalone", 10) ||
        reply_bulk(x->out, "role", 4) || reply_bulk(x->out, "replica", 7) ||
        reply_bulk(x->out, "modules", 7) || reply_array(x->out, 0)) {
        x->out->out.len = before;
        reply_set_proto(x->out, old);
        return -1;
    }
    if (c != NULL)
        atomic_store_explicit(&c->proto_shown, (int)ver,
                              memory_order_relaxed);
    return 0;
}

static int cmd_select(server_ctx *x)
{
    long long db;
    SERVER_TRY(server_arg_ll(x, 1, &db));
    if (db < INT_MIN || db > INT_MAX)
        return reply_error(x->out, "ERR value is out of range, value must "
                           "between -2147483648 and 2147483647");
    if (db < 0 || db >= (long long)x->databases)
        return reply_error(x->out, "ERR DB index is out of range");
    if (x->client != NULL) {
        x->client->db = (unsigned)db;
        atomic_store_explicit(&x->client->db_shown, (unsigned)db,
                              memory_order_relaxed);
    }
    return reply_simple(x->out, "OK");
}

static int cmd_quit(server_ctx *x)
{
    if (x->client != NULL)
        x->client->close_after_reply = true;
    return reply_simple(x->out, "OK");
}

/* RESET: the state of a new connection (redis/redis src/networking.c
 * clearClientConnectionState): db 0, RESP2, no name, no subscriptions,
 * authenticated only if no password is needed. */
static int cmd_reset(server_ctx *x)
{
    server_client *c = x->client;
    if (c != NULL) {
        static const resp_value empty = {.type = RESP_BULK, .str = ""};
        c->db = 0;
        atomic_store_explicit(&c->db_shown, 0, memory_order_relaxed);
        if (set_name(x, &empty) != SERVER_OK)
            return -1;
        c->authed = server_get_options(x->srv)->requirepass == NULL;
        server_client_reset_pubsub(c);
        reply_set_proto(x->out, 2);
        atomic_store_explicit(&c->proto_shown, 2, memory_order_relaxed);
    }
    return reply_simple(x->out, "RESET");
}

static int cmd_cluster_only(server_ctx *x)
{
    return reply_error(x->out, "ERR This instance has cluster support "
                       "disabled");
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
    SERVER_TRY(set_name(x, &x->argv[2]));
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
        bool ps = subscribed(c);
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

static const server_command client_subcommands[] = {
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

const server_command server_cmds_conn[] = {
    {.name = "ping", .arity = -1, .flags = SERVER_CMD_LOADING |
     SERVER_CMD_PUBSUB | SERVER_CMD_FAST, .fn = cmd_ping,
     .group = "connection", .since = "1.0.0",
     .summary = "Returns the server's liveliness response."},
    {.name = "echo", .arity = 2, .flags = SERVER_CMD_LOADING |
     SERVER_CMD_FAST, .fn = cmd_echo, .group = "connection",
     .since = "1.0.0", .summary = "Returns the given string."},
    {.name = "hello", .arity = -1, .flags = SERVER_CMD_NOAUTH |
     SERVER_CMD_LOADING | SERVER_CMD_FAST, .fn = cmd_hello,
     .group = "connection", .since = "6.0.0",
     .summary = "Handshakes with the Redis server."},
    {.name = "auth", .arity = -2, .flags = SERVER_CMD_NOAUTH |
     SERVER_CMD_LOADING | SERVER_CMD_FAST, .fn = cmd_auth,
     .group = "connection", .since = "1.0.0",
     .summary = "Authenticates the connection."},
    {.name = "select", .arity = 2, .flags = SERVER_CMD_LOADING |
     SERVER_CMD_FAST, .fn = cmd_select, .group = "connection",
     .since = "1.0.0", .summary = "Changes the selected database."},
    {.name = "quit", .arity = -1, .flags = SERVER_CMD_NOAUTH |
     SERVER_CMD_LOADING | SERVER_CMD_PUBSUB | SERVER_CMD_FAST,
     .fn = cmd_quit, .group = "connection", .since = "1.0.0",
     .summary = "Closes the connection."},
    {.name = "reset", .arity = 1, .flags = SERVER_CMD_NOAUTH |
     SERVER_CMD_LOADING | SERVER_CMD_PUBSUB | SERVER_CMD_FAST,
     .fn = cmd_reset, .group = "connection", .since = "6.2.0",
     .summary = "Resets the connection."},
    {.name = "readonly", .arity = 1, .flags = SERVER_CMD_LOADING |
     SERVER_CMD_FAST, .fn = cmd_cluster_only, .group = "cluster",
     .since = "3.0.0", .summary = "Enables read-only queries for a "
     "connection to a Redis Cluster replica node."},
    {.name = "readwrite", .arity = 1, .flags = SERVER_CMD_LOADING |
     SERVER_CMD_FAST, .fn = cmd_cluster_only, .group = "cluster",
     .since = "3.0.0", .summary = "Enables read-write queries for a "
     "connection to a Redis Cluster replica node."},
    {.name = "client", .arity = -2, .flags = SERVER_CMD_LOADING,
     .group = "connection", .since = "2.4.0",
     .summary = "A container for client connection commands.",
     .subcommands = client_subcommands},
    {.name = NULL},
};
