/* repl_input.c - the one buffer every stage of the link reads from.
 * Chapter 10.
 *
 * The handshake, the snapshot loader and the stream applier all consume
 * bytes from the same repl_input, in order, and leave what they did not
 * need for the next stage: the bytes after a snapshot's end are already
 * the stream, and they must be applied, not lost.  The buffer is a plain
 * array with a read position (pos) and a write position (end).  A fill
 * reads at most max_read bytes onto the end; before it does, consumed
 * bytes at the front are dropped (a memmove of the unconsumed rest) when
 * the tail has no room, and only if that is not enough does the buffer
 * grow (doubling).  So the buffer stays within about twice the largest
 * piece a stage needs to see at once (one command, one header line) plus
 * one read, however many bytes pass through it; when everything was
 * consumed, pos and end simply go back to 0.  The counters received and consumed are what the
 * tests (and the raw transcript of the tail tool) check offsets against.
 */
#include "repl_conn.h"
#include "alloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void repl_input_init(repl_input *in, repl_conn *conn, int timeout_ms)
{
    memset(in, 0, sizeof *in);
    in->conn = conn;
    in->timeout_ms = timeout_ms;
    in->last_io_ms = now_ms();
}

void repl_input_free(repl_input *in)
{
    free(in->data);
    in->data = NULL;
    in->pos = in->end = in->cap = 0;
}

/* Make room for want more bytes after end: drop consumed bytes first,
 * grow only when that is not enough.  Returns 0 or -1 (ENOMEM, with the
 * buffer untouched). */
static int make_room(repl_input *in, size_t want)
{
    if (in->cap - in->end >= want) return 0;
    if (in->pos > 0) {
        size_t live = in->end - in->pos;
        memmove(in->data, in->data + in->pos, live);
        in->pos = 0;
        in->end = live;
        if (in->cap - in->end >= want) return 0;
    }
    if (want > SIZE_MAX / 2 - in->end) goto nomem;
    size_t need = in->end + want;
    size_t cap = in->cap ? in->cap : 256;
    while (cap < need) cap *= 2;
    unsigned char *d = xrealloc(in->data, cap);
    if (!d) goto nomem;
    in->data = d;
    in->cap = cap;
    return 0;
nomem:
    snprintf(in->err, sizeof in->err, "out of memory");
    errno = ENOMEM;
    return -1;
}

ssize_t repl_input_fill(repl_input *in)
{
    if (!in->conn) {
        snprintf(in->err, sizeof in->err, "no connection to read from");
        errno = EINVAL;
        return -1;
    }
    size_t want = in->max_read ? in->max_read : REPL_INPUT_CHUNK;
    if (make_room(in, want) != 0) return -1;
    ssize_t n = repl_conn_read(in->conn, in->data + in->end, want, in->timeout_ms);
    if (n > 0) {
        in->end += (size_t)n;
        in->received += (uint64_t)n;
        in->last_io_ms = now_ms();
        in->err[0] = '\0';
        return n;
    }
    int saved = errno;
    if (n == 0)
        snprintf(in->err, sizeof in->err, "connection closed by the master");
    else if (saved == ETIMEDOUT)
        snprintf(in->err, sizeof in->err, "timeout: no data from the master for %d ms",
                 in->timeout_ms);
    else
        snprintf(in->err, sizeof in->err, "%s", repl_conn_error(in->conn));
    errno = saved;
    return n;
}

int repl_input_append(repl_input *in, const void *p, size_t n)
{
    if (n == 0) return 0;
    if (make_room(in, n) != 0) return -1;
    memcpy(in->data + in->end, p, n);
    in->end += n;
    in->received += n;
    in->last_io_ms = now_ms();
    return 0;
}

void repl_input_consume(repl_input *in, size_t n)
{
    if (n > in->end - in->pos) n = in->end - in->pos; /* never past end */
    in->pos += n;
    in->consumed += n;
    if (in->pos == in->end) in->pos = in->end = 0;
}

const char *repl_input_error(const repl_input *in)
{
    return in->err;
}
