/* resp_client.c - a blocking RESP client over a socket, for tests (ch07). */
#include "resp_client.h"

#include "redis_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int resp_client_open(resp_client *c, int port)
{
    memset(c, 0, sizeof *c);
    c->fd = redis_connect_port(port, c->err, sizeof c->err);
    if (c->fd < 0)
        return -1;
    resp_limits lim = resp_limits_default();
    lim.allow_inline = false; /* replies are never inline commands */
    resp_parser_init(&c->parser, &lim);
    resp_buf_init(&c->out);
    return 0;
}

void resp_client_close(resp_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    resp_buf_free(&c->out);
    resp_parser_free(&c->parser);
    free(c->in);
    c->in = NULL;
    c->in_len = c->in_pos = c->in_cap = 0;
}

int resp_client_send(resp_client *c, size_t argc, const char *const *argv,
                     const size_t *lens)
{
    if (resp_write_command(&c->out, argc, argv, lens) != 0) {
        snprintf(c->err, sizeof c->err, "out of memory queueing a command");
        return -1;
    }
    c->pending++;
    return 0;
}

static int flush_out(resp_client *c)
{
    size_t off = 0;
    while (off < c->out.len) {
        ssize_t w = send(c->fd, c->out.data + off, c->out.len - off,
                         MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(c->err, sizeof c->err, "send: %s",
                     w < 0 ? strerror(errno) : "connection closed");
            return -1;
        }
        off += (size_t)w;
    }
    c->out.len = 0;
    return 0;
}

int resp_client_reply(resp_client *c, resp_value *out)
{
    if (c->out.len > 0 && flush_out(c) != 0)
        return -1;
    for (;;) {
        if (c->in_pos < c->in_len) {
            size_t used;
            resp_status st = resp_parse(&c->parser, c->in + c->in_pos,
                                        c->in_len - c->in_pos, &used, out);
            c->in_pos += used;
            if (st == RESP_OK) {
                if (c->pending > 0)
                    c->pending--;
                return 0;
            }
            if (st == RESP_ERR) {
                snprintf(c->err, sizeof c->err, "reply: %s",
                         resp_parser_error(&c->parser));
                return -1;
            }
        }
        /* Everything buffered was consumed: read more. */
        c->in_len = c->in_pos = 0;
        if (c->in_cap == 0) {
            c->in_cap = 64 * 1024;
            c->in = malloc(c->in_cap);
            if (c->in == NULL) {
                c->in_cap = 0;
                snprintf(c->err, sizeof c->err, "out of memory");
                return -1;
            }
        }
        ssize_t r = recv(c->fd, c->in, c->in_cap, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(c->err, sizeof c->err, "recv: %s",
                     r < 0 ? strerror(errno) : "connection closed");
            return -1;
        }
        c->in_len = (size_t)r;
    }
}

int resp_client_call(resp_client *c, resp_value *out, size_t argc,
                     const char *const *argv, const size_t *lens)
{
    if (resp_client_send(c, argc, argv, lens) != 0)
        return -1;
    return resp_client_reply(c, out);
}

int resp_client_calll(resp_client *c, resp_value *out, const char *arg0, ...)
{
    const char *argv[32];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 32;
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    return resp_client_call(c, out, argc, argv, NULL);
}
