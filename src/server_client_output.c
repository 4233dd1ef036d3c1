/* server_client_output.c - a client's replies out: non-blocking sends, EPOLLOUT, the output limits.
 * Chapter 11.
 *
 * Replies accumulate in the client's reply_buf and are written with
 * non-blocking send() (or the TLS session's write); what the socket does
 * not take waits for EPOLLOUT, which is armed only while something waits,
 * so an idle client costs the loop nothing.  A buffer left large by a
 * burst is given back once it drains.  Over the hard output limit
 * (output_limit_normal, or output_limit_pubsub for a subscriber) the
 * client is closed and counted, as Redis's client-output-buffer-limit
 * does: a client that never reads cannot make the server hold unbounded
 * memory.  Pub/Sub deliveries come in here too, since a message is just
 * more output that the limit must see.
 *
 * Thread-safety: the client's own loop thread only; the figures CLIENT
 * LIST shows are published with relaxed stores (show_buffers()).
 */
#include "server_client_io.h"

#include "server_pubsub.h"
#include "server_tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* ---- the limits ------------------------------------------------------------- */

/* [ch11-over-limit] */
bool server_client_over_limit(server_client *c)
{
    const server_options *o = &c->loop->srv->opt;
    bool pubsub = atomic_load_explicit(&c->subs, memory_order_relaxed) +
                  atomic_load_explicit(&c->psubs, memory_order_relaxed) > 0;
    uint64_t limit = pubsub ? o->output_limit_pubsub : o->output_limit_normal;
    size_t pending = c->out.out.len - c->out_pos;
    if (limit == 0 || pending <= limit)
        return false;
    if (!c->closing) {
        atomic_fetch_add_explicit(&c->loop->srv->output_kills, 1,
                                  memory_order_relaxed);
        server_logf(c->loop->srv, SERVER_LOG_WARNING, "Client id=%llu "
                    "addr=%s closed for overcoming of output buffer limits "
                    "(%zu bytes pending, limit %llu).",
                    (unsigned long long)c->id, c->addr, pending,
                    (unsigned long long)limit);
        c->closing = true;
    }
    return true;
}
/* [ch11-over-limit] */

static void show_buffers(server_client *c)
{
    atomic_store_explicit(&c->qbuf_shown, c->in_len - c->in_pos,
                          memory_order_relaxed);
    atomic_store_explicit(&c->obl_shown, c->out.out.len - c->out_pos,
                          memory_order_relaxed);
}

/* ---- sending ---------------------------------------------------------------- */

/* EPOLLOUT is wanted while replies wait, or TLS needs to send first. */
void server_client_update_events(server_client *c)
{
    bool on = c->out_pos < c->out.out.len || c->tls_hs_out || c->tls_read_out;
    if (c->want_write == on)
        return;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
    ev.data.u64 = (uint64_t)(uintptr_t)c;
    if (epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->want_write = on;
}

/* Send some of the output.  Returns bytes sent (> 0), 0 when the socket
 * is full, -1 when the connection failed. */
static ssize_t send_some(server_client *c)
{
    const char *p = c->out.out.data + c->out_pos;
    size_t len = c->out.out.len - c->out_pos;
    if (c->tls == NULL) {
        for (;;) {
            ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
            if (n > 0)
                return n;
            if (n < 0 && errno == EINTR)
                continue;
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0
                                                                      : -1;
        }
    }
    if (c->tls_handshaking)
        return 0;
    size_t n = 0;
    server_tls_status st = server_tls_write(c->tls, p, len, &n);
    c->tls_write_in = st == SERVER_TLS_WANT_READ;
    if (st == SERVER_TLS_OK)
        return (ssize_t)n;
    return st == SERVER_TLS_WANT_WRITE || st == SERVER_TLS_WANT_READ ? 0 : -1;
}

int server_client_flush(server_client *c)
{
    if (c->closing) {
        server_client_free(c);
        return -1;
    }
    while (c->out_pos < c->out.out.len) {
        ssize_t n = send_some(c);
        if (n > 0) {
            c->out_pos += (size_t)n;
            server_stat_add(&c->loop->st.net_out, (uint64_t)n);
            continue;
        }
        if (n == 0)
            break;
        server_client_free(c); /* the peer went away */
        return -1;
    }
    if (c->out_pos == c->out.out.len) {
        c->out_pos = 0;
        c->out.out.len = 0;
        if (c->out.out.cap > 1024 * 1024) /* give a burst's memory back */
            reply_free(&c->out);
    } else if (c->out_pos >= 1024 * 1024 && c->out_pos * 2 >= c->out.out.len) {
        memmove(c->out.out.data, c->out.out.data + c->out_pos,
                c->out.out.len - c->out_pos);
        c->out.out.len -= c->out_pos;
        c->out_pos = 0;
    }
    bool pending = c->out_pos < c->out.out.len;
    if (!pending && c->close_after_reply) {
        server_client_free(c);
        return -1;
    }
    if (server_client_over_limit(c)) {
        server_client_free(c);
        return -1;
    }
    server_client_update_events(c);
    show_buffers(c);
    return 0;
}

void server_client_deliver(server_client *c, const server_mail *m)
{
    const char *chan = m->data, *pat = m->data + m->clen;
    const char *msg = pat + m->plen;
    size_t mlen = m->len - m->clen - m->plen;
    if (server_pubsub_message(&c->out,
                              m->kind == SERVER_MAIL_PMESSAGE ? pat : NULL,
                              m->plen, chan, m->clen, msg, mlen) != 0)
        return; /* out of memory: this subscriber misses one message */
    server_stat_add(&c->loop->st.messages, 1);
    server_client_over_limit(c);
}
