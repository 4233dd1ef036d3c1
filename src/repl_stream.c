/* repl_stream.c - the command stream after the snapshot: frame, count, apply, ACK.
 * Chapter 10.
 *
 * Design.  The stream is a loop over chapter 6's parser: each resp_parse()
 * call yields one whole command and says how many bytes it took
 * (resp_parser::last_size), which is all the offset arithmetic needs.  The
 * parser's own offset counts from the last reset; `base` is the stream
 * offset of its byte 0, so every offset here, and every error message, is
 * the master's offset.  Three offsets are kept, as Redis keeps them for its
 * master client (redis/redis src/networking.c): `received` (every byte,
 * read_reploff), `offset` (the end of the last whole command applied
 * outside MULTI, reploff: what ACK reports and PSYNC resumes after) and
 * `flushed` (offset at the last publication, where an out-of-memory
 * failure goes back to).
 *
 * A master sends only arrays of bulk strings, and bare newlines to keep
 * the link alive.  The parser accepts inline commands so that it skips
 * those newlines (their bytes count in the next command's size, as Redis
 * counts them); an inline command that is not blank, any other type, an
 * empty array and an argument that is not a bulk string all mean the two
 * sides have lost each other (Redis closes the link: "Master using the
 * inline protocol. Desync?"), and end the feed with REPL_STREAM_PROTOCOL.
 * Lengths are not limited beyond what memory allows, since Redis applies
 * no proto-max-bulk-len or query buffer limit to its master.
 *
 * Errors are sticky: after one, the feed refuses everything until
 * repl_stream_reset(), so a link cannot go on framing from the middle of a
 * command by mistake.  Counts (repl_stream_stats) count what happened and
 * are never rolled back.
 *
 * No I/O and no clock: bytes in, keyspace changes and ACK bytes out, so
 * the tests can split a stream at every byte and compare.
 */
#include "repl_stream.h"

#include "alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct repl_stream {
    cmd_applier *a;            /* NULL when opt.apply is false */
    repl_stream_options opt;
    resp_parser p;
    uint64_t base;             /* stream offset of the parser's byte 0 */
    uint64_t offset;           /* end of the last whole command outside MULTI */
    uint64_t flushed;          /* offset at the last publication */
    bool in_multi;             /* apply false: MULTI seen, EXEC not yet */
    unsigned db;               /* the database on_command reports */
    unsigned db_at_multi;      /* db when the open MULTI arrived */
    repl_stream_status failed; /* the sticky error, REPL_STREAM_OK if none */
    resp_buf out;              /* ACKs for the master */
    repl_stream_stats st;
    char err[400];
};

repl_stream_options repl_stream_options_default(void)
{
    repl_stream_options o = {
        .on_refused = REPL_REFUSED_RESYNC,
        .apply = true,
    };
    return o;
}

/* The parser's limits for a master's stream: Redis applies neither
 * proto-max-bulk-len nor the query buffer limit to its master
 * (processMultibulkBuffer() skips both for CLIENT_MASTER), so neither do
 * we; memory still grows only with the bytes that arrive. */
static resp_limits stream_limits(void)
{
    resp_limits l = resp_limits_default();
    l.max_bulk = UINT64_C(1) << 56;
    l.max_value = UINT64_C(1) << 56;
    l.allow_inline = true; /* to skip keep-alive newlines; see is_command() */
    return l;
}

repl_stream *repl_stream_create(cmd_applier *a, uint64_t offset,
                                const repl_stream_options *opt)
{
    repl_stream_options o = opt ? *opt : repl_stream_options_default();
    if (o.apply && a == NULL) {
        errno = EINVAL;
        return NULL;
    }
    repl_stream *s = xcalloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->a = o.apply ? a : NULL;
    s->opt = o;
    resp_limits lim = stream_limits();
    resp_parser_init(&s->p, &lim);
    s->base = s->offset = s->flushed = offset;
    s->db = s->a ? cmd_applier_db(s->a) : o.db;
    resp_buf_init(&s->out);
    return s;
}

void repl_stream_destroy(repl_stream *s)
{
    if (s == NULL)
        return;
    resp_parser_free(&s->p);
    resp_buf_free(&s->out);
    free(s);
}

/* Enter the sticky error state with "offset N: ..." in s->err. */
static repl_stream_status fail(repl_stream *s, repl_stream_status st,
                               uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static repl_stream_status fail(repl_stream *s, repl_stream_status st,
                               uint64_t at, const char *fmt, ...)
{
    int n = snprintf(s->err, sizeof s->err, "offset %" PRIu64 ": ", at);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
    va_end(ap);
    s->failed = st;
    return st;
}

/* Out of memory half-way through a read: drop everything since the last
 * publication (the applier may have changed the batch half way), and
 * report where the stream now stands. */
static repl_stream_status out_of_memory(repl_stream *s, uint64_t at,
                                        const char *what)
{
    if (s->a != NULL)
        cmd_applier_abort(s->a); /* nothing if the applier already did */
    s->offset = s->flushed;
    s->in_multi = false;
    errno = ENOMEM;
    return fail(s, REPL_STREAM_NOMEM, at, "out of memory %s; the stream "
                "goes back to offset %" PRIu64 ", its last publication", what,
                s->flushed);
}

static bool arg_is(const resp_value *v, const char *word)
{
    return v->len == strlen(word) && strcasecmp(v->str, word) == 0;
}

/* Whether the master is inside MULTI: the applier knows, or we track it
 * ourselves when there is no applier. */
static bool in_multi(const repl_stream *s)
{
    return s->a != NULL ? cmd_applier_in_multi(s->a) : s->in_multi;
}

/* Check that a parsed value is a command: a non-empty array of bulk
 * strings, not inline.  0, or -1 after fail(). */
static int is_command(repl_stream *s, const resp_value *v, uint64_t at)
{
    if (v->type != RESP_ARRAY) {
        fail(s, REPL_STREAM_PROTOCOL, at, "expected a command (an array of "
             "bulk strings), got a %s", resp_type_name(v->type));
        return -1;
    }
    if (v->len == 0) {
        fail(s, REPL_STREAM_PROTOCOL, at, "an empty array where a command "
             "was expected");
        return -1;
    }
    if (v->is_inline) {
        fail(s, REPL_STREAM_PROTOCOL, at, "an inline command ('%.40s%s') in "
             "the master's stream, which carries only arrays of bulk "
             "strings: the stream is out of step", v->elems[0].str,
             v->elems[0].len > 40 ? "..." : "");
        return -1;
    }
    for (size_t i = 0; i < v->len; i++)
        if (v->elems[i].type != RESP_BULK) {
            fail(s, REPL_STREAM_PROTOCOL, at, "argument %zu of the command "
                 "is a %s, not a bulk string", i,
                 resp_type_name(v->elems[i].type));
            return -1;
        }
    return 0;
}

/* [ch10-getack] */
/*
 * REPLCONF GETACK: the master asks where we are (it sends it for WAIT,
 * and for its own bookkeeping).  The answer is the offset *before* the
 * GETACK's own bytes: s->offset has not moved past it yet, and inside a
 * MULTI it is still the offset before the MULTI, as Redis's replica
 * answers (its reploff moves only outside MULTI).  Options come in pairs,
 * and GETACK may be any of them (replconfCommand(), redis/redis
 * src/replication.c).
 * Returns 0 (answered, or not a GETACK), or -1 when the ACK could not be
 * queued (out of memory).
 */
static int handle_getack(repl_stream *s, const resp_value *cmd)
{
    /* learn: ch10 handle_getack "Offsets count bytes" */
    if (!arg_is(&cmd->elems[0], "replconf") || cmd->len % 2 == 0)
        return 0;
    for (size_t i = 1; i + 1 < cmd->len; i += 2)
        if (arg_is(&cmd->elems[i], "getack")) {
            if (repl_write_ack(&s->out, s->offset) != 0)
                return -1;
            s->st.getacks++;
            return 0;
        }
    return 0;
    /* learn: end */
}
/* [ch10-getack] */

/* Follow SELECT, MULTI, EXEC and DISCARD for the database on_command
 * reports.  With an applier, its database is the truth outside MULTI
 * (a refused SELECT changes nothing); inside MULTI a queued SELECT only
 * runs at EXEC, but the commands queued after it will run in its
 * database, so they are reported there.  Without an applier the stream
 * follows them on its own. */
static void track_state(repl_stream *s, const resp_value *cmd)
{
    const resp_value *name = &cmd->elems[0];
    if (arg_is(name, "select") && cmd->len == 2) {
        int64_t db;
        if (resp_parse_int(cmd->elems[1].str, cmd->elems[1].len, &db) == 0 &&
            db >= 0 && db <= (int64_t)UINT32_MAX)
            s->db = (unsigned)db;
    } else if (s->a == NULL && arg_is(name, "multi") && cmd->len == 1) {
        if (!s->in_multi)
            s->db_at_multi = s->db;
        s->in_multi = true;
    } else if (s->a == NULL && arg_is(name, "exec") && cmd->len == 1) {
        s->in_multi = false;
    } else if (s->a == NULL && arg_is(name, "discard") && cmd->len == 1) {
        if (s->in_multi)
            s->db = s->db_at_multi;
        s->in_multi = false;
    }
}

/* One whole command of `size` bytes starting at stream offset `start`. */
static repl_stream_status handle(repl_stream *s, const resp_value *cmd,
                                 uint64_t start, uint64_t size)
{
    if (is_command(s, cmd, start) != 0)
        return s->failed;
    s->st.commands++;
    if (s->a != NULL && !cmd_applier_in_multi(s->a))
        s->db = cmd_applier_db(s->a);
    if (s->opt.on_command != NULL)
        s->opt.on_command(s->opt.arg, cmd, start, size, s->db);
    if (arg_is(&cmd->elems[0], "ping"))
        s->st.pings++;
    if (handle_getack(s, cmd) != 0)
        return out_of_memory(s, start, "queueing the ACK to a GETACK");
    track_state(s, cmd);
    if (s->a != NULL) {
        cmd_status cs = cmd_apply(s->a, cmd, start);
        if (cs == CMD_NOMEM)
            return out_of_memory(s, start, "applying the command");
        if (cs == CMD_FAILED) {
            s->st.refused++;
            const char *why = cmd_applier_error(s->a);
            if (s->opt.on_refused_fn != NULL)
                s->opt.on_refused_fn(s->opt.arg, start, cmd->elems[0].str,
                                     why);
            if (s->opt.on_refused != REPL_REFUSED_SKIP) {
                /* why is "offset N: NAME ...: reply"; N is start */
                const char *ctx = strstr(why, ": ");
                return fail(s, REPL_STREAM_REFUSED, start, "refused, the "
                            "copies have diverged: %s", ctx ? ctx + 2 : why);
            }
        } else {
            s->st.applied++;
        }
    }
    if (!in_multi(s))
        s->offset = start + size;
    return REPL_STREAM_OK;
}

repl_stream_status repl_stream_feed(repl_stream *s, const void *buf,
                                    size_t len, size_t *used)
{
    const unsigned char *b = buf;
    size_t pos = 0;
    *used = 0;
    if (s->failed != REPL_STREAM_OK)
        return s->failed;
    while (pos < len) {
        resp_value cmd;
        size_t n = 0;
        errno = 0;
        resp_status rs = resp_parse(&s->p, b + pos, len - pos, &n, &cmd);
        pos += n;
        s->st.bytes += n;
        *used = pos;
        if (rs == RESP_NEED_MORE)
            break;
        if (rs == RESP_ERR) {
            uint64_t at = s->base + s->p.err_offset;
            if (errno == ENOMEM)
                return out_of_memory(s, at, "reading the stream");
            /* The parser says "byte N: why" with its own N; name the
             * stream's offset instead. */
            const char *why = resp_parser_error(&s->p);
            const char *colon = why ? strstr(why, ": ") : NULL;
            return fail(s, REPL_STREAM_PROTOCOL, at, "%s",
                        colon ? colon + 2 : "protocol error");
        }
        uint64_t end = s->base + s->p.offset;
        repl_stream_status st = handle(s, &cmd, end - s->p.last_size,
                                       s->p.last_size);
        resp_value_clear(&cmd);
        if (st != REPL_STREAM_OK)
            return st;
    }
    return REPL_STREAM_OK;
}

int repl_stream_flush(repl_stream *s)
{
    if (s->a != NULL) {
        if (cmd_applier_flush(s->a) != 0) {
            out_of_memory(s, s->offset, "publishing the batch");
            errno = ENOMEM;
            return -1;
        }
        if (cmd_applier_in_multi(s->a))
            return 0; /* nothing published: the EXEC will be */
    } else if (s->in_multi) {
        return 0;
    }
    s->flushed = s->offset;
    return 0;
}

uint64_t repl_stream_published(const repl_stream *s)
{
    return s->flushed;
}

uint64_t repl_stream_offset(const repl_stream *s)
{
    return s->offset;
}

uint64_t repl_stream_received(const repl_stream *s)
{
    return s->base + s->p.offset;
}

void repl_stream_reset(repl_stream *s)
{
    resp_parser_free(&s->p);
    resp_limits lim = stream_limits();
    resp_parser_init(&s->p, &lim);
    s->base = s->offset;
    if (s->a != NULL) {
        cmd_applier_discard(s->a);
        s->db = cmd_applier_db(s->a);
    } else if (s->in_multi) {
        s->db = s->db_at_multi;
    }
    s->in_multi = false;
    s->failed = REPL_STREAM_OK;
    s->err[0] = '\0';
}

resp_buf *repl_stream_output(repl_stream *s)
{
    return &s->out;
}

int repl_write_ack(resp_buf *b, uint64_t offset)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, offset);
    const char *argv[3] = {"REPLCONF", "ACK", num};
    size_t lens[3] = {8, 3, (size_t)n};
    if (resp_write_command(b, 3, argv, lens) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void repl_stream_stats_get(const repl_stream *s, repl_stream_stats *out)
{
    *out = s->st;
}

const char *repl_stream_error(const repl_stream *s)
{
    return s->err;
}
