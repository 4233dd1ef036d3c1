/* fuzz_harness_serve.c - a client's bytes through the server's real input path.
 * Chapter 12.
 *
 * See fuzz_harness_serve.h.  Why a socketpair and not a TCP connection:
 * the fuzzer runs tens of thousands of inputs a second, and each TCP
 * connection closed leaves a TIME_WAIT entry that would soon use up the
 * loopback's ports; a socketpair is a real socket to the server's read(),
 * send() and epoll code, and server_client_accept() is the code a loop
 * runs for each accepted connection (it is handed a loopback peer
 * address, as a local client's).  The loop is driven on this thread by
 * server_loop_poll(), the same round its thread runs, so a run is
 * deterministic and a crash shows one stack.
 */
#include "fuzz_harness_serve.h"

#include "cmd.h"
#include "dataset.h"
#include "keyspace_rdb.h"
#include "resp_scan.h"
#include "server.h"
#include "server_private.h"
#include "store.h"
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fuzz_serve {
    dataset *ds;
    server *srv[2];       /* [0] open, [1] requirepass "pw" */
    char *fingerprint;    /* the dataset as JSON, at create */
    size_t fplen;
    uint64_t generation;
};

/* The dataset: every type, an expired key, a key that expires later, a
 * second database; the names match the ones fuzz_apply's alphabet and the
 * seed sessions use. */
static const char *const data_cmds[] = {
    "SET", "k1", "v1", NULL,
    "SET", "k2", "12345", NULL,
    "SET", "k3", "a longer string value, past the inline form of a few "
    "dozen bytes so that it is stored as a pstring", NULL,
    "SET", "n", "10", NULL,
    "SETBIT", "bits", "77", "1", NULL,
    "SET", "gone", "x", NULL,
    "PEXPIREAT", "gone", "1", NULL,
    "SET", "later", "y", NULL,
    "PEXPIREAT", "later", "4102444800000", NULL,
    "RPUSH", "l", "a", "b", "c", "a", "10", "2", NULL,
    "SADD", "s", "a", "b", "c", "1", "2", NULL,
    "SADD", "s2", "b", "c", "d", NULL,
    "HSET", "h", "f1", "v1", "f2", "2", "f3", "3.5", NULL,
    "ZADD", "z", "1", "a", "2", "b", "3", "c", "2.5", "d", NULL,
    "ZADD", "z2", "0", "a", "0", "b", "0", "c", NULL,
    "XADD", "x", "1-0", "f", "v", NULL,
    "XADD", "x", "1-1", "f", "w", "g", "h", NULL,
    "XADD", "x", "2-0", "f", "z", NULL,
    "XGROUP", "CREATE", "x", "g1", "0", NULL,
    "PFADD", "hll", "a", "b", "c", NULL,
    "GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269",
    "37.502669", "Catania", NULL,
    "SELECT", "1", NULL,
    "SET", "k1", "db1", NULL,
    "RPUSH", "l", "x", NULL,
    "SELECT", "0", NULL,
    NULL,
};

static void quiet_log(void *arg, server_log_level level, const char *msg)
{
    (void)arg;
    (void)level;
    (void)msg;
}

static int fingerprint(fuzz_serve *f, server_loop *l, char **out,
                       size_t *len)
{
    *out = NULL;
    *len = 0;
    keyspace_reader *r = dataset_read_begin(l->reader);
    if (r == NULL)
        return -1;
    FILE *mem = open_memstream(out, len);
    int rc = mem != NULL ? keyspace_dump_json(r, mem) : -1;
    if (mem != NULL)
        fclose(mem);
    dataset_read_end(l->reader);
    (void)f;
    return rc;
}

static int load(dataset *ds, char *err, size_t errsz)
{
    keyspace *ks = dataset_fresh(ds);
    if (ks == NULL) {
        snprintf(err, errsz, "dataset_fresh: out of memory");
        return -1;
    }
    cmd_applier *a = cmd_applier_create(ks, NULL);
    if (a == NULL) {
        snprintf(err, errsz, "cmd_applier_create: out of memory");
        return -1;
    }
    const char *const *c = data_cmds;
    while (*c != NULL) {
        size_t n = 0;
        while (c[n] != NULL)
            n++;
        if (cmd_apply_argv(a, n, c, NULL) != CMD_APPLIED) {
            snprintf(err, errsz, "dataset: %s", cmd_applier_error(a));
            cmd_applier_destroy(a);
            return -1;
        }
        c += n + 1;
    }
    int rc = cmd_applier_flush(a);
    cmd_applier_destroy(a);
    if (rc != 0 || dataset_switch(ds, ks) != 0) {
        snprintf(err, errsz, "dataset: out of memory");
        return -1;
    }
    return 0;
}

fuzz_serve *fuzz_serve_create(char *err, size_t errsz)
{
    fuzz_serve *f = calloc(1, sizeof *f);
    if (f == NULL) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    f->ds = dataset_create(store_variant("hamt"), KEYSPACE_DEFAULT_DBS);
    if (f->ds == NULL || load(f->ds, err, errsz) != 0)
        goto fail;
    for (int i = 0; i < 2; i++) {
        server_options o = server_options_default();
        o.port = -1;
        o.log = quiet_log;
        o.log_level = SERVER_LOG_WARNING;
        o.requirepass = i == 1 ? "pw" : NULL;
        o.store = "hamt";
        f->srv[i] = server_create(&o, f->ds, NULL, err, errsz);
        if (f->srv[i] == NULL)
            goto fail;
        server_loop_poll(&f->srv[i]->loops[0], 0); /* opens its reader */
    }
    if (fingerprint(f, &f->srv[0]->loops[0], &f->fingerprint, &f->fplen)) {
        snprintf(err, errsz, "fingerprint: %s", strerror(errno));
        goto fail;
    }
    f->generation = dataset_generation(f->ds);
    return f;
fail:
    fuzz_serve_destroy(f);
    return NULL;
}

void fuzz_serve_destroy(fuzz_serve *f)
{
    if (f == NULL)
        return;
    for (int i = 0; i < 2; i++)
        if (f->srv[i] != NULL) {
            server_loop_poll_end(&f->srv[i]->loops[0]);
            server_destroy(f->srv[i]);
        }
    if (f->ds != NULL) {
        dataset_reclaim(f->ds);
        dataset_destroy(f->ds);
    }
    free(f->fingerprint);
    free(f);
}

/* ---- one run ------------------------------------------------------------------ */

typedef struct run {
    server_loop *loop;
    int fd;              /* our end */
    char *out;           /* what the server sent */
    size_t len, cap;
    bool eof;            /* the server closed its end */
    char *err;
    size_t errsz;
} run;

static int fail(run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errsz, fmt, ap);
    va_end(ap);
    return -1;
}

/* Read what the server sent; returns bytes read now, -1 out of memory. */
static long drain(run *r)
{
    long got = 0;
    while (!r->eof) {
        if (r->cap - r->len < 4096) {
            size_t cap = r->cap ? r->cap * 2 : 16384;
            char *p = realloc(r->out, cap);
            if (p == NULL)
                return -1;
            r->out = p;
            r->cap = cap;
        }
        ssize_t n = recv(r->fd, r->out + r->len, r->cap - r->len,
                         MSG_DONTWAIT);
        if (n > 0) {
            r->len += (size_t)n;
            got += n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            r->eof = true; /* closed (or reset) by the server */
        } else {
            break;
        }
    }
    return got;
}

/* Run the loop until nothing happens and nothing arrives. */
static int settle(run *r)
{
    for (int i = 0; i < 100000; i++) {
        int n = server_loop_poll(r->loop, 0);
        long got = drain(r);
        if (got < 0)
            return fail(r, "harness: out of memory");
        if (n < 0)
            return fail(r, "the loop asked to stop");
        if (n == 0 && got == 0)
            return 0;
    }
    return fail(r, "the server never settles (100000 rounds with events)");
}

/* Send one piece, running the loop whenever the socket is full. */
static int send_piece(run *r, const uint8_t *p, size_t n)
{
    while (n > 0 && !r->eof) {
        ssize_t w = send(r->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            return 0; /* the server closed: the rest is never read */
        }
        if (settle(r) != 0)
            return -1;
    }
    return 0;
}

static size_t count_clients(server_loop *l)
{
    pthread_mutex_lock(&l->lock);
    size_t n = l->nclients;
    pthread_mutex_unlock(&l->lock);
    return n;
}

int fuzz_serve_run(fuzz_serve *f, const uint8_t *data, size_t size,
                   fuzz_serve_result *res, char *err, size_t errsz)
{
    if (res != NULL)
        memset(res, 0, sizeof *res);
    if (errsz > 0)
        err[0] = '\0';
    if (size == 0)
        return 0;
    uint8_t cfg = data[0];
    data++;
    size--;
    server *s = f->srv[cfg >> 7];
    run r = {.loop = &s->loops[0], .fd = -1, .err = err, .errsz = errsz};
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0)
        return fail(&r, "socketpair: %s", strerror(errno));
    r.fd = sv[1];
    struct sockaddr_storage peer;
    memset(&peer, 0, sizeof peer);
    struct sockaddr_in *in = (struct sockaddr_in *)&peer;
    in->sin_family = AF_INET;
    in->sin_port = htons(40000);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server_client_accept(r.loop, sv[0], &peer, false);
    int rc = 0;
    size_t off = 0, n = 0;
    bool closed_early = false;
    if (count_clients(r.loop) != 1) {
        rc = fail(&r, "the server did not take the client");
        goto out;
    }
    uint32_t seed = (uint32_t)(cfg >> 2) * 2654435761u + (uint32_t)size;
    size_t pos = 0;
    while (rc == 0 && pos < size && !r.eof) {
        size_t piece = size - pos;
        if ((cfg & 3) == 1) {
            piece = size <= 512 ? 1 : 7;
        } else if ((cfg & 3) >= 2) {
            seed = seed * 1103515245u + 12345u;
            piece = 1 + (seed >> 16) % ((cfg & 3) == 2 ? 16 : 256);
        }
        if (piece > size - pos)
            piece = size - pos;
        rc = send_piece(&r, data + pos, piece);
        pos += piece;
        if (rc == 0)
            rc = settle(&r);
    }
    /* Time out every blocked client with a deadline, as a late tick would,
     * then half-close: the server must answer what it has and close. */
    if (rc == 0) {
        server_block_expire(r.loop, value_now_ms() + (INT64_C(1) << 40));
        rc = settle(&r);
    }
    closed_early = r.eof;
    if (rc == 0) {
        shutdown(r.fd, SHUT_WR);
        rc = settle(&r);
    }
    if (rc == 0 && count_clients(r.loop) != 0)
        rc = fail(&r, "the client is still open after its end of input");
    if (rc == 0 && !r.eof)
        rc = fail(&r, "the server closed the client but not its socket");
    if (rc == 0 && r.loop->mail_head != NULL)
        rc = fail(&r, "Pub/Sub mail left undelivered");
    /* The reply stream: complete replies, nothing else. */
    while (rc == 0 && off < r.len) {
        size_t used = 0;
        char e[256];
        int st = resp_scan(r.out + off, r.len - off, &used, e, sizeof e);
        if (st < 0) {
            rc = fail(&r, "reply stream byte %zu: %s", off, e);
        } else if (st == 0) {
            rc = fail(&r, "reply stream ends inside a reply at byte %zu "
                      "(%zu bytes)", off, r.len);
        } else {
            off += used;
            n++;
        }
    }
    if (rc == 0 && dataset_generation(f->ds) != f->generation)
        rc = fail(&r, "the dataset was replaced");
    if (rc == 0) {
        char *fp;
        size_t fplen;
        if (fingerprint(f, r.loop, &fp, &fplen) != 0)
            rc = fail(&r, "fingerprint: %s", strerror(errno));
        else if (fplen != f->fplen || memcmp(fp, f->fingerprint, fplen) != 0)
            rc = fail(&r, "the dataset changed: %.300s", fp);
        free(fp);
    }
out:
    if (count_clients(r.loop) != 0) { /* after a failed check: tidy up */
        while (r.loop->clients != NULL)
            server_client_free(r.loop->clients);
    }
    close(r.fd);
    if (res != NULL) {
        res->replies = r.out;
        res->len = r.len;
        res->nreplies = n;
        res->closed_by_server = closed_early;
    } else {
        free(r.out);
    }
    return rc;
}
