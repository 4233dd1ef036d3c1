/* server_command_cmd.c - COMMAND: what this server runs, built from the
 * family tables.
 * Chapter 11.
 *
 * Client libraries ask COMMAND (or COMMAND INFO) for arities and key
 * positions, cluster-aware ones to route by key, and tools ask COMMAND
 * DOCS for summaries.  Every answer here is computed from the tables of
 * server_cmd_tables(), so a command added to a family file appears in
 * COMMAND with nothing else to edit.  The shapes are Redis 7.0's
 * (redis/redis src/server.c addReplyCommandInfo() and
 * addReplyCommandDocs()): an entry of ten elements (name, arity, flags,
 * first key, last key, step, ACL categories, tips, key specifications,
 * subcommands), RESP3 sets where Redis writes sets.  What the tables do
 * not hold is derived: the flags from SERVER_CMD_*, the ACL categories
 * from the group, one key specification from the first/last/step range.
 * Write commands are not listed: this server runs none of them (each one
 * is answered with -READONLY).
 */
#include "server_info.h"

#include "glob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- walking the tables ---------------------------------------------------- */

typedef int command_visit_fn(const server_command *c,
                             const server_command *parent, void *arg);

/* Every top-level command (and, with subs, every subcommand after its
 * container), in table order. */
static int visit_all(bool subs, command_visit_fn *fn, void *arg)
{
    size_t nt;
    const server_command *const *t = server_cmd_tables(&nt);
    for (size_t i = 0; i < nt; i++)
        for (const server_command *c = t[i]; c->name != NULL; c++) {
            int rc = fn(c, NULL, arg);
            if (rc != 0)
                return rc;
            for (const server_command *s = c->subcommands;
                 subs && s != NULL && s->name != NULL; s++)
                if ((rc = fn(s, c, arg)) != 0)
                    return rc;
        }
    return 0;
}

/* "get" or "xinfo|stream", lower case, as the client may spell it. */
static const server_command *find_full(const char *name, size_t len,
                                       const server_command **parent)
{
    const char *bar = memchr(name, '|', len);
    *parent = NULL;
    if (bar == NULL)
        return server_cmd_find(name, len);
    const server_command *top = server_cmd_find(name, (size_t)(bar - name));
    if (top == NULL || top->subcommands == NULL)
        return NULL;
    const char *sub = bar + 1;
    size_t sl = len - (size_t)(sub - name);
    for (const server_command *s = top->subcommands; s->name != NULL; s++)
        if (strlen(s->name) == sl && strncasecmp(s->name, sub, sl) == 0) {
            *parent = top;
            return s;
        }
    return NULL;
}

static void full_name(const server_command *c, const server_command *parent,
                      char *buf, size_t n)
{
    if (parent != NULL)
        snprintf(buf, n, "%s|%s", parent->name, c->name);
    else
        snprintf(buf, n, "%s", c->name);
}

/* ---- flags and categories ---------------------------------------------------- */

/* The ACL category of a group, as Redis names them ("" for none). */
static const char *group_category(const char *group)
{
    static const struct {
        const char *group, *cat;
    } map[] = {
        {"generic", "keyspace"}, {"string", "string"}, {"list", "list"},
        {"set", "set"}, {"sorted-set", "sortedset"}, {"hash", "hash"},
        {"bitmap", "bitmap"}, {"hyperloglog", "hyperloglog"}, {"geo", "geo"},
        {"stream", "stream"}, {"pubsub", "pubsub"},
        {"connection", "connection"},
    };
    for (size_t i = 0; group != NULL && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].group, group) == 0)
            return map[i].cat;
    return "";
}

/* The categories of an entry, in Redis's order (its ACL bit order). */
static size_t categories(const server_command *c, const char *out[6])
{
    size_t n = 0;
    const char *g = group_category(c->group);
    if (strcmp(g, "keyspace") == 0)
        out[n++] = "keyspace";
    if (c->flags & SERVER_CMD_READ)
        out[n++] = "read";
    if (g[0] != '\0' && strcmp(g, "keyspace") != 0 &&
        strcmp(g, "connection") != 0)
        out[n++] = g;
    out[n++] = (c->flags & SERVER_CMD_FAST) ? "fast" : "slow";
    if (c->flags & SERVER_CMD_BLOCKING)
        out[n++] = "blocking";
    if (strcmp(g, "connection") == 0)
        out[n++] = "connection";
    return n;
}

/* The command flags, in Redis's order (addReplyFlagsForCommand()). */
static size_t command_flags(const server_command *c, const char *out[8])
{
    size_t n = 0;
    if (c->fn == NULL && c->subcommands != NULL)
        return 0; /* a container has none of its own */
    if (c->flags & SERVER_CMD_READ)
        out[n++] = "readonly";
    if (c->flags & SERVER_CMD_PUBSUB)
        out[n++] = "pubsub";
    if (c->flags & SERVER_CMD_BLOCKING)
        out[n++] = "blocking";
    if (c->flags & SERVER_CMD_LOADING) {
        out[n++] = "loading";
        out[n++] = "stale";
    }
    if (c->flags & SERVER_CMD_FAST)
        out[n++] = "fast";
    if (c->flags & SERVER_CMD_NOAUTH)
        out[n++] = "no_auth";
    return n;
}

static int reply_strings(reply_buf *r, const char *const *s, size_t n,
                         bool as_set)
{
    if ((as_set ? reply_set(r, n) : reply_array(r, n)) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (reply_simple(r, s[i]) != 0)
            return -1;
    return 0;
}

static int reply_cstr(reply_buf *r, const char *s)
{
    return reply_bulk(r, s, strlen(s));
}

/* ---- COMMAND INFO entries ------------------------------------------------------ */

/* One key specification from first/last/step, in Redis's shape. */
static int reply_key_spec(reply_buf *r, const server_command *c)
{
    static const char *const ro[] = {"RO", "access"};
    int last = c->last_key < 0 ? c->last_key : c->last_key - c->first_key;
    if (reply_map(r, 3) != 0 || reply_cstr(r, "flags") != 0 ||
        reply_strings(r, ro, 2, true) != 0 ||
        reply_cstr(r, "begin_search") != 0 || reply_map(r, 2) != 0 ||
        reply_cstr(r, "type") != 0 || reply_cstr(r, "index") != 0 ||
        reply_cstr(r, "spec") != 0 || reply_map(r, 1) != 0 ||
        reply_cstr(r, "index") != 0 || reply_integer(r, c->first_key) != 0 ||
        reply_cstr(r, "find_keys") != 0 || reply_map(r, 2) != 0 ||
        reply_cstr(r, "type") != 0 || reply_cstr(r, "range") != 0 ||
        reply_cstr(r, "spec") != 0 || reply_map(r, 3) != 0 ||
        reply_cstr(r, "lastkey") != 0 || reply_integer(r, last) != 0 ||
        reply_cstr(r, "keystep") != 0 ||
        reply_integer(r, c->key_step > 0 ? c->key_step : 1) != 0 ||
        reply_cstr(r, "limit") != 0 || reply_integer(r, 0) != 0)
        return -1;
    return 0;
}

static int reply_info_entry(reply_buf *r, const server_command *c,
                            const server_command *parent)
{
    char name[128];
    full_name(c, parent, name, sizeof name);
    const char *flags[8], *cats[6];
    size_t nf = command_flags(c, flags), nc = categories(c, cats);
    char at[6][24];
    const char *atp[6];
    for (size_t i = 0; i < nc; i++) {
        snprintf(at[i], sizeof at[i], "@%s", cats[i]);
        atp[i] = at[i];
    }
    bool random = (c->flags & SERVER_CMD_RANDOM) != 0;
    if (reply_array(r, 10) != 0 || reply_cstr(r, name) != 0 ||
        reply_integer(r, c->arity) != 0 ||
        reply_strings(r, flags, nf, true) != 0 ||
        reply_integer(r, c->first_key) != 0 ||
        reply_integer(r, c->last_key) != 0 ||
        reply_integer(r, c->first_key ? c->key_step : 0) != 0 ||
        reply_strings(r, atp, nc, true) != 0 ||
        reply_set(r, random ? 1 : 0) != 0 ||
        (random && reply_cstr(r, "nondeterministic_output") != 0) ||
        reply_set(r, c->first_key > 0 ? 1 : 0) != 0 ||
        (c->first_key > 0 && reply_key_spec(r, c) != 0))
        return -1;
    size_t ns = 0;
    for (const server_command *s = c->subcommands; s && s->name; s++)
        ns++;
    if (ns == 0)
        return reply_set(r, 0); /* Redis: an empty set, else an array */
    if (reply_array(r, ns) != 0)
        return -1;
    for (const server_command *s = c->subcommands; s->name != NULL; s++)
        if (reply_info_entry(r, s, c) != 0)
            return -1;
    return 0;
}

static int count_top(const server_command *c, const server_command *p,
                     void *arg)
{
    (void)c, (void)p;
    ++*(size_t *)arg;
    return 0;
}

static int info_each(const server_command *c, const server_command *p,
                     void *arg)
{
    (void)p;
    return reply_info_entry(arg, c, NULL);
}

int server_command_cmd(server_ctx *x)
{
    size_t n = 0;
    visit_all(false, count_top, &n);
    if (reply_array(x->out, n) != 0)
        return -1;
    return visit_all(false, info_each, x->out);
}

int server_command_count_cmd(server_ctx *x)
{
    size_t n = 0;
    visit_all(false, count_top, &n);
    return reply_integer(x->out, (int64_t)n);
}

int server_command_info_cmd(server_ctx *x)
{
    if (x->argc == 2)
        return server_command_cmd(x);
    if (reply_array(x->out, x->argc - 2) != 0)
        return -1;
    for (size_t i = 2; i < x->argc; i++) {
        const server_command *parent;
        const server_command *c = find_full(x->argv[i].str, x->argv[i].len,
                                            &parent);
        if ((c == NULL ? reply_null(x->out)
                       : reply_info_entry(x->out, c, parent)) != 0)
            return -1;
    }
    return 0;
}

/* ---- COMMAND DOCS --------------------------------------------------------------- */

static int reply_doc(reply_buf *r, const server_command *c,
                     const server_command *parent)
{
    size_t ns = 0;
    for (const server_command *s = c->subcommands; s && s->name; s++)
        ns++;
    if (reply_map(r, ns ? 4 : 3) != 0 || reply_cstr(r, "summary") != 0 ||
        reply_cstr(r, c->summary ? c->summary : "") != 0 ||
        reply_cstr(r, "since") != 0 ||
        reply_cstr(r, c->since ? c->since : "") != 0 ||
        reply_cstr(r, "group") != 0 ||
        reply_cstr(r, c->group ? c->group
                   : parent && parent->group ? parent->group : "") != 0)
        return -1;
    if (ns == 0)
        return 0;
    if (reply_cstr(r, "subcommands") != 0 || reply_map(r, ns) != 0)
        return -1;
    for (const server_command *s = c->subcommands; s->name != NULL; s++) {
        char name[128];
        full_name(s, c, name, sizeof name);
        if (reply_cstr(r, name) != 0 || reply_doc(r, s, c) != 0)
            return -1;
    }
    return 0;
}

static int doc_each(const server_command *c, const server_command *p,
                    void *arg)
{
    (void)p;
    reply_buf *r = arg;
    return reply_cstr(r, c->name) != 0 || reply_doc(r, c, NULL) != 0 ? -1 : 0;
}

int server_command_docs_cmd(server_ctx *x)
{
    if (x->argc == 2) {
        size_t n = 0;
        visit_all(false, count_top, &n);
        if (reply_map(x->out, n) != 0)
            return -1;
        return visit_all(false, doc_each, x->out);
    }
    /* Names not found are left out, as Redis does. */
    reply_defer d;
    size_t n = 0;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_MAP) != 0)
        return -1;
    for (size_t i = 2; i < x->argc; i++) {
        const server_command *parent;
        const server_command *c = find_full(x->argv[i].str, x->argv[i].len,
                                            &parent);
        if (c == NULL)
            continue;
        char name[128];
        full_name(c, parent, name, sizeof name);
        if (reply_cstr(x->out, name) != 0 || reply_doc(x->out, c, parent) != 0)
            return -1;
        n++;
    }
    return reply_defer_end(x->out, &d, n);
}

/* ---- COMMAND LIST, GETKEYS, HELP --------------------------------------------- */

typedef struct list_filter {
    reply_buf *out;
    const char *pattern; /* PATTERN: glob over the full name */
    size_t plen;
    const char *cat;     /* ACLCAT */
    size_t clen;
    bool none;           /* MODULE: no module commands here */
    size_t n;            /* names written */
    int rc;
} list_filter;

static int list_each(const server_command *c, const server_command *p,
                     void *arg)
{
    list_filter *f = arg;
    char name[128];
    full_name(c, p, name, sizeof name);
    if (f->none)
        return 0;
    if (f->pattern != NULL &&
        !glob_match(f->pattern, f->plen, name, strlen(name), true))
        return 0;
    if (f->cat != NULL) {
        const char *cats[6];
        size_t nc = categories(c, cats);
        bool hit = false;
        for (size_t i = 0; i < nc && !hit; i++)
            hit = strlen(cats[i]) == f->clen &&
                  strncasecmp(cats[i], f->cat, f->clen) == 0;
        if (!hit)
            return 0;
    }
    if (reply_cstr(f->out, name) != 0)
        return -1;
    f->n++;
    return 0;
}

int server_command_list_cmd(server_ctx *x)
{
    list_filter f = {.out = x->out};
    if (x->argc != 2) {
        if (x->argc != 5 || !server_arg_is(x, 2, "FILTERBY"))
            return server_syntax_error(x) == SERVER_REPLIED ? 0 : -1;
        const resp_value *v = &x->argv[4];
        if (server_arg_is(x, 3, "PATTERN")) {
            f.pattern = v->str;
            f.plen = v->len;
        } else if (server_arg_is(x, 3, "ACLCAT")) {
            f.cat = v->str;
            f.clen = v->len;
        } else if (server_arg_is(x, 3, "MODULE")) {
            f.none = true;
        } else {
            return server_syntax_error(x) == SERVER_REPLIED ? 0 : -1;
        }
    }
    reply_defer d;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) != 0)
        return -1;
    if (visit_all(true, list_each, &f) != 0)
        return -1;
    return reply_defer_end(x->out, &d, f.n);
}

int server_command_getkeys_cmd(server_ctx *x)
{
    const server_command *c = server_cmd_find(x->argv[2].str,
                                              x->argv[2].len);
    size_t argc = x->argc - 2; /* the command's own argc */
    if (c != NULL && c->subcommands != NULL && argc >= 2) {
        const server_command *s = c->subcommands;
        for (; s->name != NULL; s++)
            if (strlen(s->name) == x->argv[3].len &&
                strncasecmp(s->name, x->argv[3].str, x->argv[3].len) == 0)
                break;
        c = s->name != NULL ? s : NULL;
    }
    if (c == NULL)
        return server_error(x, "ERR Invalid command specified") ==
                       SERVER_REPLIED ? 0 : -1;
    /* Redis's order: unknown, then keyless, then the arity. */
    if (c->first_key <= 0)
        return server_error(x, "ERR The command has no key arguments") ==
                       SERVER_REPLIED ? 0 : -1;
    bool arity_ok = c->arity >= 0 ? argc == (size_t)c->arity
                                  : argc >= (size_t)-c->arity;
    if (!arity_ok)
        return server_error(x, "ERR Invalid number of arguments specified "
                            "for command") == SERVER_REPLIED ? 0 : -1;
    size_t first = (size_t)c->first_key;
    size_t last = c->last_key < 0 ? argc - (size_t)-c->last_key
                                  : (size_t)c->last_key;
    size_t step = c->key_step > 0 ? (size_t)c->key_step : 1;
    if (last >= argc)
        last = argc - 1;
    size_t n = last >= first ? (last - first) / step + 1 : 0;
    if (reply_array(x->out, n) != 0)
        return -1;
    for (size_t i = first; n > 0 && i <= last; i += step)
        if (reply_bulk(x->out, x->argv[2 + i].str, x->argv[2 + i].len) != 0)
            return -1;
    return 0;
}

int server_command_help_cmd(server_ctx *x)
{
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about every command this server runs.",
        "COUNT",
        "    Return how many commands this server runs.",
        "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <glob>)]",
        "    Return the names of those commands (subcommands included).",
        "INFO [<command-name> ...]",
        "    Return details about the named commands (all with no name).",
        "DOCS [<command-name> ...]",
        "    Return the summary, version and group of the named commands.",
        "GETKEYS <full-command>",
        "    Return the keys of a full command.",
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
