/* server_conn_cmds.c - the connection's commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET (and CLIENT's table entry).
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
 * CLIENT, the one that sees every loop's clients, is server_client_cmds.c;
 * server_conn_cmds.h joins the two files.
 */
#include "server_conn_cmds.h"

#include "alloc.h"
#include "value.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool server_conn_subscribed(const server_client *c)
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
    if (server_conn_subscribed(x->client) && x->out->proto == 2) {
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
        SERVER_TRY(server_conn_set_name(x, name));
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
        if (server_conn_set_name(x, &empty) != SERVER_OK)
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
     .subcommands = server_client_subcommands},
    {.name = NULL},
};
