/* server_config_cmd.c - CONFIG GET, and CONFIG's refusals, for a replica
 * whose settings are fixed at start.
 * Chapter 11.
 *
 * Tools ask a server for its configuration (redis_exporter reads
 * maxmemory and maxclients, client libraries read databases, redis-cli
 * reads save and appendonly), so CONFIG GET answers the parameters a
 * Redis replica has that mean something here, with Redis's names (both
 * spellings where Redis has two: replicaof and slaveof,
 * replica-read-only and slave-read-only) and values written the way
 * Redis writes them ("yes"/"no", bytes as plain numbers, a list as one
 * space-separated string).  Each pattern is matched with glob.h's
 * case-insensitive match, as Redis 7.0 does, several patterns may be
 * given, and a parameter matched twice is listed once.  The reply is a
 * map, in table order (Redis's is its dictionary's order, so clients do
 * not rely on one).  masterauth and masteruser read as empty strings:
 * the link's credentials are the link's, not given to the server (Redis
 * would show them).
 *
 * Settings come from the command line or the configuration file only, so
 * CONFIG SET refuses every parameter with Redis's own error for a setting
 * that cannot change at run time, CONFIG REWRITE refuses as Redis does
 * without a file (or says why with one), and CONFIG RESETSTAT refuses
 * because the counters belong to the server core and are not reset here.
 */
#include "server_info.h"

#include "glob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* What a parameter's value is computed from. */
typedef struct config_src {
    const server_options *opt; /* never NULL (defaults when no server) */
    const repl_status *repl;   /* NULL without a link */
    int tcp_port;              /* the port actually listened on */
    unsigned databases;
} config_src;

typedef void config_value_fn(const config_src *c, char *buf, size_t n);

typedef struct config_param {
    const char *name;
    config_value_fn *fn;  /* NULL: the constant below */
    const char *constant;
} config_param;

static const char *str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static void v_bind(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%s", c->opt->bind ? c->opt->bind : "127.0.0.1");
}
static void v_port(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%d", c->tcp_port > 0 ? c->tcp_port
                         : c->opt->port > 0 ? c->opt->port : 0);
}
static void v_tls_port(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%d", c->opt->tls.port);
}
static void v_tls_cert(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%s", str_or_empty(c->opt->tls.cert_file));
}
static void v_tls_key(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%s", str_or_empty(c->opt->tls.key_file));
}
static void v_tls_ca(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%s", str_or_empty(c->opt->tls.ca_file));
}
static void v_tls_ca_dir(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%s", str_or_empty(c->opt->tls.ca_dir));
}
static void v_tls_auth(const config_src *c, char *b, size_t n)
{
    int a = c->opt->tls.auth_clients;
    snprintf(b, n, "%s", a == 0 ? "no" : a == 2 ? "optional" : "yes");
}
static void v_requirepass(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%s", str_or_empty(c->opt->requirepass));
}
static void v_replicaof(const config_src *c, char *b, size_t n)
{
    if (c->repl != NULL && c->repl->master_host[0] != '\0')
        snprintf(b, n, "%s %d", c->repl->master_host, c->repl->master_port);
    else
        snprintf(b, n, "%s", "");
}
static void v_databases(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%u", c->databases);
}
static void v_maxclients(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%u", c->opt->maxclients);
}
static void v_timeout(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%d", c->opt->timeout_s);
}
static void v_keepalive(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%d", c->opt->tcp_keepalive_s);
}
static void v_bulk(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%llu", (unsigned long long)c->opt->proto_max_bulk_len);
}
static void v_query_limit(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%llu", (unsigned long long)c->opt->query_buffer_limit);
}
static void v_output_limit(const config_src *c, char *b, size_t n)
{
    /* Redis's format: class hard soft soft-seconds, for each class.  Only
     * hard limits exist here. */
    snprintf(b, n, "normal %llu 0 0 slave 0 0 0 pubsub %llu 0 0",
             (unsigned long long)c->opt->output_limit_normal,
             (unsigned long long)c->opt->output_limit_pubsub);
}
static void v_protected(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%s", c->opt->protected_mode ? "yes" : "no");
}
static void v_loglevel(const config_src *c, char *b, size_t n)
{
    static const char *const names[] = {"debug", "verbose", "notice",
                                        "warning"};
    unsigned l = (unsigned)c->opt->log_level;
    snprintf(b, n, "%s", l < 4 ? names[l] : "notice");
}
static void v_threads(const config_src *c, char *b, size_t n)
{
    snprintf(b, n, "%u", c->opt->threads ? c->opt->threads : 1);
}
static void v_dir(const config_src *c, char *b, size_t n)
{
    (void)c;
    if (getcwd(b, n) == NULL)
        snprintf(b, n, "%s", "");
}

static const config_param params[] = {
    {"bind", v_bind, NULL},
    {"port", v_port, NULL},
    {"tls-port", v_tls_port, NULL},
    {"tls-cert-file", v_tls_cert, NULL},
    {"tls-key-file", v_tls_key, NULL},
    {"tls-ca-cert-file", v_tls_ca, NULL},
    {"tls-ca-cert-dir", v_tls_ca_dir, NULL},
    {"tls-auth-clients", v_tls_auth, NULL},
    {"requirepass", v_requirepass, NULL},
    {"masterauth", NULL, ""},
    {"masteruser", NULL, ""},
    {"replicaof", v_replicaof, NULL},
    {"slaveof", v_replicaof, NULL},
    {"databases", v_databases, NULL},
    {"maxclients", v_maxclients, NULL},
    {"timeout", v_timeout, NULL},
    {"tcp-keepalive", v_keepalive, NULL},
    {"proto-max-bulk-len", v_bulk, NULL},
    {"client-query-buffer-limit", v_query_limit, NULL},
    {"client-output-buffer-limit", v_output_limit, NULL},
    {"protected-mode", v_protected, NULL},
    {"loglevel", v_loglevel, NULL},
    {"io-threads", v_threads, NULL},
    {"dir", v_dir, NULL},
    {"dbfilename", NULL, "dump.rdb"},
    {"appendonly", NULL, "no"},
    {"save", NULL, ""},
    {"maxmemory", NULL, "0"},
    {"maxmemory-policy", NULL, "noeviction"},
    {"replica-read-only", NULL, "yes"},
    {"slave-read-only", NULL, "yes"},
    {"replica-serve-stale-data", NULL, "yes"},
    {"slave-serve-stale-data", NULL, "yes"},
    {"replica-priority", NULL, "100"},
    {"slave-priority", NULL, "100"},
    {"replica-announced", NULL, "yes"},
    {"cluster-enabled", NULL, "no"},
    {"daemonize", NULL, "no"},
    {"supervised", NULL, "no"},
    {"logfile", NULL, ""},
    {"pidfile", NULL, ""},
    {"unixsocket", NULL, ""},
    {"hz", NULL, "10"},
    {"notify-keyspace-events", NULL, ""},
};

#define NPARAMS (sizeof params / sizeof params[0])

/* The options in force: the server's, or those server.h documents as
 * defaults when there is no server (handler tests). */
static const server_options *options_of(const server_ctx *x)
{
    static const server_options defaults = {
        .bind = "127.0.0.1",
        .port = 6380,
        .threads = 1,
        .protected_mode = true,
        .maxclients = 10000,
        .tcp_keepalive_s = 300,
        .proto_max_bulk_len = 512ull << 20,
        .query_buffer_limit = 1ull << 30,
        .max_args = 1048576,
        .output_limit_pubsub = 32ull << 20,
        .log_level = SERVER_LOG_NOTICE,
        .tls = {.auth_clients = 1},
    };
    const server_options *o = x->srv ? server_get_options(x->srv) : NULL;
    return o != NULL ? o : &defaults;
}

int server_config_get_cmd(server_ctx *x)
{
    /* chosen[i]: parameter i is in the reply, under the name as_given[i]
     * when a plain name asked for it (Redis answers with the client's
     * spelling then), else its own. */
    bool chosen[NPARAMS] = {false};
    const resp_value *as_given[NPARAMS] = {NULL};
    size_t n = 0;
    for (size_t a = 2; a < x->argc; a++) {
        const resp_value *p = &x->argv[a];
        bool literal = glob_is_literal(p->str, p->len);
        for (size_t i = 0; i < NPARAMS; i++) {
            if (chosen[i])
                continue;
            if (glob_match(p->str, p->len, params[i].name,
                           strlen(params[i].name), true)) {
                chosen[i] = true;
                as_given[i] = literal ? p : NULL;
                n++;
            }
        }
    }
    repl_status st;
    repl *link = x->srv != NULL ? server_link(x->srv) : NULL;
    if (link != NULL)
        repl_status_get(link, &st);
    server_info in;
    memset(&in, 0, sizeof in);
    if (x->srv != NULL)
        server_info_get(x->srv, &in);
    config_src src = {
        .opt = options_of(x),
        .repl = link != NULL ? &st : NULL,
        .tcp_port = in.tcp_port,
        .databases = x->databases,
    };
    if (reply_map(x->out, n) != 0)
        return -1;
    for (size_t i = 0; i < NPARAMS; i++) {
        if (!chosen[i])
            continue;
        char val[1024];
        if (params[i].fn != NULL)
            params[i].fn(&src, val, sizeof val);
        else
            snprintf(val, sizeof val, "%s", params[i].constant);
        const char *name = as_given[i] ? as_given[i]->str : params[i].name;
        size_t nl = as_given[i] ? as_given[i]->len : strlen(params[i].name);
        if (reply_bulk(x->out, name, nl) != 0 ||
            reply_bulk(x->out, val, strlen(val)) != 0)
            return -1;
    }
    return 0;
}

int server_config_set_cmd(server_ctx *x)
{
    /* CONFIG SET name value [name value ...]: pairs, as Redis 7.0. */
    if ((x->argc - 2) % 2 != 0)
        return server_syntax_error(x) == SERVER_REPLIED ? 0 : -1;
    const resp_value *name = &x->argv[2];
    for (size_t i = 0; i < NPARAMS; i++)
        if (strlen(params[i].name) == name->len &&
            strncasecmp(params[i].name, name->str, name->len) == 0)
            return server_error(x, "ERR CONFIG SET failed (possibly related "
                                "to argument '%s') - can't set immutable "
                                "config", params[i].name) == SERVER_REPLIED
                       ? 0 : -1;
    return server_error(x, "ERR Unknown option or number of arguments for "
                        "CONFIG SET - '%.128s'", name->str) == SERVER_REPLIED
               ? 0 : -1;
}

int server_config_resetstat_cmd(server_ctx *x)
{
    return server_error(x, "ERR CONFIG RESETSTAT is not supported: this "
                        "replica's counters cannot be reset") ==
                   SERVER_REPLIED ? 0 : -1;
}

int server_config_rewrite_cmd(server_ctx *x)
{
    const server_options *o = options_of(x);
    int rc = o->config_file == NULL
                 ? server_error(x, "ERR The server is running without a "
                                "config file")
                 : server_error(x, "ERR CONFIG REWRITE is not supported: "
                                "edit %.200s and restart", o->config_file);
    return rc == SERVER_REPLIED ? 0 : -1;
}

int server_config_help_cmd(server_ctx *x)
{
    static const char *const lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern> [<pattern> ...]",
        "    Return the parameters matching the glob-like patterns, and "
        "their values.",
        "SET <directive> <value>",
        "    Refused: this replica's settings come from its command line "
        "or its",
        "    configuration file.",
        "RESETSTAT",
        "    Refused: the statistics are not reset.",
        "REWRITE",
        "    Refused: edit the configuration file instead.",
        "HELP",
        "    Print this help.",
    };
    size_t n = sizeof lines / sizeof lines[0];
    if (reply_array(x->out, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (reply_simple(x->out, lines[i]) != 0)
            return -1;
    return 0;
}
