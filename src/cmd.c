/* cmd.c - the applier: look a command up, check its arity, queue or run it.
 * Chapter 9.
 *
 * Dispatch.  Every family's table (cmd_table.c lists them) goes into one
 * flat list at first use, indexed by an open-addressing hash of the
 * lower-cased name, so a lookup costs one hash and one comparison however
 * many families there are, and command names match in any case, as
 * Redis's do ("set", "SET", "sEt").  A command is then checked the way
 * Redis's processCommand() checks it before running anything (redis/redis
 * src/server.c): unknown name, unknown subcommand of a container, wrong
 * number of arguments, each with Redis's exact reply text.
 *
 * Transactions.  Between MULTI and EXEC a command that passes those checks
 * is copied into a queue; one that fails them marks the transaction, and
 * EXEC then discards it with EXECABORT, as Redis's multi.c does.  EXEC
 * runs the queue inside the open keyspace batch; a command that fails
 * there fails alone (Redis has no rollback) and the others still apply.
 * cmd_applier_flush() does not publish while a MULTI is open, so a
 * reader never sees half a transaction.
 *
 * Failures.  Any refusal is counted under its command and leaves the
 * keyspace as it was (each handler validates first).  Out of memory is
 * different: a handler may have changed the batch half way, so the whole
 * batch is dropped, with the MULTI queue and the database selected since
 * the last flush, and the stream can be applied again from that flush.
 *
 * The index is built once with pthread_once() and only read afterwards,
 * so any number of appliers in any threads can share it.
 */
#include "cmd_private.h"

#include "alloc.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the index over every table ------------------------------------------ */

#define CMD_MAX_SPECS 1024u
#define CMD_SLOTS 4096u /* a power of two, at least 4 x CMD_MAX_SPECS */

static const cmd_spec *all_specs[CMD_MAX_SPECS];
static bool is_container[CMD_MAX_SPECS];
static size_t nspecs;
static uint32_t slots[CMD_SLOTS]; /* index + 1, 0 = empty */
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

/* FNV-1a over the lower-cased bytes. */
static uint32_t name_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)tolower((unsigned char)s[i]);
        h *= 16777619u;
    }
    return h;
}

static bool name_eq(const char *table_name, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (table_name[i] == '\0' ||
            table_name[i] != (char)tolower((unsigned char)s[i]))
            return false;
    return table_name[len] == '\0';
}

static long find_index(const char *s, size_t len)
{
    uint32_t h = name_hash(s, len) & (CMD_SLOTS - 1);
    while (slots[h] != 0) {
        const cmd_spec *sp = all_specs[slots[h] - 1];
        if (name_eq(sp->name, s, len))
            return (long)slots[h] - 1;
        h = (h + 1) & (CMD_SLOTS - 1);
    }
    return -1;
}

static void build_index(void)
{
    for (size_t t = 0; cmd_tables[t] != NULL; t++)
        for (const cmd_spec *sp = cmd_tables[t]; sp->name != NULL; sp++) {
            size_t len = strlen(sp->name);
            if (find_index(sp->name, len) >= 0) {
                fprintf(stderr, "cmd: command '%s' is in two tables; the "
                        "second is ignored\n", sp->name);
                continue;
            }
            if (nspecs == CMD_MAX_SPECS) {
                fprintf(stderr, "cmd: more than %u commands; '%s' and the "
                        "rest are ignored\n", CMD_MAX_SPECS, sp->name);
                return;
            }
            all_specs[nspecs] = sp;
            uint32_t h = name_hash(sp->name, len) & (CMD_SLOTS - 1);
            while (slots[h] != 0)
                h = (h + 1) & (CMD_SLOTS - 1);
            slots[h] = (uint32_t)nspecs + 1;
            nspecs++;
        }
    /* "x|y" makes x a container. */
    for (size_t i = 0; i < nspecs; i++) {
        const char *bar = strchr(all_specs[i]->name, '|');
        if (bar != NULL) {
            long c = find_index(all_specs[i]->name,
                                (size_t)(bar - all_specs[i]->name));
            if (c >= 0)
                is_container[c] = true;
        }
    }
}

static void ensure_index(void)
{
    pthread_once(&index_once, build_index);
}

const cmd_spec *cmd_lookup(const char *name, size_t len)
{
    ensure_index();
    long i = find_index(name, len);
    return i < 0 ? NULL : all_specs[i];
}

size_t cmd_spec_count(void)
{
    ensure_index();
    return nspecs;
}

size_t cmd_spec_index(const cmd_spec *spec)
{
    ensure_index();
    long i = find_index(spec->name, strlen(spec->name));
    return i < 0 ? nspecs : (size_t)i;
}

/* ---- errors ---------------------------------------------------------------- */

int cmd_error(cmd_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return -1;
}

int cmd_error_arg(cmd_ctx *c, int argi, const char *fmt, ...)
{
    va_list ap;
    c->err_arg = argi;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Redis replaces CR and LF in an error reply by spaces (the reply is one
 * line); so do we, so the texts compare equal. */
static void one_line(char *s)
{
    for (; *s != '\0'; s++)
        if (*s == '\r' || *s == '\n')
            *s = ' ';
}

/* Record a refusal: the reply text, and the message with its context. */
static void record_failure(cmd_applier *a, const char *name, size_t nlen,
                           uint64_t offset, int argi, const char *reply)
{
    a->failures++;
    if (a->in_exec && a->exec_failed)
        return; /* EXEC reports its first failure */
    if (a->in_exec)
        a->exec_failed = true;
    snprintf(a->reply, sizeof a->reply, "%s", reply);
    one_line(a->reply);
    char upper[64];
    size_t n = nlen < sizeof upper - 1 ? nlen : sizeof upper - 1;
    for (size_t i = 0; i < n; i++)
        upper[i] = (char)toupper((unsigned char)name[i]);
    upper[n] = '\0';
    one_line(upper);
    if (argi >= 0)
        snprintf(a->error, sizeof a->error, "offset %llu: %s argument %d: %s",
                 (unsigned long long)offset, upper, argi, a->reply);
    else
        snprintf(a->error, sizeof a->error, "offset %llu: %s: %s",
                 (unsigned long long)offset, upper, a->reply);
}

/* ---- the applier ------------------------------------------------------------ */

static void free_queue(cmd_queued *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < q[i].argc; j++)
            free(q[i].argv[j].str);
        free(q[i].argv);
    }
    free(q);
}

void cmd_txn_drop(cmd_applier *a)
{
    free_queue(a->queue, a->nqueue);
    a->queue = NULL;
    a->nqueue = a->queue_cap = 0;
    a->in_multi = false;
    a->multi_dirty = false;
}

/* Out of memory: drop everything since the last flush. */
static void abort_all(cmd_applier *a)
{
    keyspace_abort(a->ks);
    a->db = a->db_at_begin;
    cmd_txn_drop(a);
}

cmd_applier *cmd_applier_create(keyspace *ks, const cmd_options *opt)
{
    cmd_applier *a = xcalloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    size_t n = cmd_spec_count() + 1;
    a->applied = xcalloc(n, sizeof *a->applied);
    a->failed = xcalloc(n, sizeof *a->failed);
    if (a->applied == NULL || a->failed == NULL) {
        free(a->applied);
        free(a->failed);
        free(a);
        errno = ENOMEM;
        return NULL;
    }
    a->ks = ks;
    if (opt != NULL)
        a->opt = *opt;
    return a;
}

void cmd_applier_destroy(cmd_applier *a)
{
    if (a == NULL)
        return;
    if (keyspace_in_batch(a->ks))
        keyspace_abort(a->ks);
    cmd_txn_drop(a);
    cmd_libraries_clear(&a->libs);
    free(a->applied);
    free(a->failed);
    free(a);
}

static int64_t now_ms(const cmd_applier *a)
{
    return a->opt.clock_ms != NULL ? a->opt.clock_ms(a->opt.clock_arg)
                                   : value_now_ms();
}

/* [ch09-run] */
/* Run one resolved, arity-checked command. */
static cmd_status run(cmd_applier *a, const cmd_spec *spec, size_t argc,
                      const resp_value *argv, uint64_t offset)
{
    cmd_ctx c = {
        .ks = a->ks, .db = a->db, .argc = argc, .argv = argv, .spec = spec,
        .now_ms = now_ms(a), .app = a, .err_arg = -1,
    };
    c.err[0] = '\0';
    size_t i = cmd_spec_index(spec);
    errno = 0;
    int rc = spec->fn(&c);
    if (rc == 0) {
        a->db = c.db;
        a->applied[i]++;
        return CMD_APPLIED;
    }
    if (c.err[0] == '\0' && errno == ENOMEM) {
        abort_all(a);
        return CMD_NOMEM;
    }
    if (c.err[0] == '\0')
        snprintf(c.err, sizeof c.err, "ERR %s failed: %s", spec->name,
                 strerror(errno));
    a->failed[i]++;
    record_failure(a, spec->name, strlen(spec->name), offset, c.err_arg,
                   c.err);
    return CMD_FAILED;
}
/* [ch09-run] */

/* A refusal before the command ran (lookup, arity, protocol): counted
 * under the entry (or "(unknown)"), and a transaction being queued is
 * marked for EXECABORT, as Redis's rejectCommand() does. */
static int txn_exec(cmd_ctx *c);

static cmd_status refuse(cmd_applier *a, const cmd_spec *spec,
                         const char *name, size_t nlen, uint64_t offset,
                         const char *reply)
{
    a->failed[spec != NULL ? cmd_spec_index(spec) : nspecs]++;
    if (a->in_multi)
        a->multi_dirty = true;
    if (spec != NULL && spec->fn == txn_exec) {
        /* An EXEC refused before it runs discards the transaction, and
         * says why (execCommandAbort(), redis/redis src/multi.c). */
        char msg[600];
        snprintf(msg, sizeof msg, "EXECABORT Transaction discarded because "
                 "of: %s", strncmp(reply, "ERR ", 4) == 0 ? reply + 4 : reply);
        cmd_txn_drop(a);
        record_failure(a, name, nlen, offset, -1, msg);
        return CMD_FAILED;
    }
    record_failure(a, name, nlen, offset, -1, reply);
    return CMD_FAILED;
}

static int queue_command(cmd_applier *a, const cmd_spec *spec, size_t argc,
                         const resp_value *argv, uint64_t offset)
{
    if (a->nqueue == a->queue_cap) {
        size_t cap = a->queue_cap ? 2 * a->queue_cap : 8;
        cmd_queued *q = xrealloc(a->queue, cap * sizeof *q);
        if (q == NULL)
            return -1;
        a->queue = q;
        a->queue_cap = cap;
    }
    resp_value *copy = xcalloc(argc, sizeof *copy);
    if (copy == NULL)
        return -1;
    for (size_t i = 0; i < argc; i++) {
        copy[i].type = RESP_BULK;
        copy[i].len = argv[i].len;
        copy[i].str = xmalloc(argv[i].len + 1);
        if (copy[i].str == NULL) {
            for (size_t j = 0; j < i; j++)
                free(copy[j].str);
            free(copy);
            return -1;
        }
        memcpy(copy[i].str, argv[i].str, argv[i].len);
        copy[i].str[argv[i].len] = '\0';
    }
    a->queue[a->nqueue++] = (cmd_queued){spec, argc, copy, offset};
    return 0;
}

/* Redis's reply to an unknown command (processCommand()): the name, then
 * the arguments quoted while fewer than 128 bytes of them are written. */
static void unknown_text(char *out, size_t outsz, size_t argc,
                         const resp_value *argv)
{
    char args[200];
    size_t len = 0;
    args[0] = '\0';
    for (size_t i = 1; i < argc && len < 128; i++) {
        int w = snprintf(args + len, sizeof args - len, "'%.*s' ",
                         128 - (int)len, argv[i].str);
        if (w < 0)
            break;
        len += strlen(args + len); /* %.*s stops at a NUL byte */
    }
    snprintf(out, outsz, "ERR unknown command '%.128s', with args beginning "
             "with: %s", argv[0].str, args);
}

cmd_status cmd_apply(cmd_applier *a, const resp_value *cmd, uint64_t offset)
{
    ensure_index();
    a->error[0] = '\0';
    a->reply[0] = '\0';
    a->exec_failed = false;
    if (cmd->type != RESP_ARRAY || cmd->len == 0)
        return refuse(a, NULL, "(protocol)", 10, offset,
                      "ERR Protocol error: a command is a non-empty array "
                      "of bulk strings");
    const resp_value *argv = cmd->elems;
    size_t argc = cmd->len;
    for (size_t i = 0; i < argc; i++)
        if (argv[i].type != RESP_BULK || argv[i].str == NULL) {
            char msg[160];
            snprintf(msg, sizeof msg, "ERR Protocol error: argument %zu is "
                     "a %s, not a bulk string", i, resp_type_name(argv[i].type));
            return refuse(a, NULL, "(protocol)", 10, offset, msg);
        }
    if (!keyspace_in_batch(a->ks)) {
        if (keyspace_batch_begin(a->ks) != 0) {
            errno = ENOMEM;
            return CMD_NOMEM;
        }
        a->db_at_begin = a->db;
    }
    char msg[512];
    long idx = find_index(argv[0].str, argv[0].len);
    if (idx < 0) {
        unknown_text(msg, sizeof msg, argc, argv);
        return refuse(a, NULL, argv[0].str, argv[0].len, offset, msg);
    }
    const cmd_spec *spec = all_specs[idx];
    if (is_container[idx] && argc >= 2) {
        char full[160];
        size_t nl = strlen(spec->name);
        long sub = -1;
        if (nl + 1 + argv[1].len < sizeof full) {
            memcpy(full, spec->name, nl);
            full[nl] = '|';
            memcpy(full + nl + 1, argv[1].str, argv[1].len);
            sub = find_index(full, nl + 1 + argv[1].len);
        }
        if (sub < 0) {
            char upper[64];
            size_t n = nl < sizeof upper - 1 ? nl : sizeof upper - 1;
            for (size_t i = 0; i < n; i++)
                upper[i] = (char)toupper((unsigned char)spec->name[i]);
            upper[n] = '\0';
            snprintf(msg, sizeof msg, "ERR unknown subcommand '%.128s'. Try "
                     "%s HELP.", argv[1].str, upper);
            return refuse(a, spec, spec->name, nl, offset, msg);
        }
        spec = all_specs[sub];
    }
    if ((spec->arity > 0 && (size_t)spec->arity != argc) ||
        (spec->arity < 0 && argc < (size_t)-spec->arity)) {
        snprintf(msg, sizeof msg, "ERR wrong number of arguments for '%s' "
                 "command", spec->name);
        return refuse(a, spec, spec->name, strlen(spec->name), offset, msg);
    }
    if (a->in_multi && !(spec->flags & CMD_TXN)) {
        if (spec->flags & CMD_NOMULTI)
            return refuse(a, spec, spec->name, strlen(spec->name), offset,
                          "ERR Command not allowed inside a transaction");
        if (queue_command(a, spec, argc, argv, offset) != 0) {
            abort_all(a);
            errno = ENOMEM;
            return CMD_NOMEM;
        }
        return CMD_APPLIED;
    }
    cmd_status s = run(a, spec, argc, argv, offset);
    if (s == CMD_APPLIED && a->exec_failed)
        return CMD_FAILED;
    return s;
}

cmd_status cmd_apply_argv(cmd_applier *a, size_t argc,
                          const char *const *argv, const size_t *lens)
{
    size_t total = 0;
    for (size_t i = 0; i < argc; i++)
        total += (lens ? lens[i] : strlen(argv[i])) + 1;
    resp_value *elems = xcalloc(argc ? argc : 1, sizeof *elems);
    char *bytes = xmalloc(total ? total : 1);
    if (elems == NULL || bytes == NULL) {
        free(elems);
        free(bytes);
        abort_all(a);
        errno = ENOMEM;
        return CMD_NOMEM;
    }
    char *p = bytes;
    for (size_t i = 0; i < argc; i++) {
        size_t n = lens ? lens[i] : strlen(argv[i]);
        memcpy(p, argv[i], n);
        p[n] = '\0';
        elems[i] = (resp_value){.type = RESP_BULK, .len = n, .str = p};
        p += n + 1;
    }
    resp_value cmd = {.type = RESP_ARRAY, .len = argc, .elems = elems};
    cmd_status s = cmd_apply(a, &cmd, 0);
    free(bytes);
    free(elems);
    return s;
}

int cmd_applier_flush(cmd_applier *a)
{
    if (a->in_multi || !keyspace_in_batch(a->ks))
        return 0;
    if (keyspace_commit(a->ks) != 0) {
        a->db = a->db_at_begin;
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

const char *cmd_applier_error(const cmd_applier *a)
{
    return a->error;
}

const char *cmd_applier_reply_error(const cmd_applier *a)
{
    return a->reply;
}

unsigned cmd_applier_db(const cmd_applier *a)
{
    return a->db;
}

void cmd_applier_counts(const cmd_applier *a,
                        void (*fn)(const cmd_count *c, void *arg), void *arg)
{
    for (size_t i = 0; i <= nspecs; i++)
        if (a->applied[i] != 0 || a->failed[i] != 0) {
            cmd_count c = {i < nspecs ? all_specs[i]->name : "(unknown)",
                           a->applied[i], a->failed[i]};
            fn(&c, arg);
        }
}

uint64_t cmd_applier_failures(const cmd_applier *a)
{
    return a->failures;
}

/* ---- MULTI, EXEC, DISCARD ----------------------------------------------------- */

static int txn_multi(cmd_ctx *c)
{
    cmd_applier *a = c->app;
    if (a->in_multi)
        return cmd_error(c, "ERR MULTI calls can not be nested");
    a->in_multi = true;
    a->multi_dirty = false;
    return 0;
}

/* [ch09-exec] */
static int txn_exec(cmd_ctx *c)
{
    /* learn: ch09 txn_exec "Batches: one publication per read of the stream" */
    cmd_applier *a = c->app;
    if (!a->in_multi)
        return cmd_error(c, "ERR EXEC without MULTI");
    cmd_queued *q = a->queue;
    size_t n = a->nqueue;
    bool dirty = a->multi_dirty;
    a->queue = NULL;
    a->nqueue = a->queue_cap = 0;
    a->in_multi = false;
    a->multi_dirty = false;
    if (dirty) {
        free_queue(q, n);
        return cmd_error(c, "EXECABORT Transaction discarded because of "
                         "previous errors.");
    }
    int rc = 0;
    a->in_exec = true;
    for (size_t i = 0; i < n; i++)
        if (run(a, q[i].spec, q[i].argc, q[i].argv, q[i].offset) ==
            CMD_NOMEM) {
            rc = -1;
            break;
        }
    a->in_exec = false;
    free_queue(q, n);
    if (rc != 0) {
        errno = ENOMEM;
        return -1;
    }
    c->db = a->db; /* a queued SELECT moved the stream */
    return 0;
    /* learn: end */
}
/* [ch09-exec] */

static int txn_discard(cmd_ctx *c)
{
    cmd_applier *a = c->app;
    if (!a->in_multi)
        return cmd_error(c, "ERR DISCARD without MULTI");
    cmd_txn_drop(a);
    return 0;
}

const cmd_spec cmd_txn_table[] = {
    {"multi", 1, CMD_TXN | CMD_NOMULTI, txn_multi},
    {"exec", 1, CMD_TXN, txn_exec},
    {"discard", 1, CMD_TXN, txn_discard},
    {0},
};
