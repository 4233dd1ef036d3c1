/* replica_config.c - the replica's settings, from flags and a redis.conf-style file.
 * Chapter 11.
 *
 * One table names every key with its kind (string, number with a range,
 * memory amount, yes/no) and the field it sets; a few keys with their own
 * syntax (master, store, loglevel, client-output-buffer-limit) have their
 * own branch.  A file line and a flag go through the same
 * replica_config_set(), so the two can never disagree on what a key
 * accepts; the caller only adds where the value came from to the error.
 */
#include "replica_config.h"

#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum kind { K_STR, K_INT, K_MEM, K_BOOL, K_SPECIAL } kind;

typedef struct key_def {
    const char *name;
    kind kind;
    size_t off;
    long long min, max;
} key_def;

#define F(field) offsetof(replica_config, field)
static const key_def keys[] = {
    { "master", K_SPECIAL, 0, 0, 0 },
    { "replicaof", K_SPECIAL, 0, 0, 0 },
    { "masterauth", K_STR, F(masterauth), 0, 0 },
    { "masteruser", K_STR, F(masteruser), 0, 0 },
    { "port", K_INT, F(port), 0, 65535 },
    { "bind", K_STR, F(bind), 0, 0 },
    { "requirepass", K_STR, F(requirepass), 0, 0 },
    { "store", K_SPECIAL, 0, 0, 0 },
    { "threads", K_INT, F(threads), 1, 1024 },
    { "databases", K_INT, F(databases), 1, 1000000 },
    { "loglevel", K_SPECIAL, 0, 0, 0 },
    { "log-level", K_SPECIAL, 0, 0, 0 },
    { "tls-replication", K_BOOL, F(tls_replication), 0, 0 },
    { "tls-ca-cert-file", K_STR, F(tls_ca_cert_file), 0, 0 },
    { "tls-ca-cert-dir", K_STR, F(tls_ca_cert_dir), 0, 0 },
    { "tls-client-cert-file", K_STR, F(tls_client_cert_file), 0, 0 },
    { "tls-client-key-file", K_STR, F(tls_client_key_file), 0, 0 },
    { "tls-sni", K_STR, F(tls_sni), 0, 0 },
    { "tls-port", K_INT, F(tls_port), 0, 65535 },
    { "tls-cert-file", K_STR, F(tls_cert_file), 0, 0 },
    { "tls-key-file", K_STR, F(tls_key_file), 0, 0 },
    { "maxclients", K_INT, F(maxclients), 1, INT_MAX },
    { "proto-max-bulk-len", K_MEM, F(proto_max_bulk_len), 1, LLONG_MAX },
    { "timeout", K_INT, F(timeout), 0, INT_MAX },
    { "client-output-buffer-limit", K_SPECIAL, 0, 0, 0 },
    /* seconds, kept below INT_MAX / 1000 so repl_options' ms fit an int */
    { "repl-timeout", K_INT, F(repl_timeout), 1, INT_MAX / 1000 },
    { "enable-debug-command", K_BOOL, F(enable_debug_command), 0, 0 },
};
#undef F

static const char *const level_names[] = { "debug", "verbose", "notice",
                                           "warning" };

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int replica_config_init(replica_config *c)
{
    memset(c, 0, sizeof *c);
    c->port = 6380;
    c->bind = strdup("127.0.0.1");
    c->store = strdup("hamt");
    c->threads = 4;
    c->databases = 16;
    c->loglevel = REPLICA_CONFIG_LOG_NOTICE;
    c->maxclients = 10000;
    c->proto_max_bulk_len = 512ULL * 1024 * 1024;
    c->repl_timeout = 60;
    if (!c->bind || !c->store) {
        replica_config_free(c);
        return -1;
    }
    return 0;
}

void replica_config_free(replica_config *c)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].kind == K_STR) {
            char **p = (char **)((char *)c + keys[i].off);
            free(*p);
            *p = NULL;
        }
    free(c->master_host);
    free(c->store);
    c->master_host = c->store = NULL;
}

int replica_config_memory(const char *s, unsigned long long *out)
{
    static const struct { const char *unit; unsigned long long mul; } u[] = {
        { "", 1 }, { "b", 1 }, { "k", 1000 }, { "kb", 1024 },
        { "m", 1000 * 1000 }, { "mb", 1024 * 1024 },
        { "g", 1000ULL * 1000 * 1000 }, { "gb", 1024ULL * 1024 * 1024 },
    };
    size_t digits = 0;
    while (isdigit((unsigned char)s[digits]))
        digits++;
    if (digits == 0)
        return -1;
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        if (strcasecmp(s + digits, u[i].unit) != 0)
            continue;
        unsigned long long v = 0;
        for (size_t d = 0; d < digits; d++) {
            unsigned dv = (unsigned)(s[d] - '0');
            if (v > (ULLONG_MAX - dv) / 10)
                return -1;
            v = v * 10 + dv;
        }
        if (v > ULLONG_MAX / u[i].mul)
            return -1;
        *out = v * u[i].mul;
        return 0;
    }
    return -1;
}

/* A decimal integer with nothing after it: 0 ok, -1 not a number. */
static int parse_ll(const char *s, long long *out)
{
    if (!*s || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

static int set_str(char **field, const char *v, const char *key, char *err,
                   size_t errlen)
{
    char *copy = strdup(v);
    if (!copy) {
        fail(err, errlen, "%s: out of memory", key);
        return -1;
    }
    free(*field);
    *field = copy;
    return 0;
}

/* "host:port" or "[v6]:port" (port_text NULL), or host and port as two
 * words (replicaof). */
static int set_master(replica_config *c, const char *key, const char *host,
                      const char *port_text, char *err, size_t errlen)
{
    char hostbuf[256];
    const char *shown = port_text ? port_text : host;
    size_t hl = strlen(host);
    if (!port_text) {
        const char *colon = strrchr(host, ':');
        if (!colon)
            goto bad;
        port_text = colon + 1;
        hl = (size_t)(colon - host);
        if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
            host++;
            hl -= 2;
        } else if (memchr(host, ':', hl)) {
            goto bad; /* an IPv6 address needs its brackets */
        }
    }
    long long port;
    if (hl == 0 || hl >= sizeof hostbuf || parse_ll(port_text, &port) != 0 ||
        port < 1 || port > 65535)
        goto bad;
    memcpy(hostbuf, host, hl);
    hostbuf[hl] = '\0';
    if (set_str(&c->master_host, hostbuf, key, err, errlen) != 0)
        return -1;
    c->master_port = (int)port;
    return 0;
bad:
    fail(err, errlen, "%s: not host:port: '%s'", key, shown);
    return -1;
}

static int set_special(replica_config *c, const key_def *k, int argc,
                       char *const *argv, char *err, size_t errlen)
{
    const char *key = k->name;
    if (!strcmp(key, "replicaof")) {
        if (argc != 2) {
            fail(err, errlen, "%s: expected host and port, got %d value%s",
                 key, argc, argc == 1 ? "" : "s");
            return -1;
        }
        return set_master(c, key, argv[0], argv[1], err, errlen);
    }
    if (!strcmp(key, "client-output-buffer-limit")) {
        /* Redis's form: class hard soft soft-seconds; only "normal" here. */
        if (argc != 4) {
            fail(err, errlen, "%s: expected 'normal <hard> <soft> <seconds>'",
                 key);
            return -1;
        }
        if (strcasecmp(argv[0], "normal") != 0) {
            fail(err, errlen, "%s: only class 'normal' is supported: '%s'",
                 key, argv[0]);
            return -1;
        }
        unsigned long long hard, soft;
        long long secs;
        if (replica_config_memory(argv[1], &hard) != 0 ||
            replica_config_memory(argv[2], &soft) != 0 ||
            parse_ll(argv[3], &secs) != 0 || secs < 0) {
            fail(err, errlen, "%s: not a memory amount: '%s %s %s'", key,
                 argv[1], argv[2], argv[3]);
            return -1;
        }
        if (soft != 0 || secs != 0) {
            fail(err, errlen, "%s: only a hard limit is supported (soft and "
                 "seconds must be 0)", key);
            return -1;
        }
        c->client_output_buffer_limit_normal = hard;
        return 0;
    }
    const char *v = argv[0];
    if (!strcmp(key, "master"))
        return set_master(c, key, v, NULL, err, errlen);
    if (!strcmp(key, "store")) {
        if (!store_variant(v)) {
            fail(err, errlen, "%s: no store variant named '%s'", key, v);
            return -1;
        }
        return set_str(&c->store, v, key, err, errlen);
    }
    /* loglevel / log-level */
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(v, level_names[i])) {
            c->loglevel = (replica_config_log_level)i;
            return 0;
        }
    fail(err, errlen, "%s: not debug, verbose, notice or warning: '%s'", key,
         v);
    return -1;
}

int replica_config_set(replica_config *c, const char *key, int argc,
                       char *const *argv, char *err, size_t errlen)
{
    const key_def *k = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcasecmp(key, keys[i].name))
            k = &keys[i];
    if (!k) {
        fail(err, errlen, "unknown key '%s'", key);
        return -1;
    }
    key = k->name;
    if (argc == 0) {
        fail(err, errlen, "%s: missing value", key);
        return -1;
    }
    bool multi = !strcmp(key, "replicaof") ||
                 !strcmp(key, "client-output-buffer-limit");
    if (!multi && argc != 1) {
        fail(err, errlen, "%s: expected 1 value, got %d", key, argc);
        return -1;
    }
    void *field = (char *)c + k->off;
    const char *v = argv[0];
    switch (k->kind) {
    case K_STR:
        return set_str(field, v, key, err, errlen);
    case K_INT: {
        long long n;
        if (parse_ll(v, &n) != 0) {
            fail(err, errlen, "%s: not a number: '%s'", key, v);
            return -1;
        }
        if (n < k->min || n > k->max) {
            fail(err, errlen, "%s: out of range %lld..%lld: '%s'", key,
                 k->min, k->max, v);
            return -1;
        }
        *(int *)field = (int)n;
        return 0;
    }
    case K_MEM: {
        unsigned long long n;
        if (replica_config_memory(v, &n) != 0) {
            fail(err, errlen, "%s: not a memory amount (e.g. 512mb): '%s'",
                 key, v);
            return -1;
        }
        if (n < (unsigned long long)k->min ||
            n > (unsigned long long)k->max) {
            fail(err, errlen, "%s: out of range: '%s'", key, v);
            return -1;
        }
        *(unsigned long long *)field = n;
        return 0;
    }
    case K_BOOL:
        if (!strcasecmp(v, "yes") || !strcasecmp(v, "no")) {
            *(bool *)field = !strcasecmp(v, "yes");
            return 0;
        }
        fail(err, errlen, "%s: not yes or no: '%s'", key, v);
        return -1;
    case K_SPECIAL:
        break;
    }
    return set_special(c, k, argc, argv, err, errlen);
}

void replica_config_split_free(int argc, char **argv)
{
    if (!argv)
        return;
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)tolower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int replica_config_split(const char *line, int *argc, char ***argv)
{
    size_t cap = strlen(line) + 1;
    int n = 0;
    char **words = calloc(cap + 1, sizeof *words);
    char *buf = malloc(cap);
    if (!words || !buf)
        goto fail;
    const char *p = line;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t len = 0;
        int quote = 0; /* 0, '"' or '\'' */
        for (;;) {
            char ch = *p;
            if (quote == '"') {
                if (!ch)
                    goto fail; /* unbalanced */
                if (ch == '\\' && p[1] == 'x' && hexval(p[2]) >= 0 &&
                    hexval(p[3]) >= 0) {
                    buf[len++] = (char)(hexval(p[2]) * 16 + hexval(p[3]));
                    p += 4;
                    continue;
                }
                if (ch == '\\' && p[1]) {
                    char e = p[1];
                    buf[len++] = e == 'n' ? '\n' : e == 'r' ? '\r'
                               : e == 't' ? '\t' : e == 'b' ? '\b'
                               : e == 'a' ? '\a' : e;
                    p += 2;
                    continue;
                }
                if (ch == '"') {
                    p++;
                    if (*p && !isspace((unsigned char)*p))
                        goto fail; /* closing quote must end the word */
                    break;
                }
                buf[len++] = ch;
                p++;
            } else if (quote == '\'') {
                if (!ch)
                    goto fail;
                if (ch == '\\' && p[1] == '\'') {
                    buf[len++] = '\'';
                    p += 2;
                    continue;
                }
                if (ch == '\'') {
                    p++;
                    if (*p && !isspace((unsigned char)*p))
                        goto fail;
                    break;
                }
                buf[len++] = ch;
                p++;
            } else {
                if (!ch || isspace((unsigned char)ch))
                    break;
                if (ch == '"' || ch == '\'') {
                    quote = ch;
                } else {
                    buf[len++] = ch;
                }
                p++;
            }
        }
        char *w = malloc(len + 1);
        if (!w)
            goto fail;
        memcpy(w, buf, len);
        w[len] = '\0';
        words[n++] = w;
    }
    free(buf);
    *argc = n;
    *argv = words;
    return 0;
fail:
    free(buf);
    replica_config_split_free(n, words);
    *argc = 0;
    *argv = NULL;
    return -1;
}

int replica_config_load_string(replica_config *c, const char *name,
                               const char *text, char *err, size_t errlen)
{
    int lineno = 0;
    const char *p = text;
    while (*p) {
        lineno++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(len + 1);
        if (!line) {
            fail(err, errlen, "%s:%d: out of memory", name, lineno);
            return -1;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (nl ? 1 : 0);
        const char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#') {
            free(line);
            continue;
        }
        int argc;
        char **argv;
        if (replica_config_split(s, &argc, &argv) != 0) {
            fail(err, errlen, "%s:%d: unbalanced quotes", name, lineno);
            free(line);
            return -1;
        }
        free(line);
        char why[512];
        int rc = replica_config_set(c, argv[0], argc - 1, argv + 1, why,
                                    sizeof why);
        replica_config_split_free(argc, argv);
        if (rc != 0) {
            fail(err, errlen, "%s:%d: %s", name, lineno, why);
            return -1;
        }
    }
    return 0;
}

int replica_config_load_file(replica_config *c, const char *path, char *err,
                             size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(text, cap * 2);
            if (!bigger) {
                free(text);
                text = NULL;
            }
            text = bigger;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!text || bad) {
        fail(err, errlen, "%s: cannot read: %s", path,
             text ? "read error" : "out of memory");
        free(text);
        return -1;
    }
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        fail(err, errlen, "%s: contains a NUL byte", path);
        free(text);
        return -1;
    }
    int rc = replica_config_load_string(c, path, text, err, errlen);
    free(text);
    return rc;
}

replica_config_action replica_config_parse_args(replica_config *c, int argc,
                                                char *const *argv, char *err,
                                                size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return REPLICA_CONFIG_HELP;
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v"))
            return REPLICA_CONFIG_VERSION;
    }
    int i = 1;
    if (i < argc && strncmp(argv[i], "--", 2) != 0) {
        if (replica_config_load_file(c, argv[i], err, errlen) != 0)
            return REPLICA_CONFIG_ERROR;
        i++;
    }
    char why[512];
    for (; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2]) {
            fail(err, errlen, "command line: expected --key, got '%s'",
                 argv[i]);
            return REPLICA_CONFIG_ERROR;
        }
        const char *key = argv[i] + 2;
        int n = 0;
        while (i + 1 + n < argc && strncmp(argv[i + 1 + n], "--", 2) != 0)
            n++;
        if (replica_config_set(c, key, n, argv + i + 1, why, sizeof why)) {
            fail(err, errlen, "command line: --%s", why);
            return REPLICA_CONFIG_ERROR;
        }
        i += n;
    }
    if (!c->master_host) {
        fail(err, errlen, "master: not set (--master host:port)");
        return REPLICA_CONFIG_ERROR;
    }
    if (c->tls_port && (!c->tls_cert_file || !c->tls_key_file)) {
        fail(err, errlen, "tls-port: needs tls-cert-file and tls-key-file");
        return REPLICA_CONFIG_ERROR;
    }
    return REPLICA_CONFIG_RUN;
}

const char *replica_config_usage(void)
{
    return
        "Usage: replica [/path/to/replica.conf] [--key value ...]\n"
        "       replica --help | --version\n"
        "Flags override the file; keys are those of the file:\n"
        "  --master host:port          the master (required; or replicaof host port)\n"
        "  --masterauth pw --masteruser name\n"
        "  --port 6380 --bind 127.0.0.1 --requirepass pw\n"
        "  --store hamt --threads 4 --databases 16\n"
        "  --loglevel debug|verbose|notice|warning (default notice)\n"
        "  --tls-replication yes|no --tls-ca-cert-file f --tls-ca-cert-dir d\n"
        "  --tls-client-cert-file f --tls-client-key-file f --tls-sni name\n"
        "  --tls-port 0 --tls-cert-file f --tls-key-file f (own port)\n"
        "  --maxclients 10000 --proto-max-bulk-len 512mb --timeout 0\n"
        "  --client-output-buffer-limit normal <hard> 0 0 --repl-timeout 60\n"
        "  --enable-debug-command no|yes (DEBUG SLEEP, default no)\n";
}

repl_options replica_config_repl_options(const replica_config *c)
{
    repl_options o = repl_options_default();
    o.host = c->master_host;
    o.port = c->master_port;
    o.user = c->masteruser;
    o.password = c->masterauth;
    o.tls.enabled = c->tls_replication;
    o.tls.ca_file = c->tls_ca_cert_file;
    o.tls.ca_dir = c->tls_ca_cert_dir;
    o.tls.cert_file = c->tls_client_cert_file;
    o.tls.key_file = c->tls_client_key_file;
    o.tls.server_name = c->tls_sni;
    o.listening_port = c->port;
    o.timeout_ms = c->repl_timeout * 1000;
    o.log_level = c->loglevel <= REPLICA_CONFIG_LOG_VERBOSE ? REPL_LOG_DEBUG
                : c->loglevel == REPLICA_CONFIG_LOG_NOTICE  ? REPL_LOG_INFO
                                                            : REPL_LOG_WARN;
    return o;
}
