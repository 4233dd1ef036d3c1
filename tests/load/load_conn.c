/* load_conn.c - a pipelined connection: send many requests at once, cut
 * the replies out of what arrives.  Chapter 12.
 *
 * The readers and writers send a batch of requests in one write and then
 * take replies off the socket as they come, which is how a pipelining
 * client loads a server.  Reply boundaries come from chapter 11's scanner
 * (resp_scan()), which also says when bytes are not RESP: that is the
 * "malformed reply" the load test fails on, with the byte offset.  Reads
 * poll with a timeout, so a server that stops answering is reported, not
 * waited for.
 */
#include "load.h"

#include "resp_scan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int load_conn_open(load_conn *c, int port, int timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->timeout_ms = timeout_ms;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        snprintf(c->err, sizeof c->err, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(c->err, sizeof c->err, "connect 127.0.0.1:%d: %s", port,
                 strerror(errno));
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

void load_conn_close(load_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    load_buf_free(&c->in);
    c->off = 0;
}

int load_conn_send(load_conn *c, const load_buf *b)
{
    size_t done = 0;
    while (done < b->len) {
        ssize_t w = send(c->fd, b->p + done, b->len - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(c->err, sizeof c->err, "send: %s",
                     w < 0 ? strerror(errno) : "connection closed");
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

/* A complete reply at c->off? 1 yes, 0 no, -1 malformed. */
static int cut(load_conn *c, const char **reply, size_t *n)
{
    size_t used;
    char why[200];
    if (c->off == c->in.len)
        return 0; /* nothing read yet (c->in.p may be NULL) */
    int rc = resp_scan(c->in.p + c->off, c->in.len - c->off, &used, why,
                       sizeof why);
    if (rc < 0) {
        snprintf(c->err, sizeof c->err, "malformed reply: %s", why);
        return -1;
    }
    if (rc == 0)
        return 0;
    *reply = c->in.p + c->off;
    *n = used;
    c->off += used;
    return 1;
}

/* Read once (whatever is there, or wait up to ms). 1 read, 0 nothing,
 * -1 closed. */
static int fill(load_conn *c, int ms)
{
    if (c->off > 0 && c->off == c->in.len) {
        c->in.len = c->off = 0;
    } else if (c->off > 65536) {
        memmove(c->in.p, c->in.p + c->off, c->in.len - c->off);
        c->in.len -= c->off;
        c->off = 0;
    }
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int pr = poll(&p, 1, ms);
    if (pr < 0 && errno == EINTR)
        return 0;
    if (pr <= 0)
        return 0;
    char tmp[65536];
    ssize_t r = recv(c->fd, tmp, sizeof tmp, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (r <= 0) {
        snprintf(c->err, sizeof c->err, "recv: %s",
                 r < 0 ? strerror(errno) : "connection closed");
        return -1;
    }
    load_buf_put(&c->in, tmp, (size_t)r);
    return 1;
}

int load_conn_try_reply(load_conn *c, const char **reply, size_t *n)
{
    int rc = cut(c, reply, n);
    if (rc != 0)
        return rc;
    if (fill(c, 0) < 0)
        return -1;
    return cut(c, reply, n);
}

int load_conn_reply(load_conn *c, const char **reply, size_t *n)
{
    uint64_t end = load_now_us() + (uint64_t)c->timeout_ms * 1000u;
    for (;;) {
        int rc = cut(c, reply, n);
        if (rc != 0)
            return rc;
        if (load_now_us() > end) {
            snprintf(c->err, sizeof c->err, "no reply in %d ms",
                     c->timeout_ms);
            return -1;
        }
        if (fill(c, 100) < 0)
            return -1;
    }
}

char *load_conn_call(load_conn *c, const char *arg0, ...)
{
    load_req r;
    load_req_init(&r);
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL; a = va_arg(ap, const char *))
        load_arg(&r, "%s", a);
    va_end(ap);
    load_buf b = {0};
    load_buf_cmd(&b, &r);
    int rc = load_conn_send(c, &b);
    load_buf_free(&b);
    const char *rep;
    size_t n;
    if (rc != 0 || load_conn_reply(c, &rep, &n) != 1)
        return NULL;
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, rep, n);
    copy[n] = '\0';
    return copy;
}

long long load_info_num(const char *info, const char *name)
{
    char key[96];
    snprintf(key, sizeof key, "\n%s:", name);
    const char *p = strstr(info, key);
    if (p == NULL)
        return -1;
    return strtoll(p + strlen(key), NULL, 10);
}
