/* server_cmd.c - find a read command, check its arity, refuse writes.
 * Chapter 11.
 *
 * The lookup is a linear walk over the family tables with a
 * case-insensitive compare: about a hundred names, each compared only
 * while its first byte matches, which costs less than hashing the name
 * would for a table this small, and needs no index to build or lock.
 * Write commands are not in these tables at all; chapter 9's table
 * (cmd_lookup()) knows them, so a name it knows as a write is answered
 * with -READONLY after its arity is checked, the order redis/redis
 * src/server.c processCommand() checks them in.  The helpers at the end
 * give every handler Redis's exact error words for bad numbers and wrong
 * types.
 */
#include "server_cmd.h"

#include "cmd.h"
#include "server_stats.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const server_command *const tables[] = {
    server_cmds_conn,   server_cmds_string, server_cmds_bits,
    server_cmds_hll,    server_cmds_keys,   server_cmds_hash,
    server_cmds_list,   server_cmds_set,    server_cmds_zset,
    server_cmds_geo,    server_cmds_sort,   server_cmds_stream,
    server_cmds_info,   server_cmds_pubsub, server_cmds_debug,
};

const server_command *const *server_cmd_tables(size_t *n)
{
    *n = sizeof tables / sizeof tables[0];
    return tables;
}

/* Table names are lower case; s is as the client sent it. */
static bool name_is(const char *table_name, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (table_name[i] == '\0' ||
            table_name[i] != (char)tolower((unsigned char)s[i]))
            return false;
    return table_name[len] == '\0';
}

static const server_command *find_in(const server_command *t,
                                     const char *name, size_t len)
{
    for (; t->name != NULL; t++)
        if (name_is(t->name, name, len))
            return t;
    return NULL;
}

const server_command *server_cmd_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const server_command *c = find_in(tables[i], name, len);
        if (c != NULL)
            return c;
    }
    return NULL;
}

static bool arity_ok(int arity, size_t argc)
{
    return arity >= 0 ? argc == (size_t)arity : argc >= (size_t)-arity;
}

/* The entry run for every write command: its own flags let the core
 * check AUTH before it, as Redis does. */
static int readonly_reply(server_ctx *x)
{
    return reply_error(x->out,
                       "READONLY You can't write against a read only "
                       "replica.");
}

static const server_command write_command = {
    .name = "write",
    .arity = -1,
    .flags = SERVER_CMD_LOADING | SERVER_CMD_PUBSUB,
    .fn = readonly_reply,
};

/* Redis quotes the start of the arguments in "unknown command", at most
 * about 128 bytes of them, with CR and LF turned into spaces so the error
 * stays one line. */
static int unknown_command(server_ctx *x)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg,
                     "ERR unknown command '%.128s', with args beginning "
                     "with: ",
                     x->argv[0].str);
    size_t len = n > 0 && (size_t)n < sizeof msg ? (size_t)n : 0;
    size_t args = 0;
    for (size_t i = 1; i < x->argc && args < 128; i++) {
        int w = snprintf(msg + len, sizeof msg - len, "'%.*s' ",
                         (int)(128 - args), x->argv[i].str);
        if (w < 0 || (size_t)w >= sizeof msg - len)
            break;
        len += (size_t)w;
        args += (size_t)w;
    }
    for (size_t i = 0; i < len; i++)
        if (msg[i] == '\r' || msg[i] == '\n')
            msg[i] = ' ';
    return reply_error(x->out, msg);
}

static int arity_error(server_ctx *x)
{
    char name[64];
    server_cmd_fullname(x, name, sizeof name);
    return server_error(x, "ERR wrong number of arguments for '%s' command",
                        name) == SERVER_REPLIED ? 0 : -1;
}

void server_cmd_fullname(const server_ctx *x, char *buf, size_t n)
{
    const server_command *top = server_cmd_find(x->argv[0].str,
                                                x->argv[0].len);
    size_t len = 0;
    if (n == 0)
        return;
    for (size_t i = 0; i < x->argv[0].len && len + 1 < n; i++)
        buf[len++] = (char)tolower((unsigned char)x->argv[0].str[i]);
    if (top != NULL && top->subcommands != NULL && x->argc > 1 &&
        len + 1 < n) {
        buf[len++] = '|';
        for (size_t i = 0; i < x->argv[1].len && len + 1 < n; i++)
            buf[len++] = (char)tolower((unsigned char)x->argv[1].str[i]);
    }
    buf[len] = '\0';
}

/* The name is not a read command: a write of chapter 9's table gets
 * -READONLY once its arity is right; anything else is unknown. */
static const server_command *resolve_other(server_ctx *x)
{
    const cmd_spec *w = cmd_lookup(x->argv[0].str, x->argv[0].len);
    if (w == NULL || (w->flags & CMD_WRITE) == 0) {
        if (unknown_command(x) != 0)
            errno = ENOMEM;
        return NULL;
    }
    if (!arity_ok(w->arity, x->argc)) {
        char name[64];
        snprintf(name, sizeof name, "%s", w->name);
        if (server_error(x, "ERR wrong number of arguments for '%s' "
                         "command", name) != SERVER_REPLIED)
            errno = ENOMEM;
        return NULL;
    }
    x->cmd = &write_command;
    return &write_command;
}

/* [ch11-resolve] */
const server_command *server_cmd_resolve(server_ctx *x)
{
    /* learn: ch11 server_cmd_resolve "The command table" */
    const server_command *c = server_cmd_find(x->argv[0].str,
                                              x->argv[0].len);
    if (c == NULL)
        return resolve_other(x);
    if (c->subcommands != NULL && x->argc >= 2) {
        const server_command *sub = find_in(c->subcommands, x->argv[1].str,
                                            x->argv[1].len);
        if (sub == NULL) {
            char up[64];
            size_t i = 0;
            for (; i < x->argv[0].len && i + 1 < sizeof up; i++)
                up[i] = (char)toupper((unsigned char)x->argv[0].str[i]);
            up[i] = '\0';
            if (server_error(x, "ERR unknown subcommand '%.128s'. Try %s "
                             "HELP.", x->argv[1].str, up) != SERVER_REPLIED)
                errno = ENOMEM;
            return NULL;
        }
        c = sub;
    }
    if (!arity_ok(c->arity, x->argc)) {
        if (arity_error(x) != 0)
            errno = ENOMEM;
        return NULL;
    }
    x->cmd = c;
    return c;
    /* learn: end */
}
/* [ch11-resolve] */

int server_cmd_run(server_ctx *x)
{
    size_t before = x->out->out.len;
    const server_command *c = server_cmd_resolve(x);
    int rc = 0;
    if (c == NULL)
        rc = x->out->out.len == before ? -1 : 0;
    else if (c->fn == NULL)
        rc = arity_error(x); /* a container without a subcommand */
    else
        rc = c->fn(x);
    if (rc != 0)
        x->out->out.len = before;
    return rc;
}

/* ---- helpers for handlers ----------------------------------------------- */

int server_error(server_ctx *x, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    return reply_error(x->out, msg) == 0 ? SERVER_REPLIED : SERVER_NOMEM;
}

int server_syntax_error(server_ctx *x)
{
    return server_error(x, "ERR syntax error");
}

bool server_arg_is(const server_ctx *x, size_t i, const char *kw)
{
    return i < x->argc && strlen(kw) == x->argv[i].len &&
           strncasecmp(x->argv[i].str, kw, x->argv[i].len) == 0;
}

int server_arg_ll(server_ctx *x, size_t i, long long *out)
{
    int64_t v;
    if (i < x->argc && x->argv[i].len > 0 &&
        resp_parse_int(x->argv[i].str, x->argv[i].len, &v) == 0) {
        *out = v;
        return SERVER_OK;
    }
    return server_error(x, "ERR value is not an integer or out of range");
}

int server_arg_double(server_ctx *x, size_t i, double *out)
{
    if (i < x->argc && x->argv[i].len > 0 && x->argv[i].len < 512 &&
        !isspace((unsigned char)x->argv[i].str[0])) {
        char *end;
        errno = 0;
        double d = strtod(x->argv[i].str, &end);
        if (end == x->argv[i].str + x->argv[i].len && !isnan(d) &&
            !(errno == ERANGE && d != 0 && !isinf(d))) {
            *out = d;
            return SERVER_OK;
        }
    }
    return server_error(x, "ERR value is not a valid float");
}

int server_lookup(server_ctx *x, size_t i, int type, const value **out)
{
    const value *v = keyspace_get_live(x->ks, x->db, x->argv[i].str,
                                       x->argv[i].len, x->now_ms);
    *out = NULL;
    if (v == NULL) {
        x->misses++;
        return SERVER_OK;
    }
    x->hits++;
    if (type >= 0 && (int)v->type != type)
        return server_error(x, "WRONGTYPE Operation against a key holding "
                            "the wrong kind of value");
    *out = v;
    return SERVER_OK;
}

uint64_t server_rand(server_ctx *x)
{
    uint64_t s = *x->rng ? *x->rng : UINT64_C(0x9e3779b97f4a7c15);
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    *x->rng = s;
    return s * UINT64_C(2685821657736338717);
}

int server_block(server_ctx *x, int64_t deadline_ms, size_t argc,
                 const resp_value *argv)
{
    if (x->client == NULL)
        return reply_null_array(x->out);
    return server_client_block(x, deadline_ms, argc, argv);
}
