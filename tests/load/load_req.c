/* load_req.c - the load test's requests, byte buffers, random numbers and
 * error kinds.  Chapter 12.
 *
 * A request keeps its arguments in one fixed buffer so that a generator
 * builds it without allocating; it is encoded as RESP into a growing
 * buffer that a connection sends in one write, which is what pipelining
 * is.  An error reply is classified by its opening words into the few
 * kinds a well-formed read may legitimately get (a key of the wrong type,
 * a missing key, group or member); each request says which of those its
 * arguments may cause, and any other error fails the run.
 */
#include "load.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *prefix;
    const char *name;
} err_kinds[LOAD_ERR_COUNT] = {
    [LOAD_ERR_WRONGTYPE] = {"WRONGTYPE ", "WRONGTYPE"},
    [LOAD_ERR_LCSTYPE] = {"ERR The specified keys must contain string "
                          "values", "LCS wrong type"},
    [LOAD_ERR_LOADING] = {"LOADING ", "LOADING"},
    [LOAD_ERR_NOSUCHKEY] = {"ERR no such key", "no such key"},
    [LOAD_ERR_NOGROUP] = {"NOGROUP ", "NOGROUP"},
    [LOAD_ERR_NOMEMBER] = {"ERR could not decode requested zset member",
                           "no such member"},
    [LOAD_ERR_LFU] = {"ERR An LFU maxmemory policy is not selected",
                      "OBJECT FREQ without LFU"},
    [LOAD_ERR_DUMPSTREAM] = {"ERR DUMP of a stream value is not supported",
                             "DUMP of a stream"},
    [LOAD_ERR_OTHER] = {NULL, "other"},
};

const char *load_err_name(load_err k)
{
    return k < LOAD_ERR_COUNT ? err_kinds[k].name : "?";
}

load_err load_err_kind(const char *text, size_t n)
{
    for (int k = 0; k < LOAD_ERR_OTHER; k++) {
        size_t pl = strlen(err_kinds[k].prefix);
        if (n >= pl && memcmp(text, err_kinds[k].prefix, pl) == 0)
            return (load_err)k;
    }
    return LOAD_ERR_OTHER;
}

void load_req_init(load_req *r)
{
    r->argc = 0;
    r->used = 0;
    /* Not even LOADING: the readers start after the first sync, and from
     * then on the replica serves a complete copy, the old one during a
     * later full sync (dataset.h). */
    r->allowed = 0;
    r->cmd = -1;
}

void load_arg(load_req *r, const char *fmt, ...)
{
    if (r->argc >= LOAD_MAX_ARGS || r->used >= sizeof r->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof r->buf - r->used;
    int w = vsnprintf(r->buf + r->used, room, fmt, ap);
    va_end(ap);
    if (w < 0)
        w = 0;
    size_t len = (size_t)w < room ? (size_t)w : room - 1;
    r->argv[r->argc] = r->buf + r->used;
    r->lens[r->argc] = len;
    r->argc++;
    r->used += len + 1;
}

void load_buf_put(load_buf *b, const void *s, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            fprintf(stderr, "load: out of memory\n");
            abort();
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void load_buf_cmd(load_buf *b, const load_req *r)
{
    char head[32];
    int w = snprintf(head, sizeof head, "*%d\r\n", r->argc);
    load_buf_put(b, head, (size_t)w);
    for (int i = 0; i < r->argc; i++) {
        w = snprintf(head, sizeof head, "$%zu\r\n", r->lens[i]);
        load_buf_put(b, head, (size_t)w);
        load_buf_put(b, r->argv[i], r->lens[i]);
        load_buf_put(b, "\r\n", 2);
    }
}

void load_buf_free(load_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

uint64_t load_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint64_t load_below(uint64_t *s, uint64_t n)
{
    return load_rand(s) % n;
}

uint64_t load_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
