/* oracle.c - the applier checked against a real redis-server (see oracle.h).
 * Chapter 9.
 */
#include "oracle.h"

#include "keyspace_rdb.h"
#include "test_util.h"
#include "value_equal.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORACLE_MAX_ARGS 64

static oracle *running; /* every oracle not yet stopped */

/* ---- cleanup and failing -------------------------------------------------------- */

/* Redis's append-only directory: the launcher removes only the files it
 * knows, so the oracle removes this one. */
static void remove_aof_dir(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/appendonlydir", dir);
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char f[900];
        snprintf(f, sizeof f, "%s/%s", path, e->d_name);
        unlink(f);
    }
    closedir(d);
    rmdir(path);
}

void oracle_stop(oracle *o)
{
    if (o == NULL)
        return;
    for (oracle **p = &running; *p != NULL; p = &(*p)->next)
        if (*p == o) {
            *p = o->next;
            break;
        }
    resp_client_close(&o->cl);
    char dir[sizeof o->rs.dir];
    snprintf(dir, sizeof dir, "%s", o->rs.dir);
    redis_server_stop(&o->rs); /* removes dir unless appendonlydir is in it */
    if (dir[0] != '\0') {
        remove_aof_dir(dir);
        rmdir(dir);
    }
    cmd_applier_destroy(o->app);
    keyspace_destroy(o->ks);
    resp_parser_free(&o->aof_parser);
    free(o);
}

void oracle_teardown(void)
{
    while (running != NULL)
        oracle_stop(running);
}

/* Fail the test: stop every server first (a forked test exits without
 * running teardowns), then report. */
static void oracle_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void oracle_fail(const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    oracle_teardown();
    ck_abort_msg("%s", msg);
}

void oracle_render(char *out, size_t outsz, size_t argc,
                   const char *const *argv, const size_t *lens)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < argc && n + 8 < outsz; i++) {
        char esc[160];
        test_escape(esc, sizeof esc, argv[i], lens ? lens[i] : strlen(argv[i]));
        int w = snprintf(out + n, outsz - n, "%s\"%s\"", i ? " " : "", esc);
        if (w < 0)
            break;
        n += (size_t)w < outsz - n ? (size_t)w : outsz - n - 1;
    }
}

static void render_value(char *out, size_t outsz, const resp_value *cmd)
{
    const char *argv[ORACLE_MAX_ARGS];
    size_t lens[ORACLE_MAX_ARGS];
    size_t argc = 0;
    for (size_t i = 0; cmd->type == RESP_ARRAY && i < cmd->len &&
                       argc < ORACLE_MAX_ARGS; i++)
        if (cmd->elems[i].str != NULL) {
            argv[argc] = cmd->elems[i].str;
            lens[argc++] = cmd->elems[i].len;
        }
    oracle_render(out, outsz, argc, argv, lens);
}

/* ---- start ------------------------------------------------------------------------ */

/* The incremental file the manifest names (the last "type i" line). */
static int find_incr(oracle *o)
{
    char path[600];
    snprintf(path, sizeof path, "%s/appendonlydir/appendonly.aof.manifest",
             o->rs.dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[512];
    o->aof_path[0] = '\0';
    while (fgets(line, sizeof line, f) != NULL) {
        char name[256];
        if (sscanf(line, "file %255s", name) == 1 &&
            strstr(line, " type i") != NULL)
            snprintf(o->aof_path, sizeof o->aof_path,
                     "%s/appendonlydir/%s", o->rs.dir, name);
    }
    fclose(f);
    return o->aof_path[0] != '\0' ? 0 : -1;
}

oracle *oracle_start(const char *variant, unsigned flags)
{
    if (flags != ORACLE_DIRECT && flags != ORACLE_AOF)
        ck_abort_msg("oracle_start: flags must be ORACLE_DIRECT or "
                     "ORACLE_AOF, not %u", flags);
    const char *vname = variant != NULL ? variant : "cow";
    const store_ops *ops = store_variant(vname);
    if (ops == NULL)
        ck_abort_msg("oracle_start: no store variant \"%s\"", vname);
    oracle *o = calloc(1, sizeof *o);
    ck_assert_ptr_nonnull(o);
    o->flags = flags;
    o->variant = ops;
    o->cl.fd = -1;
    o->expiry_slack_ms = flags == ORACLE_DIRECT ? 2000 : 0;
    resp_parser_init(&o->aof_parser, NULL);
    o->ks = keyspace_create(ops, KEYSPACE_DEFAULT_DBS);
    if (o->ks == NULL) {
        int e = errno;
        resp_parser_free(&o->aof_parser);
        free(o);
        ck_abort_msg("oracle_start: keyspace_create(%s): %s", vname,
                     strerror(e));
    }
    o->app = cmd_applier_create(o->ks, NULL);
    o->next = running;
    running = o;
    if (o->app == NULL)
        oracle_fail("oracle_start: cmd_applier_create: %s", strerror(errno));
    static const char *const aof_args[] = {
        "--appendonly", "yes", "--appendfsync", "always",
        /* no rewrite, which would start a new incremental file */
        "--auto-aof-rewrite-percentage", "0", NULL};
    char err[1024];
    if (redis_server_start(&o->rs, flags == ORACLE_AOF ? aof_args : NULL,
                           err, sizeof err) != 0)
        oracle_fail("oracle_start: %s", err);
    if (resp_client_open(&o->cl, o->rs.port) != 0)
        oracle_fail("oracle_start: connect: %s", o->cl.err);
    if (flags == ORACLE_AOF && find_incr(o) != 0)
        oracle_fail("oracle_start: no incremental AOF file in %s/appendonlydir",
             o->rs.dir);
    return o;
}

/* ---- commands ------------------------------------------------------------------------ */

/* The applier's keyspace as JSON (after a flush, so the reader sees it). */
static char *dump_json(oracle *o, size_t *len)
{
    if (cmd_applier_flush(o->app) != 0)
        oracle_fail("oracle: cmd_applier_flush: out of memory");
    keyspace_reader *r = keyspace_reader_open(o->ks);
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (r == NULL || f == NULL)
        oracle_fail("oracle: no memory for a JSON dump");
    int rc = keyspace_dump_json(r, f);
    fclose(f);
    keyspace_reader_close(r);
    if (rc != 0)
        oracle_fail("oracle: keyspace_dump_json: %s", strerror(errno));
    return buf;
}

/* Parse a command's bytes back as a stream would carry them. */
static void to_value(oracle *o, size_t argc, const char *const *argv,
                     const size_t *lens, resp_value *out, size_t *size)
{
    resp_buf b;
    resp_buf_init(&b);
    resp_parser p;
    resp_parser_init(&p, NULL);
    size_t used;
    if (resp_write_command(&b, argc, argv, lens) != 0 ||
        resp_parse(&p, b.data, b.len, &used, out) != RESP_OK)
        oracle_fail("oracle: cannot encode a command: %s",
             resp_parser_error(&p) ? resp_parser_error(&p) : "no memory");
    (void)o;
    *size = b.len;
    resp_buf_free(&b);
    resp_parser_free(&p);
}

/* Send to Redis; the reply goes to *r. */
static void redis_call(oracle *o, size_t argc, const char *const *argv,
                       const size_t *lens, resp_value *r)
{
    if (resp_client_call(&o->cl, r, argc, argv, lens) != 0) {
        char cmd[600];
        oracle_render(cmd, sizeof cmd, argc, argv, lens);
        oracle_fail("oracle: redis-server did not answer %s: %s", cmd, o->cl.err);
    }
    o->last_reply[0] = '\0';
    if (r->type == RESP_INTEGER)
        snprintf(o->last_reply, sizeof o->last_reply, "%lld",
                 (long long)r->integer);
    else if (r->str != NULL)
        snprintf(o->last_reply, sizeof o->last_reply, "%s", r->str);
    /* The client's database, for oracle_expect_error() in AOF mode. */
    if (argc == 2 && r->type == RESP_SIMPLE && strcmp(r->str, "OK") == 0 &&
        (lens ? lens[0] : strlen(argv[0])) == 6 &&
        strncasecmp(argv[0], "select", 6) == 0)
        o->client_db = (unsigned)atoi(argv[1]);
}

/* Redis's refusal in a reply: an error, or EXEC's first failed command. */
static const char *reply_error(const resp_value *r, bool *in_exec)
{
    *in_exec = false;
    if (r->type == RESP_ERROR)
        return r->str;
    if (r->type == RESP_ARRAY)
        for (size_t i = 0; i < r->len; i++)
            if (r->elems[i].type == RESP_ERROR) {
                *in_exec = true;
                return r->elems[i].str;
            }
    return NULL;
}

/* Apply to the applier and compare with Redis's verdict. */
static void apply_compare(oracle *o, size_t argc, const char *const *argv,
                          const size_t *lens, const char *redis_err,
                          bool exec_err, bool must_fail)
{
    char cmd[600];
    oracle_render(cmd, sizeof cmd, argc, argv, lens);
    resp_value v;
    size_t size;
    to_value(o, argc, argv, lens, &v, &size);
    char *before = NULL, *after = NULL;
    size_t blen = 0, alen = 0;
    bool whole = redis_err != NULL && !exec_err;
    if (whole)
        before = dump_json(o, &blen);
    cmd_status s = cmd_apply(o->app, &v, o->stream_off);
    o->stream_off += size;
    resp_value_clear(&v);
    /* Publish each command (a MULTI waits for its EXEC), so the JSON
     * dumps, which read what was published, see everything before it. */
    if (s != CMD_NOMEM && cmd_applier_flush(o->app) != 0)
        s = CMD_NOMEM;
    if (s == CMD_NOMEM) {
        free(before);
        oracle_fail("%s: the applier ran out of memory", cmd);
    }
    if (redis_err == NULL && s == CMD_FAILED) {
        free(before);
        oracle_fail("%s: redis-server accepted it, the applier refused it: %s", cmd,
             cmd_applier_error(o->app));
    }
    if (redis_err != NULL && s == CMD_APPLIED) {
        free(before);
        oracle_fail("%s: redis-server refused it (%s), the applier accepted it",
             cmd, redis_err);
    }
    if (must_fail && redis_err == NULL) {
        free(before);
        oracle_fail("%s: expected an error, both accepted it", cmd);
    }
    if (redis_err != NULL &&
        strcmp(redis_err, cmd_applier_reply_error(o->app)) != 0) {
        free(before);
        oracle_fail("%s: both refused it, with different texts:\n  redis-server: "
             "%s\n  applier:      %s", cmd, redis_err,
             cmd_applier_reply_error(o->app));
    }
    if (whole) {
        after = dump_json(o, &alen);
        if (alen != blen || memcmp(before, after, alen) != 0) {
            char b[300], a[300];
            test_escape(b, sizeof b, before, blen);
            test_escape(a, sizeof a, after, alen);
            free(before);
            free(after);
            oracle_fail("%s: refused (%s) but the keyspace changed:\n  before: "
                 "%s\n  after:  %s", cmd, redis_err, b, a);
        }
    }
    free(before);
    free(after);
}

/* Read what Redis appended to its AOF since the last time and apply it. */
static void aof_catch_up(oracle *o)
{
    int fd = open(o->aof_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        oracle_fail("oracle: open %s: %s", o->aof_path, strerror(errno));
    char buf[65536];
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, (off_t)o->aof_off);
        if (n < 0) {
            int e = errno;
            close(fd);
            oracle_fail("oracle: read %s: %s", o->aof_path, strerror(e));
        }
        if (n == 0)
            break;
        o->aof_off += (uint64_t)n;
        size_t pos = 0;
        while (pos < (size_t)n) {
            size_t used;
            resp_value v;
            resp_status st = resp_parse(&o->aof_parser, buf + pos,
                                        (size_t)n - pos, &used, &v);
            pos += used;
            if (st == RESP_NEED_MORE)
                break;
            if (st == RESP_ERR) {
                close(fd);
                oracle_fail("oracle: %s: %s", o->aof_path,
                     resp_parser_error(&o->aof_parser));
            }
            uint64_t off = o->aof_parser.offset - o->aof_parser.last_size;
            cmd_status s = cmd_apply(o->app, &v, off);
            o->aof_commands++;
            if (s != CMD_APPLIED) {
                char cmd[600];
                render_value(cmd, sizeof cmd, &v);
                resp_value_clear(&v);
                close(fd);
                oracle_fail("AOF %s: %s: %s", o->aof_path, cmd,
                     s == CMD_NOMEM ? "out of memory"
                                    : cmd_applier_error(o->app));
            }
            resp_value_clear(&v);
        }
    }
    close(fd);
}

void oracle_cmdv(oracle *o, size_t argc, const char *const *argv,
                 const size_t *lens)
{
    resp_value r;
    redis_call(o, argc, argv, lens, &r);
    if (o->flags == ORACLE_DIRECT) {
        bool exec_err;
        const char *e = reply_error(&r, &exec_err);
        apply_compare(o, argc, argv, lens, e, exec_err, false);
    }
    resp_value_clear(&r);
}

void oracle_cmd(oracle *o, const char *arg0, ...)
{
    const char *argv[ORACLE_MAX_ARGS];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < ORACLE_MAX_ARGS;
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    oracle_cmdv(o, argc, argv, NULL);
}

void oracle_expect_errorv(oracle *o, size_t argc, const char *const *argv,
                          const size_t *lens)
{
    resp_value r;
    redis_call(o, argc, argv, lens, &r);
    bool exec_err;
    const char *e = reply_error(&r, &exec_err);
    if (e == NULL) {
        char cmd[600];
        oracle_render(cmd, sizeof cmd, argc, argv, lens);
        resp_value_clear(&r);
        oracle_fail("%s: expected an error, redis-server accepted it", cmd);
    }
    if (o->flags == ORACLE_AOF) {
        /* Bring the applier up to date, and into the client's database,
         * then back to the stream's, so the AOF still applies where it
         * says. */
        aof_catch_up(o);
        unsigned stream_db = cmd_applier_db(o->app);
        char db[16];
        snprintf(db, sizeof db, "%u", o->client_db);
        const char *sel[] = {"SELECT", db};
        if (cmd_apply_argv(o->app, 2, sel, NULL) != CMD_APPLIED)
            oracle_fail("oracle: SELECT %s: %s", db, cmd_applier_error(o->app));
        apply_compare(o, argc, argv, lens, e, exec_err, true);
        snprintf(db, sizeof db, "%u", stream_db);
        if (cmd_apply_argv(o->app, 2, sel, NULL) != CMD_APPLIED)
            oracle_fail("oracle: SELECT %s: %s", db, cmd_applier_error(o->app));
    } else {
        apply_compare(o, argc, argv, lens, e, exec_err, true);
    }
    resp_value_clear(&r);
}

void oracle_expect_error(oracle *o, const char *arg0, ...)
{
    const char *argv[ORACLE_MAX_ARGS];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < ORACLE_MAX_ARGS;
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    oracle_expect_errorv(o, argc, argv, NULL);
}

/* ---- the comparison -------------------------------------------------------------- */

void oracle_check(oracle *o)
{
    const char *mode = o->flags == ORACLE_AOF ? "AOF" : "direct";
    if (o->flags == ORACLE_AOF)
        aof_catch_up(o);
    if (cmd_applier_flush(o->app) != 0)
        oracle_fail("oracle_check: cmd_applier_flush: out of memory");
    resp_value r;
    if (resp_client_calll(&o->cl, &r, "SAVE", NULL) != 0)
        oracle_fail("oracle_check: SAVE: %s", o->cl.err);
    if (r.type != RESP_SIMPLE) {
        char why[300];
        snprintf(why, sizeof why, "%s", r.str ? r.str : "?");
        resp_value_clear(&r);
        oracle_fail("oracle_check: SAVE replied %s", why);
    }
    resp_value_clear(&r);
    char path[600];
    snprintf(path, sizeof path, "%s/dump.rdb", o->rs.dir);
    keyspace *fresh = keyspace_create(o->variant, KEYSPACE_DEFAULT_DBS);
    if (fresh == NULL)
        oracle_fail("oracle_check: keyspace_create: %s", strerror(errno));
    rdb_result res;
    memset(&res, 0, sizeof res);
    if (keyspace_load_rdb_file(fresh, path, NULL, &res) != 0) {
        keyspace_destroy(fresh);
        oracle_fail("oracle_check: loading redis-server's SAVE: %s", res.error);
    }
    keyspace_reader *ra = keyspace_reader_open(o->ks);
    keyspace_reader *rb = keyspace_reader_open(fresh);
    char why[1024] = "";
    int d = ra && rb ? keyspace_diff(ra, rb, VALUE_EQ_IGNORE_SEEN,
                                     o->expiry_slack_ms, why, sizeof why)
                     : -1;
    keyspace_reader_close(ra);
    keyspace_reader_close(rb);
    keyspace_destroy(fresh);
    if (d < 0)
        oracle_fail("oracle_check (%s, %s): keyspace_diff: out of memory", mode,
             o->variant->name);
    if (d != 0)
        oracle_fail("oracle_check (%s mode, store %s): the applier's keyspace "
             "(first) differs from redis-server's SAVE (second): %s", mode,
             o->variant->name, why);
}

const char *oracle_last_reply(const oracle *o)
{
    return o->last_reply;
}
