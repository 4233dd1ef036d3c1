/* server_loop.c - one event loop per thread: accept, read, run, write, tick.
 * Chapter 11.
 *
 * Each loop owns an epoll set holding: the listening sockets, the
 * server's stop eventfd, its own wake eventfd, a timerfd ticking every
 * SERVER_TICK_MS, and its clients.  Everything a client does happens on
 * the loop that accepted it, so no lock is taken on the path from a read
 * to a reply.
 *
 * Sharing the listening socket.  Two ways let several threads accept on
 * one port: SO_REUSEPORT (one socket per thread, the kernel hashes each
 * new connection to one of them) and EPOLLEXCLUSIVE (one socket, in every
 * loop's epoll set, and the kernel wakes one waiting loop per connection
 * instead of all of them).  We use EPOLLEXCLUSIVE.  With SO_REUSEPORT a
 * connection is bound to a socket by a hash of its addresses before any
 * thread looks at it, so a loop that is busy still gets its share while
 * an idle one waits, and connections queued on a socket are lost when it
 * is closed; port -1 ("any free port") would also need the first bind's
 * port reused by the others.  EPOLLEXCLUSIVE hands a connection to a loop
 * that is actually waiting in epoll_wait(), i.e. an idle one, and keeps a
 * single socket whose backlog survives any one loop.  A loop accepts at
 * most a few connections per wake-up so a burst is spread over the loops.
 *
 * Waking.  Other threads talk to a loop by writing its eventfd: the link
 * after each publication (server_notify_change(), blocked clients re-run),
 * server_publish() after queueing a message, CLIENT KILL from another loop.
 * The stop eventfd is one descriptor in every loop's set that nobody ever
 * reads: one write makes it readable for all of them at once, and write()
 * is async-signal-safe.
 *
 * The tick.  Every SERVER_TICK_MS a loop times out blocked clients whose
 * deadline passed, lets go of an old dataset generation
 * (dataset_reader_quiesce(): the loop is between sections there, so a
 * retired copy is never pinned by an idle thread), and once a second
 * closes clients idle longer than `timeout` (not blocked or subscribed
 * ones, as Redis) and samples the largest buffers for INFO.
 */
#include "server_private.h"

#include "alloc.h"
#include "value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* epoll data for the loop's own descriptors; a client's is its pointer. */
enum {
    TAG_STOP = 1,
    TAG_WAKE = 2,
    TAG_TIMER = 3,
    TAG_TCP = 4,
    TAG_TLS = 5,
    TAG_MAX = 16,
};

/* Connections one loop accepts per wake-up. */
#define ACCEPT_BURST 16

static int add_fd(int epfd, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = tag;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int server_loop_init(struct server *s, server_loop *l, unsigned idx)
{
    l->srv = s;
    l->idx = idx;
    l->epfd = l->wakefd = l->timerfd = -1;
    pthread_mutex_init(&l->lock, NULL);
    l->rng = UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t)idx + 1) *
             UINT64_C(0xbf58476d1ce4e5b9) ^ (uint64_t)value_now_ms();
    l->cmdstats = xcalloc(SERVER_CMDSTAT_SLOTS, sizeof *l->cmdstats);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (l->cmdstats == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (l->epfd < 0 || l->wakefd < 0 || l->timerfd < 0)
        return -1;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_interval.tv_nsec = SERVER_TICK_MS * 1000000L;
    its.it_value = its.it_interval;
    if (timerfd_settime(l->timerfd, 0, &its, NULL) != 0)
        return -1;
    if (add_fd(l->epfd, s->stopfd, EPOLLIN, TAG_STOP) != 0 ||
        add_fd(l->epfd, l->wakefd, EPOLLIN, TAG_WAKE) != 0 ||
        add_fd(l->epfd, l->timerfd, EPOLLIN, TAG_TIMER) != 0)
        return -1;
    if (s->tcp_fd >= 0 &&
        add_fd(l->epfd, s->tcp_fd, EPOLLIN | EPOLLEXCLUSIVE, TAG_TCP) != 0)
        return -1;
    if (s->tls_fd >= 0 &&
        add_fd(l->epfd, s->tls_fd, EPOLLIN | EPOLLEXCLUSIVE, TAG_TLS) != 0)
        return -1;
    return 0;
}

void server_loop_wake(server_loop *l)
{
    uint64_t one = 1;
    /* Never blocks (EFD_NONBLOCK); EAGAIN means it is already readable. */
    ssize_t w = write(l->wakefd, &one, sizeof one);
    (void)w;
}

void server_loop_post(server_loop *l, server_mail *m)
{
    m->next = NULL;
    pthread_mutex_lock(&l->lock);
    if (l->mail_tail != NULL)
        l->mail_tail->next = m;
    else
        l->mail_head = m;
    l->mail_tail = m;
    pthread_mutex_unlock(&l->lock);
    server_loop_wake(l);
}

server_client *server_loop_find(server_loop *l, uint64_t id)
{
    for (server_client *c = l->clients; c != NULL; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

static void do_accept(server_loop *l, int lfd, bool tls)
{
    for (int i = 0; i < ACCEPT_BURST; i++) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &pl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                server_logf(l->srv, SERVER_LOG_WARNING, "accept: %s",
                            strerror(errno));
            return;
        }
        server_client_accept(l, fd, &peer, tls);
    }
}

static void deliver_mail(server_loop *l)
{
    pthread_mutex_lock(&l->lock);
    server_mail *m = l->mail_head;
    l->mail_head = l->mail_tail = NULL;
    pthread_mutex_unlock(&l->lock);
    /* Deliver everything first, then flush each client once. */
    while (m != NULL) {
        server_mail *next = m->next;
        server_client *c = server_loop_find(l, m->client_id);
        if (c != NULL && !c->closing)
            server_client_deliver(c, m);
        free(m);
        m = next;
    }
    for (server_client *c = l->clients, *next; c != NULL; c = next) {
        next = c->next;
        if (c->out.out.len > c->out_pos || c->closing)
            server_client_flush(c);
    }
}

static void do_kills(server_loop *l)
{
    if (!atomic_exchange_explicit(&l->kill_pending, false,
                                  memory_order_acquire))
        return;
    for (server_client *c = l->clients, *next; c != NULL; c = next) {
        next = c->next;
        if (atomic_load_explicit(&c->kill, memory_order_relaxed))
            server_client_free(c);
    }
}

static void on_wake(server_loop *l)
{
    uint64_t n;
    ssize_t r = read(l->wakefd, &n, sizeof n);
    (void)r;
    do_kills(l);
    deliver_mail(l);
    /* Acquire pairs with server_notify_change()'s release. */
    uint64_t ch = atomic_load_explicit(&l->srv->changes, memory_order_acquire);
    if (ch != l->change_seen) {
        l->change_seen = ch;
        if (l->blocked != NULL)
            server_block_rerun_all(l);
    }
}

/* [ch11-tick] */
static void on_tick(server_loop *l)
{
    uint64_t n;
    ssize_t r = read(l->timerfd, &n, sizeof n);
    (void)r;
    int64_t now = value_now_ms();
    server_block_expire(l, now);
    if (l->reader != NULL)
        dataset_reader_quiesce(l->reader);
    if (++l->ticks % (1000 / SERVER_TICK_MS) != 0)
        return;
    int timeout = l->srv->opt.timeout_s;
    uint64_t max_in = 0, max_out = 0;
    for (server_client *c = l->clients, *next; c != NULL; c = next) {
        next = c->next;
        uint64_t in = c->in_len - c->in_pos, out = c->out.out.len - c->out_pos;
        if (in > max_in)
            max_in = in;
        if (out > max_out)
            max_out = out;
        int64_t last = atomic_load_explicit(&c->last_ms,
                                            memory_order_relaxed);
        if (timeout > 0 && !c->blocked &&
            atomic_load_explicit(&c->subs, memory_order_relaxed) == 0 &&
            atomic_load_explicit(&c->psubs, memory_order_relaxed) == 0 &&
            now - last > (int64_t)timeout * 1000) {
            server_logf(l->srv, SERVER_LOG_VERBOSE, "Closing idle client "
                        "id=%llu addr=%s", (unsigned long long)c->id,
                        c->addr);
            server_client_free(c);
        }
    }
    atomic_store_explicit(&l->st.max_in, max_in, memory_order_relaxed);
    atomic_store_explicit(&l->st.max_out, max_out, memory_order_relaxed);
}
/* [ch11-tick] */

static bool any_output(server_loop *l)
{
    for (server_client *c = l->clients; c != NULL; c = c->next)
        if (c->out.out.len > c->out_pos && !c->closing)
            return true;
    return false;
}

/* Stop: no more input; flush what was produced (at most a second), then
 * close every client. */
static void shut_down(server_loop *l)
{
    int64_t deadline = value_now_ms() + 1000;
    for (server_client *c = l->clients; c != NULL; c = c->next)
        c->close_after_reply = false; /* flush only; we close below */
    while (any_output(l) && value_now_ms() < deadline) {
        for (server_client *c = l->clients, *next; c != NULL; c = next) {
            next = c->next;
            if (c->out.out.len > c->out_pos)
                server_client_flush(c);
        }
        if (!any_output(l))
            break;
        struct epoll_event ev[64];
        epoll_wait(l->epfd, ev, 64, 20);
    }
    while (l->clients != NULL)
        server_client_free(l->clients);
    pthread_mutex_lock(&l->lock);
    server_mail *m = l->mail_head;
    l->mail_head = l->mail_tail = NULL;
    pthread_mutex_unlock(&l->lock);
    while (m != NULL) {
        server_mail *next = m->next;
        free(m);
        m = next;
    }
}

/* One round: wait up to timeout_ms (-1: for ever), then handle what came.
 * Returns the number of events, or -1 when the loop must stop (the stop
 * descriptor fired, or epoll failed). */
static int loop_round(server_loop *l, int timeout_ms)
{
    struct epoll_event ev[128];
    int n = epoll_wait(l->epfd, ev, 128, timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        server_logf(l->srv, SERVER_LOG_WARNING, "epoll_wait: %s",
                    strerror(errno));
        return -1;
    }
    /* Client events first, loop descriptors after: a kill or a stop may
     * free clients whose events are still in this batch. */
    uint64_t own = 0;
    for (int i = 0; i < n; i++) {
        uint64_t tag = ev[i].data.u64;
        if (tag < TAG_MAX)
            own |= UINT64_C(1) << tag;
        else
            server_client_event((server_client *)(uintptr_t)tag,
                                ev[i].events);
    }
    bool stop = own & (UINT64_C(1) << TAG_STOP);
    if (!stop && (own & (UINT64_C(1) << TAG_TCP)))
        do_accept(l, l->srv->tcp_fd, false);
    if (!stop && (own & (UINT64_C(1) << TAG_TLS)))
        do_accept(l, l->srv->tls_fd, true);
    if (own & (UINT64_C(1) << TAG_WAKE))
        on_wake(l);
    if (own & (UINT64_C(1) << TAG_TIMER))
        on_tick(l);
    return stop ? -1 : n;
}

/* The reader is opened on the thread that runs the loop. */
static void open_reader(server_loop *l)
{
    l->reader = dataset_reader_open(l->srv->ds);
    if (l->reader == NULL)
        server_logf(l->srv, SERVER_LOG_WARNING, "loop %u: no dataset reader "
                    "yet (out of memory); retrying per command", l->idx);
    l->change_seen = atomic_load_explicit(&l->srv->changes,
                                          memory_order_acquire);
}

static void *loop_main(void *arg)
{
    server_loop *l = arg;
    open_reader(l);
    while (loop_round(l, -1) >= 0) {
    }
    shut_down(l);
    dataset_reader_close(l->reader);
    l->reader = NULL;
    return NULL;
}

int server_loop_poll(server_loop *l, int timeout_ms)
{
    if (!l->polled) {
        l->polled = true;
        open_reader(l);
    }
    return loop_round(l, timeout_ms);
}

void server_loop_poll_end(server_loop *l)
{
    if (!l->polled)
        return;
    shut_down(l);
    dataset_reader_close(l->reader);
    l->reader = NULL;
    l->polled = false;
}

int server_loop_start(server_loop *l)
{
    int rc = pthread_create(&l->thread, NULL, loop_main, l);
    if (rc == 0)
        l->started = true;
    return rc;
}

void server_loop_join(server_loop *l)
{
    if (l->started)
        pthread_join(l->thread, NULL);
    l->started = false;
}

void server_loop_free(server_loop *l)
{
    if (l->srv == NULL)
        return;
    /* Clients exist only on a running loop, and shut_down() freed them. */
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wakefd >= 0)
        close(l->wakefd);
    if (l->timerfd >= 0)
        close(l->timerfd);
    free(l->cmdstats);
    pthread_mutex_destroy(&l->lock);
    l->srv = NULL;
}
