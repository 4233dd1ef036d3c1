/* resp_raw.c - a test client that returns replies as bytes (see
 * resp_raw.h).  Chapter 11.
 */
#include "resp_raw.h"

#include "redis_server.h"
#include "resp.h"
#include "resp_scan.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int resp_raw_open(resp_raw *c, int port)
{
    memset(c, 0, sizeof *c);
    c->timeout_ms = 30000;
    c->fd = redis_connect_port(port, c->err, sizeof c->err);
    if (c->fd < 0)
        return -1;
    return 0;
}

void resp_raw_close(resp_raw *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->in);
    c->in = NULL;
    c->len = c->cap = c->consumed = 0;
}

static int send_all(resp_raw *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(c->err, sizeof c->err, "send: %s",
                     w < 0 ? strerror(errno) : "connection closed");
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read more bytes into c->in, waiting at most the timeout. */
static int read_more(resp_raw *c)
{
    if (c->cap - c->len < 65536) {
        size_t cap = c->cap ? c->cap * 2 : 131072;
        char *p = realloc(c->in, cap);
        if (p == NULL) {
            snprintf(c->err, sizeof c->err, "out of memory reading a reply");
            return -1;
        }
        c->in = p;
        c->cap = cap;
    }
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int pr;
    do
        pr = poll(&pfd, 1, c->timeout_ms);
    while (pr < 0 && errno == EINTR);
    if (pr == 0) {
        snprintf(c->err, sizeof c->err, "no complete reply within %d ms "
                 "(%zu bytes so far)", c->timeout_ms, c->len);
        return -1;
    }
    ssize_t r;
    do
        r = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0) {
        snprintf(c->err, sizeof c->err, "recv: %s (%zu bytes of a reply "
                 "read)", r < 0 ? strerror(errno) : "connection closed",
                 c->len);
        return -1;
    }
    c->len += (size_t)r;
    return 0;
}

int resp_raw_call(resp_raw *c, size_t argc, const char *const *argv,
                  const size_t *lens, const char **reply, size_t *rlen)
{
    if (c->fd < 0) {
        snprintf(c->err, sizeof c->err, "not connected");
        return -1;
    }
    /* Drop the previous reply; keep bytes read past it. */
    if (c->consumed > 0) {
        memmove(c->in, c->in + c->consumed, c->len - c->consumed);
        c->len -= c->consumed;
        c->consumed = 0;
    }
    resp_buf b;
    resp_buf_init(&b);
    if (resp_write_command(&b, argc, argv, lens) != 0) {
        snprintf(c->err, sizeof c->err, "out of memory writing a command");
        return -1;
    }
    int rc = send_all(c, b.data, b.len);
    resp_buf_free(&b);
    if (rc != 0)
        return -1;
    for (;;) {
        size_t used;
        char why[200] = "";
        int s = c->len ? resp_scan(c->in, c->len, &used, why, sizeof why) : 0;
        if (s < 0) {
            snprintf(c->err, sizeof c->err, "malformed reply: %s", why);
            return -1;
        }
        if (s == 1) {
            c->consumed = used;
            *reply = c->in;
            *rlen = used;
            return 0;
        }
        if (read_more(c) != 0)
            return -1;
    }
}

int resp_raw_calll(resp_raw *c, const char **reply, size_t *rlen,
                   const char *arg0, ...)
{
    const char *argv[64];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 64;
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    return resp_raw_call(c, argc, argv, NULL, reply, rlen);
}
