/* cmd_server.c - the stream's commands that change no keys: PING, REPLCONF,
 * PUBLISH, FUNCTION, SCRIPT, and the refusal of scripts.
 * Chapter 9.
 *
 * A master's stream carries more than writes.  PING keeps the link alive
 * and REPLCONF GETACK asks for the replica's offset (chapter 11 answers
 * it; here both are accepted and change nothing).  PUBLISH is propagated
 * so that a replica's subscribers hear it too: the applier hands it to
 * the on_publish hook.  FUNCTION LOAD, DELETE, FLUSH and RESTORE are
 * propagated as they are, and the applier keeps a registry of libraries:
 * it cannot run Lua, so it checks what Redis checks before running a
 * library's code (redis/redis src/functions.c,
 * functionExtractLibMetaData() and functionsCreateWithLibraryCtx(): the
 * `#!<engine> name=<name>` first line, the name's characters, the engine,
 * a duplicate) and stands in for the run itself with one test, that the
 * code registers something (Redis refuses a library that registers no
 * function).  FUNCTION RESTORE reads the payload FUNCTION DUMP made:
 * FUNCTION2 records (opcode 245, then the code as an RDB string), the
 * RDB version and the CRC-64, read with chapter 7's reader.
 *
 * EVAL, EVALSHA, FCALL and their _RO forms are refused: Redis 7.0
 * replicates a script by its effects (the write commands it ran, wrapped
 * in MULTI/EXEC), never by the script, so one in the stream means the
 * stream did not come from a 7.0 master.
 */
#include "cmd_private.h"
#include "cmd_server.h"

#include "alloc.h"

#include "crc64.h"
#include "rdb_reader.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- PING, REPLCONF, PUBLISH ----------------------------------------------- */

static int srv_ping(cmd_ctx *c)
{
    if (c->argc > 2)
        return cmd_error(c, "ERR wrong number of arguments for 'ping' "
                         "command");
    return 0;
}

static int srv_replconf(cmd_ctx *c)
{
    /* Options come in pairs (replconfCommand()); what they ask, GETACK,
     * is answered by the replica's link (chapter 11), not here. */
    if (c->argc % 2 == 0)
        return cmd_error(c, CMD_ERR_SYNTAX);
    return 0;
}

static int srv_publish(cmd_ctx *c)
{
    const cmd_applier *a = c->app;
    if (a->opt.on_publish != NULL)
        a->opt.on_publish(c->argv[1].str, c->argv[1].len, c->argv[2].str,
                          c->argv[2].len, a->opt.publish_arg);
    return 0;
}

/* ---- the library registry ------------------------------------------------------ */

void cmd_libraries_clear(cmd_libraries *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].code);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static long lib_find(const cmd_libraries *l, const char *name, size_t nlen)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].nlen == nlen && memcmp(l->v[i].name, name, nlen) == 0)
            return (long)i;
    return -1;
}

static void lib_remove(cmd_libraries *l, size_t i)
{
    free(l->v[i].name);
    free(l->v[i].code);
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof l->v[0]);
    l->n--;
}

/* Make room for one more; -1 on ENOMEM. */
static int lib_reserve(cmd_libraries *l, size_t extra)
{
    if (l->n + extra <= l->cap)
        return 0;
    size_t cap = l->cap ? l->cap : 4;
    while (cap < l->n + extra)
        cap *= 2;
    cmd_library *v = xrealloc(l->v, cap * sizeof *v);
    if (v == NULL)
        return -1;
    l->v = v;
    l->cap = cap;
    return 0;
}

static char *dup_bytes(const char *p, size_t n)
{
    char *s = xmalloc(n + 1);
    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

size_t cmd_applier_functions(const cmd_applier *a,
                             int (*fn)(const char *name, size_t nlen,
                                       const char *code, size_t clen,
                                       void *arg),
                             void *arg)
{
    for (size_t i = 0; i < a->libs.n; i++)
        if (fn(a->libs.v[i].name, a->libs.v[i].nlen, a->libs.v[i].code,
               a->libs.v[i].clen, arg) != 0)
            break;
    return a->libs.n;
}

/*
 * Check a library's code as Redis does before it runs it, and find its
 * name.  On success *name and *nlen point into code.  On failure, the reply
 * text (without "ERR ") goes to why.
 */
static int lib_parse(const char *code, size_t clen, const char **name,
                     size_t *nlen, char *why, size_t whysz)
{
    if (clen < 2 || memcmp(code, "#!", 2) != 0) {
        snprintf(why, whysz, "Missing library metadata");
        return -1;
    }
    const char *eol = memchr(code, '\n', clen);
    if (eol == NULL) {
        snprintf(why, whysz, "Invalid library metadata");
        return -1;
    }
    /* The first line, split at spaces: "#!<engine>" then key=value
     * parts, of which Redis 7.0 knows only name=. */
    const char *p = code, *end = eol;
    const char *engine = NULL, *nm = NULL;
    size_t elen = 0, nml = 0;
    bool first = true;
    while (p < end) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p == end)
            break;
        const char *w = p;
        while (p < end && !isspace((unsigned char)*p))
            p++;
        size_t wl = (size_t)(p - w);
        if (first) {
            engine = w + 2;
            elen = wl - 2;
            first = false;
        } else if (wl >= 5 && strncasecmp(w, "name=", 5) == 0) {
            if (nm != NULL) {
                snprintf(why, whysz, "Invalid metadata value, name argument "
                         "was given multiple times");
                return -1;
            }
            nm = w + 5;
            nml = wl - 5;
        } else {
            snprintf(why, whysz, "Invalid metadata value given: %.*s",
                     (int)wl, w);
            return -1;
        }
    }
    if (nm == NULL) {
        snprintf(why, whysz, "Library name was not given");
        return -1;
    }
    bool ok = nml > 0;
    for (size_t i = 0; i < nml; i++)
        if (!isalnum((unsigned char)nm[i]) && nm[i] != '_')
            ok = false;
    if (!ok) {
        snprintf(why, whysz, "Library names can only contain letters, "
                 "numbers, or underscores(_) and must be at least one "
                 "character long");
        return -1;
    }
    if (elen != 3 || strncasecmp(engine, "lua", 3) != 0) {
        snprintf(why, whysz, "Engine '%.*s' not found", (int)elen, engine);
        return -1;
    }
    /* Redis runs the code and refuses it if it registered no function;
     * without Lua, the call must at least be there. */
    if (memmem(eol, clen - (size_t)(eol - code), "register_function",
               17) == NULL) {
        snprintf(why, whysz, "No functions registered");
        return -1;
    }
    *name = nm;
    *nlen = nml;
    return 0;
}

/* Add (or, with replace, replace) a library: -1 with errno ENOMEM. */
static int lib_put(cmd_libraries *l, const char *name, size_t nlen,
                   const char *code, size_t clen)
{
    char *n = dup_bytes(name, nlen), *k = dup_bytes(code, clen);
    if (n == NULL || k == NULL || lib_reserve(l, 1) != 0) {
        free(n);
        free(k);
        errno = ENOMEM;
        return -1;
    }
    long i = lib_find(l, name, nlen);
    if (i >= 0)
        lib_remove(l, (size_t)i);
    l->v[l->n++] = (cmd_library){n, nlen, k, clen};
    return 0;
}

/* ---- FUNCTION ------------------------------------------------------------------ */

/* addReplySubcommandSyntaxError(): the subcommand as the client typed it. */
static int subcommand_syntax(cmd_ctx *c)
{
    return cmd_error(c, "ERR unknown subcommand or wrong number of arguments "
                     "for '%.128s'. Try FUNCTION HELP.", c->argv[1].str);
}

static int fn_container(cmd_ctx *c)
{
    /* Never run: the dispatcher resolves "function|<sub>" first. */
    return cmd_error(c, "ERR unknown subcommand. Try FUNCTION HELP.");
}

static int fn_load(cmd_ctx *c)
{
    cmd_applier *a = c->app;
    bool replace = false;
    size_t i = 2;
    for (; i < c->argc - 1; i++) {
        if (cmd_arg_is(c, i, "replace")) {
            replace = true;
            continue;
        }
        return cmd_error_arg(c, (int)i, "ERR Unknown option given: %s",
                             c->argv[i].str);
    }
    const char *name;
    size_t nlen;
    char why[200];
    if (lib_parse(c->argv[i].str, c->argv[i].len, &name, &nlen, why,
                  sizeof why) != 0)
        return cmd_error_arg(c, (int)i, "ERR %s", why);
    if (!replace && lib_find(&a->libs, name, nlen) >= 0)
        return cmd_error_arg(c, (int)i, "ERR Library '%.*s' already exists",
                             (int)nlen, name);
    return lib_put(&a->libs, name, nlen, c->argv[i].str, c->argv[i].len);
}

static int fn_delete(cmd_ctx *c)
{
    cmd_applier *a = c->app;
    long i = lib_find(&a->libs, c->argv[2].str, c->argv[2].len);
    if (i < 0)
        return cmd_error_arg(c, 2, "ERR Library not found");
    lib_remove(&a->libs, (size_t)i);
    return 0;
}

static int fn_flush(cmd_ctx *c)
{
    if (c->argc > 3)
        return subcommand_syntax(c);
    if (c->argc == 3 && !cmd_arg_is(c, 2, "sync") &&
        !cmd_arg_is(c, 2, "async"))
        return cmd_error_arg(c, 2, "ERR FUNCTION FLUSH only supports "
                             "SYNC|ASYNC option");
    cmd_libraries_clear(&c->app->libs);
    return 0;
}

enum { RDB_OPCODE_FUNCTION_PRE_GA = 246, RDB_OPCODE_FUNCTION2 = 245 };
enum { DUMP_RDB_VERSION_MAX = 10 }; /* Redis 7.0 writes RDB version 10 */

/* Read FUNCTION DUMP's payload into l (empty on entry).  -1 with why set
 * (the reply text), or with errno ENOMEM and why empty. */
static int read_payload(const unsigned char *p, size_t len,
                        cmd_libraries *l, char *why, size_t whysz)
{
    why[0] = '\0';
    /* verifyDumpPayload(): ... 2-byte LE version, 8-byte LE CRC-64. */
    if (len < 10) {
        snprintf(why, whysz, "ERR DUMP payload version or checksum are "
                 "wrong");
        return -1;
    }
    unsigned ver = (unsigned)p[len - 10] | (unsigned)p[len - 9] << 8;
    uint64_t crc = 0;
    for (int b = 7; b >= 0; b--)
        crc = crc << 8 | p[len - 8 + (size_t)b];
    if (ver > DUMP_RDB_VERSION_MAX || crc64_update(0, p, len - 8) != crc) {
        snprintf(why, whysz, "ERR DUMP payload version or checksum are "
                 "wrong");
        return -1;
    }
    rdb_reader r;
    rdb_reader_init_mem(&r, p, len - 10);
    rdb_buf code = {0};
    int rc = 0;
    while (rdb_offset(&r) < len - 10) {
        uint8_t type;
        if (rdb_read_u8(&r, &type) != 0) {
            snprintf(why, whysz, "ERR can not read data type");
            rc = -1;
            break;
        }
        if (type == RDB_OPCODE_FUNCTION_PRE_GA) {
            snprintf(why, whysz, "ERR Pre-GA function format not supported");
            rc = -1;
            break;
        }
        if (type != RDB_OPCODE_FUNCTION2) {
            snprintf(why, whysz, "ERR given type is not a function");
            rc = -1;
            break;
        }
        if (rdb_read_string(&r, &code, NULL) != 0) {
            snprintf(why, whysz, "ERR failed loading the given functions "
                     "payload");
            rc = -1;
            break;
        }
        const char *name;
        size_t nlen;
        char w[200];
        if (lib_parse((const char *)code.p, code.len, &name, &nlen, w,
                      sizeof w) != 0) {
            snprintf(why, whysz, "ERR %s", w);
            rc = -1;
            break;
        }
        if (lib_find(l, name, nlen) >= 0) {
            snprintf(why, whysz, "ERR Library '%.*s' already exists",
                     (int)nlen, name);
            rc = -1;
            break;
        }
        if (lib_put(l, name, nlen, (const char *)code.p, code.len) != 0) {
            rc = -1;
            break;
        }
    }
    rdb_buf_free(&code);
    rdb_reader_free(&r);
    return rc;
}

static int fn_restore(cmd_ctx *c)
{
    cmd_applier *a = c->app;
    if (c->argc > 4)
        return subcommand_syntax(c);
    enum { APPEND, REPLACE, FLUSH } policy = APPEND;
    if (c->argc == 4) {
        if (cmd_arg_is(c, 3, "append"))
            policy = APPEND;
        else if (cmd_arg_is(c, 3, "replace"))
            policy = REPLACE;
        else if (cmd_arg_is(c, 3, "flush"))
            policy = FLUSH;
        else
            return cmd_error_arg(c, 3, "ERR Wrong restore policy given, "
                                 "value should be either FLUSH, APPEND or "
                                 "REPLACE.");
    }
    cmd_libraries in = {0};
    char why[256];
    if (read_payload((const unsigned char *)c->argv[2].str, c->argv[2].len,
                     &in, why, sizeof why) != 0) {
        cmd_libraries_clear(&in);
        if (why[0] == '\0')
            return -1; /* ENOMEM */
        return cmd_error_arg(c, 2, "%s", why);
    }
    if (policy == FLUSH) {
        cmd_libraries_clear(&a->libs);
        a->libs = in;
        return 0;
    }
    if (policy == APPEND)
        for (size_t i = 0; i < in.n; i++)
            if (lib_find(&a->libs, in.v[i].name, in.v[i].nlen) >= 0) {
                int rc = cmd_error_arg(c, 2, "ERR Library %s already exists",
                                       in.v[i].name);
                cmd_libraries_clear(&in);
                return rc;
            }
    if (lib_reserve(&a->libs, in.n) != 0) {
        cmd_libraries_clear(&in);
        errno = ENOMEM;
        return -1;
    }
    /* Room is reserved, so moving the libraries over cannot fail. */
    for (size_t i = 0; i < in.n; i++) {
        long j = lib_find(&a->libs, in.v[i].name, in.v[i].nlen);
        if (j >= 0)
            lib_remove(&a->libs, (size_t)j);
        a->libs.v[a->libs.n++] = in.v[i];
    }
    free(in.v);
    return 0;
}

/* ---- SCRIPT and the scripts themselves ------------------------------------- */

static int script_flush(cmd_ctx *c)
{
    if (c->argc > 3 || (c->argc == 3 && !cmd_arg_is(c, 2, "sync") &&
                        !cmd_arg_is(c, 2, "async")))
        return cmd_error(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC "
                         "option");
    return 0; /* the applier keeps no script cache */
}

static int script_container(cmd_ctx *c)
{
    return cmd_error(c, "ERR unknown subcommand. Try SCRIPT HELP.");
}

static int refuse_script(cmd_ctx *c)
{
    char name[16];
    size_t i = 0;
    for (; c->spec->name[i] != '\0' && i < sizeof name - 1; i++)
        name[i] = (char)toupper((unsigned char)c->spec->name[i]);
    name[i] = '\0';
    return cmd_error(c, "ERR %s is not applied: Redis 7.0 replicates a "
                     "script by its effects (the writes it made), never "
                     "the script itself", name);
}

/* Arity as `COMMAND INFO` of redis-server 7.0.15 reports it. */
const cmd_spec cmd_server_table[] = {
    {"ping", -1, CMD_NOTDATA, srv_ping},
    {"replconf", -1, CMD_NOTDATA, srv_replconf},
    {"publish", 3, CMD_NOTDATA, srv_publish},
    {"function", -2, CMD_NOTDATA, fn_container},
    {"function|load", -3, CMD_NOTDATA, fn_load},
    {"function|delete", 3, CMD_NOTDATA, fn_delete},
    {"function|flush", -2, CMD_NOTDATA, fn_flush},
    {"function|restore", -3, CMD_NOTDATA, fn_restore},
    {"script", -2, CMD_NOTDATA, script_container},
    {"script|flush", -2, CMD_NOTDATA, script_flush},
    {"eval", -3, CMD_NOTDATA, refuse_script},
    {"evalsha", -3, CMD_NOTDATA, refuse_script},
    {"eval_ro", -3, CMD_NOTDATA, refuse_script},
    {"evalsha_ro", -3, CMD_NOTDATA, refuse_script},
    {"fcall", -3, CMD_NOTDATA, refuse_script},
    {"fcall_ro", -3, CMD_NOTDATA, refuse_script},
    {0},
};
