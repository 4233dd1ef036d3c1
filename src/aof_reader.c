/* aof_reader.c - the commands of one append-only file, with their offsets.
 * Chapter 9.
 *
 * An AOF is a replication stream at rest: RESP arrays of bulk strings, one
 * per command, back to back.  So the reader is chapter 6's parser fed from
 * a file in large reads (AOF_READ_SIZE; one read() per megabyte, not one
 * per line as Redis's fgets()-based loader does), with three additions:
 *  - offsets are file offsets: the parser starts where the caller says (the
 *    end of an RDB preamble) and counts from there, so every message names
 *    the byte in the file;
 *  - annotations: a line starting with '#' where a command could start is
 *    skipped (Redis writes "#TS:<unix time>" lines when
 *    aof-timestamp-enabled is yes; its loader skips them the same way);
 *  - the file's end: between two commands it is the normal end, inside one
 *    it is a truncated command, reported with the offset where that
 *    command starts, which is where Redis's aof-load-truncated cuts.
 * Inline commands are refused (the parser is told so): Redis's loader
 * wants '*' at the start of every command, and so does this one.
 */
#include "aof.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

int aof_reader_open(aof_reader *r, int fd, const char *name, uint64_t start)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->name = name;
    resp_limits lim = resp_limits_default();
    lim.allow_inline = false;
    resp_parser_init(&r->p, &lim);
    r->buf = xmalloc(AOF_READ_SIZE);
    if (r->buf == NULL) {
        snprintf(r->error, sizeof r->error, "%s: out of memory", name);
        errno = ENOMEM;
        return -1;
    }
    if (lseek(fd, (off_t)start, SEEK_SET) == (off_t)-1) {
        int e = errno;
        snprintf(r->error, sizeof r->error, "%s: seek to offset %" PRIu64
                 ": %s", name, start, strerror(e));
        errno = e;
        return -1;
    }
    if (start > 0)
        resp_parser_advance(&r->p, start);
    r->cmd_offset = start;
    return 0;
}

/* Refill the buffer; 0, or -1 after a read error. */
static int refill(aof_reader *r)
{
    for (;;) {
        ssize_t got = read(r->fd, r->buf, AOF_READ_SIZE);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            snprintf(r->error, sizeof r->error, "%s: offset %" PRIu64
                     ": read: %s", r->name, r->p.offset, strerror(e));
            errno = e;
            return -1;
        }
        r->len = (size_t)got;
        r->pos = 0;
        r->eof = got == 0;
        return 0;
    }
}

/* Check that a parsed value is a command; -1 with r->error if not. */
static int check_command(aof_reader *r, const resp_value *v)
{
    const char *what = NULL;
    size_t bad = 0;
    if (v->type != RESP_ARRAY)
        what = resp_type_name(v->type);
    else if (v->len == 0)
        what = "an empty array";
    else
        for (size_t i = 0; i < v->len && what == NULL; i++)
            if (v->elems[i].type != RESP_BULK) {
                what = resp_type_name(v->elems[i].type);
                bad = i + 1;
            }
    if (what == NULL)
        return 0;
    if (bad > 0)
        snprintf(r->error, sizeof r->error, "%s: offset %" PRIu64
                 ": a command must be an array of bulk strings; element "
                 "%zu is a %s", r->name, r->cmd_offset, bad, what);
    else
        snprintf(r->error, sizeof r->error, "%s: offset %" PRIu64
                 ": a command must be an array of bulk strings, found %s%s",
                 r->name, r->cmd_offset,
                 v->type == RESP_ARRAY ? "" : "a ", what);
    errno = EINVAL;
    return -1;
}

aof_read_status aof_reader_next(aof_reader *r, resp_value *out)
{
    bool started = false; /* fed bytes of a command to the parser */
    for (;;) {
        if (r->pos == r->len) {
            if (r->eof || refill(r) != 0)
                break;
            if (r->eof)
                break;
        }
        const unsigned char *p = r->buf + r->pos;
        size_t n = r->len - r->pos;
        if (!started && (r->in_note || p[0] == '#')) {
            /* an annotation: skip to its newline */
            if (!r->in_note)
                r->notes++;
            const unsigned char *nl = memchr(p, '\n', n);
            size_t skip = nl ? (size_t)(nl - p) + 1 : n;
            r->in_note = nl == NULL;
            resp_parser_advance(&r->p, skip);
            r->pos += skip;
            continue;
        }
        if (!started) {
            r->cmd_offset = r->p.offset;
            started = true;
        }
        size_t used;
        resp_status st = resp_parse(&r->p, p, n, &used, out);
        r->pos += used;
        if (st == RESP_NEED_MORE)
            continue;
        if (st == RESP_ERR) {
            snprintf(r->error, sizeof r->error, "%s: %s (in the command "
                     "starting at offset %" PRIu64 ")", r->name,
                     resp_parser_error(&r->p), r->cmd_offset);
            errno = EINVAL;
            return AOF_READ_ERROR;
        }
        if (check_command(r, out) != 0) {
            resp_value_clear(out);
            return AOF_READ_ERROR;
        }
        return AOF_READ_CMD;
    }
    if (!r->eof)
        return AOF_READ_ERROR; /* refill() failed */
    return started ? AOF_READ_TRUNCATED : AOF_READ_END;
}

void aof_reader_close(aof_reader *r)
{
    if (r == NULL)
        return;
    resp_parser_free(&r->p);
    free(r->buf);
    r->buf = NULL;
}
