/* main_repl_tail.c - repl-tail: follow a Redis master and print what it sends.
 * Chapter 10.
 *
 *   repl-tail [--host H] [--port P] [--user U] [--pass P]
 *             [--tls --cacert F --cert F --key F --sni NAME]
 *             [--status SECONDS] [--raw] [--count N] [--timeout S]
 *
 * The chapter's debugging tool: a replica that keeps nothing.  By default
 * it runs the replication link of repl.h with apply=false, so it does the
 * whole job of a replica (handshake, PSYNC, full and partial resyncs,
 * ACKs, reconnects with backoff) except storing the data, and prints one
 * line per command the master streams, with the byte offset of its first
 * byte and the database it applies to, arguments quoted as redis-cli
 * quotes them:
 *
 *     offset=1234 db=0 "set" "k" "v"
 *
 * The link's log lines (syncs, reconnects, failures) are printed between
 * them, after "# ", and --status N adds a "# status" line every N seconds.
 *
 * --raw shows the bytes instead, for the chapter's byte-level transcript:
 * each command of the handshake as sent ("> ") and each reply line as
 * received ("< "), escaped, the bare newlines a master sends while it
 * prepares the snapshot, the snapshot's framing (its payload summarised:
 * size, first and last bytes), then every command of the stream as the
 * bytes that carried it, with its offset and size.  The link does not
 * expose its bytes, and a debugging tool should not need a hook in the
 * code it debugs, so --raw runs the handshake itself on repl_conn, always
 * asks for a full resync (PSYNC ? -1), skips the snapshot with
 * repl_snapshot's framing, and frames the stream with repl_stream (apply
 * false), which also answers GETACK; an ACK goes out right after a
 * diskless snapshot and every second, as the link's do.  It gives up
 * (exit 1) on the first failure instead of retrying.
 *
 * --count N exits with status 0 after N commands (PINGs and the other
 * commands of the stream count).  Exit status: 0 after --count commands
 * or on SIGINT/SIGTERM; 1 when the link stopped on its own or --raw
 * failed (the reason on stderr); 2 for a bad command line (the flag and
 * what was wrong with it on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "repl.h"
#include "repl_snapshot.h"
#include "resp.h"

static const char usage_text[] =
    "usage: repl-tail [--host H] [--port P] [--user U] [--pass P]\n"
    "                 [--tls [--cacert F] [--cert F --key F] [--sni NAME]]\n"
    "                 [--status SECONDS] [--raw] [--count N] [--timeout S]\n"
    "                 [--verbose]\n"
    "  --host H          the master (default 127.0.0.1)\n"
    "  --port P          its port (default 6379)\n"
    "  --user U          ACL user for AUTH (needs --pass)\n"
    "  --pass P          password for AUTH\n"
    "  --tls             connect with TLS; --cacert: CA file to verify the\n"
    "                    master with, --cert/--key: client certificate and\n"
    "                    key, --sni: name to send and to check\n"
    "  --status SECONDS  print a status line every SECONDS (not with --raw)\n"
    "  --raw             print the bytes of the handshake and the stream\n"
    "  --count N         exit 0 after N commands\n"
    "  --timeout S       silence from the master that drops the link\n"
    "                    (default 60; --raw: exits 1)\n"
    "  --verbose         also print every step of the handshake\n";

/** The command line. */
typedef struct tail_args {
    const char *host;
    int port;
    const char *user;
    const char *pass;
    repl_tls_options tls;
    double status_s;   /* 0: no status lines */
    bool raw;
    uint64_t count;    /* 0: no limit */
    double timeout_s;
    bool verbose;
} tail_args;

/* A number from a flag's value, whole or not; false if it is not one in
 * [lo, hi]. */
static bool parse_number(const char *s, double lo, double hi, bool whole,
                         double *out)
{
    char *end;
    errno = 0;
    double v = whole ? (double)strtoull(s, &end, 10) : strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || *s == '-' || *s == '+' ||
        v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Parse argv into a; 0, or 2 after printing what was wrong. */
static int parse_args(int argc, char **argv, tail_args *a)
{
    *a = (tail_args){.host = "127.0.0.1", .port = 6379, .timeout_s = 60};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (strcmp(f, "--tls") == 0) { a->tls.enabled = true; continue; }
        if (strcmp(f, "--raw") == 0) { a->raw = true; continue; }
        if (strcmp(f, "--verbose") == 0) { a->verbose = true; continue; }
        static const char *const valued[] = {
            "--host", "--port", "--user", "--pass", "--cacert", "--cert",
            "--key", "--sni", "--status", "--count", "--timeout", NULL};
        int k = 0;
        while (valued[k] != NULL && strcmp(f, valued[k]) != 0)
            k++;
        if (valued[k] == NULL) {
            fprintf(stderr, "repl-tail: unknown option '%s'\n%s", f,
                    usage_text);
            return 2;
        }
        if (i + 1 >= argc || argv[i + 1][0] == '\0') {
            fprintf(stderr, "repl-tail: %s needs a value\n%s", f, usage_text);
            return 2;
        }
        const char *v = argv[++i];
        double d;
        switch (k) {
        case 0: a->host = v; break;
        case 1:
            if (!parse_number(v, 1, 65535, true, &d)) {
                fprintf(stderr, "repl-tail: --port '%s': not a TCP port "
                        "(1 to 65535)\n", v);
                return 2;
            }
            a->port = (int)d;
            break;
        case 2: a->user = v; break;
        case 3: a->pass = v; break;
        case 4: a->tls.ca_file = v; break;
        case 5: a->tls.cert_file = v; break;
        case 6: a->tls.key_file = v; break;
        case 7: a->tls.server_name = v; break;
        case 8:
            if (!parse_number(v, 0.001, 86400, false, &d)) {
                fprintf(stderr, "repl-tail: --status '%s': not a number of "
                        "seconds (0.001 to 86400)\n", v);
                return 2;
            }
            a->status_s = d;
            break;
        case 9:
            if (!parse_number(v, 1, 1e15, true, &d)) {
                fprintf(stderr, "repl-tail: --count '%s': not a positive "
                        "whole number\n", v);
                return 2;
            }
            a->count = (uint64_t)d;
            break;
        default:
            if (!parse_number(v, 0.001, 86400, false, &d)) {
                fprintf(stderr, "repl-tail: --timeout '%s': not a number of "
                        "seconds (0.001 to 86400)\n", v);
                return 2;
            }
            a->timeout_s = d;
            break;
        }
    }
    const char *why = NULL;
    if (a->user != NULL && a->pass == NULL)
        why = "--user needs --pass (AUTH <user> <password>)";
    else if (!a->tls.enabled && (a->tls.ca_file || a->tls.cert_file ||
                                 a->tls.key_file || a->tls.server_name))
        why = "--cacert, --cert, --key and --sni need --tls";
    else if ((a->tls.cert_file == NULL) != (a->tls.key_file == NULL))
        why = "--cert and --key go together";
    else if (a->raw && a->status_s > 0)
        why = "--status reads the link's status, which --raw does not run";
    if (why != NULL) {
        fprintf(stderr, "repl-tail: %s\n", why);
        return 2;
    }
    return 0;
}

/* ---- output -------------------------------------------------------------- */

/* Append s[0..n) in double quotes, escaped as redis-cli's sdscatrepr()
 * writes it: \\ \" \n \r \t \a \b, other bytes outside printable ASCII as
 * \xHH. */
static void quote(resp_buf *b, const void *s, size_t n)
{
    const unsigned char *p = s;
    char esc[5];
    resp_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        const char *e = NULL;
        switch (p[i]) {
        case '\\': e = "\\\\"; break;
        case '"': e = "\\\""; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '\a': e = "\\a"; break;
        case '\b': e = "\\b"; break;
        default:
            if (p[i] >= 0x20 && p[i] < 0x7f) {
                resp_buf_append(b, &p[i], 1);
                continue;
            }
            snprintf(esc, sizeof esc, "\\x%02x", p[i]);
            e = esc;
        }
        resp_buf_append(b, e, strlen(e));
    }
    resp_buf_append(b, "\"", 1);
}

/* Write b's bytes and a newline as one line on stdout, and empty b.  One
 * fwrite() per line: stdio locks the stream for each call, so a line from
 * the link's thread and one from the main thread never interleave. */
static void emit_line(resp_buf *b)
{
    resp_buf_append(b, "\n", 1);
    fwrite(b->data, 1, b->len, stdout);
    fflush(stdout);
    b->len = 0;
}

static void emitf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emitf(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    resp_buf b;
    resp_buf_init(&b);
    resp_buf_append(&b, line, strlen(line));
    emit_line(&b);
    resp_buf_free(&b);
}

/* ---- stopping: signals and --count wake the main thread ------------------ */

/* The self-pipe: a signal handler may only write(), so both a signal and
 * the link thread's "count reached" wake the main thread's poll() by
 * writing one byte here. */
static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    int saved = errno;
    got_signal = sig;
    if (wake_pipe[1] >= 0 && write(wake_pipe[1], "s", 1) < 0) {
        /* the pipe is full: the main thread is awake already */
    }
    errno = saved;
}

static void install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- following the link --------------------------------------------------- */

/* What the link's callbacks share with the main thread. */
typedef struct tail_link {
    uint64_t count;          /* --count (0: none) */
    atomic_uint_fast64_t printed; /* commands printed so far */
    resp_buf line;           /* the link thread's line buffer */
} tail_link;

static void on_command(void *arg, const resp_value *cmd, uint64_t offset,
                       uint64_t size, unsigned db)
{
    (void)size;
    tail_link *t = arg;
    /* Only this thread increments printed; relaxed is enough for the
     * count itself, and the main thread learns "done" from the pipe. */
    uint64_t n = atomic_load_explicit(&t->printed, memory_order_relaxed);
    if (t->count != 0 && n >= t->count)
        return;
    char head[64];
    snprintf(head, sizeof head, "offset=%" PRIu64 " db=%u", offset, db);
    resp_buf_append(&t->line, head, strlen(head));
    for (size_t i = 0; i < cmd->len; i++) {
        resp_buf_append(&t->line, " ", 1);
        quote(&t->line, cmd->elems[i].str, cmd->elems[i].len);
    }
    emit_line(&t->line);
    atomic_store_explicit(&t->printed, n + 1, memory_order_relaxed);
    if (t->count != 0 && n + 1 == t->count &&
        write(wake_pipe[1], "c", 1) < 0) {
        /* the pipe is full: the main thread is awake already */
    }
}

static void on_log(void *arg, repl_log_level level, const char *msg)
{
    (void)arg;
    (void)level;
    emitf("# %s", msg);
}

static void print_status(repl *r)
{
    repl_status s;
    repl_status_get(r, &s);
    emitf("# status state=%s replid=%s offset=%" PRIu64 " master_offset=%"
          PRIu64 " lag_bytes=%" PRIu64 " lag_seconds=%.3f db=%u full_syncs=%"
          PRIu64 " partial_syncs=%" PRIu64 " reconnects=%" PRIu64
          " commands=%" PRIu64 " bytes_received=%" PRIu64
          " last_interaction=%" PRId64 "s last_error=\"%s\"",
          repl_state_name(s.state), s.replid[0] ? s.replid : "-", s.offset,
          s.master_offset, s.lag_bytes, s.lag_seconds, s.db, s.full_syncs,
          s.partial_syncs, s.reconnects, s.commands_applied, s.bytes_received,
          s.last_interaction_s_ago, s.last_error);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_link(const tail_args *a)
{
    tail_link t = {.count = a->count};
    atomic_init(&t.printed, 0);
    resp_buf_init(&t.line);
    repl_options o = repl_options_default();
    o.host = a->host;
    o.port = a->port;
    o.user = a->user;
    o.password = a->pass;
    o.tls = a->tls;
    o.apply = false;
    o.timeout_ms = (int)(a->timeout_s * 1000);
    if (o.connect_timeout_ms > o.timeout_ms)
        o.connect_timeout_ms = o.timeout_ms;
    o.on_command = on_command;
    o.command_arg = &t;
    o.log = on_log;
    o.log_level = a->verbose ? REPL_LOG_DEBUG : REPL_LOG_INFO;
    char err[512];
    repl *r = repl_create(&o, NULL, err, sizeof err);
    if (r == NULL) {
        fprintf(stderr, "repl-tail: %s\n", err);
        resp_buf_free(&t.line);
        return 1;
    }
    if (repl_start(r) != 0) {
        fprintf(stderr, "repl-tail: cannot start the link: %s\n",
                strerror(errno));
        repl_destroy(r);
        resp_buf_free(&t.line);
        return 1;
    }
    int status = 0;
    double next_status = a->status_s > 0 ? mono_s() + a->status_s : 0;
    for (;;) {
        if (got_signal)
            break;
        if (t.count != 0 &&
            atomic_load_explicit(&t.printed, memory_order_relaxed) >= t.count)
            break;
        repl_status s;
        repl_status_get(r, &s);
        if (s.state == REPL_STOPPED) {
            fprintf(stderr, "repl-tail: the link stopped: %s\n",
                    s.last_error[0] ? s.last_error : "(no reason given)");
            status = 1;
            break;
        }
        /* Wake for a signal, the count, the next status line, or at the
         * latest after 200 ms to see whether the link stopped itself. */
        int wait_ms = 200;
        if (next_status > 0) {
            double now = mono_s();
            if (now >= next_status) {
                print_status(r);
                next_status += a->status_s;
                if (next_status < now)
                    next_status = now + a->status_s;
            }
            double left = (next_status - mono_s()) * 1000;
            if (left < wait_ms)
                wait_ms = left < 0 ? 0 : (int)left + 1;
        }
        struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};
        if (poll(&p, 1, wait_ms) > 0) {
            char drain[16];
            if (read(wake_pipe[0], drain, sizeof drain) < 0) {
                /* nothing to drain */
            }
        }
    }
    repl_stop(r);
    repl_destroy(r);
    resp_buf_free(&t.line);
    return status;
}

/* ---- --raw: the bytes themselves ------------------------------------------ */

/* The raw session: the connection, its input, and what is being printed. */
typedef struct raw {
    const tail_args *a;
    repl_conn *conn;
    repl_input in;
    resp_buf line;        /* the line being printed */
    resp_buf pending;     /* stream bytes fed but not yet printed */
    uint64_t pending_off; /* stream offset of pending.data[0] */
    uint64_t framed_end;  /* stream offset after the last command framed */
    uint64_t printed;     /* commands printed */
    int timeout_ms;       /* --timeout */
} raw;

static int raw_fail(raw *r, const char *what, const char *why)
{
    fflush(stdout);
    fprintf(stderr, "repl-tail: %s:%d: %s: %s\n", r->a->host, r->a->port,
            what, why);
    return 1;
}

/* Send bytes and print them as "> <quoted bytes>". */
static int raw_write(raw *r, const void *p, size_t n)
{
    resp_buf_append(&r->line, "> ", 2);
    quote(&r->line, p, n);
    emit_line(&r->line);
    if (repl_conn_write(r->conn, p, n, r->timeout_ms) != 0)
        return raw_fail(r, "write", repl_conn_error(r->conn));
    return 0;
}

static int raw_send(raw *r, size_t argc, const char *const *argv)
{
    resp_buf b;
    resp_buf_init(&b);
    if (resp_write_command(&b, argc, argv, NULL) != 0) {
        resp_buf_free(&b);
        return raw_fail(r, "send", "out of memory");
    }
    int rc = raw_write(r, b.data, b.len);
    resp_buf_free(&b);
    return rc;
}

/* Fill the input (waiting at most --timeout for a byte); 0, or 1 after
 * printing why it failed, or on a signal.  Each read waits a quarter of a
 * second at most, so that SIGINT is seen soon whatever the master does. */
static int raw_fill(raw *r, const char *what)
{
    double start = mono_s();
    for (;;) {
        ssize_t got = repl_input_fill(&r->in);
        if (got > 0)
            return 0;
        if (got_signal)
            return 1;
        if (got < 0 && errno == ETIMEDOUT &&
            (mono_s() - start) * 1000 < r->timeout_ms)
            continue;
        return raw_fail(r, what, got == 0 ? "connection closed by the master"
                                          : repl_input_error(&r->in));
    }
}

/* Read one line (up to and including its LF), print it as "< ..." and
 * consume it; *line and *n receive it without CR LF (valid until the next
 * fill).  0, or 1 on failure. */
static int raw_line(raw *r, const char *what, char *line, size_t cap,
                    size_t *n)
{
    for (;;) {
        /* An input that has received nothing has no buffer yet: peek only
         * at bytes that are there. */
        size_t avail = repl_input_avail(&r->in);
        const unsigned char *p = avail ? repl_input_peek(&r->in) : NULL;
        const unsigned char *lf = avail ? memchr(p, '\n', avail) : NULL;
        if (lf != NULL) {
            size_t len = (size_t)(lf - p) + 1;
            resp_buf_append(&r->line, "< ", 2);
            quote(&r->line, p, len);
            if (len == 1)
                resp_buf_append(&r->line, "  (the master is preparing the "
                                "snapshot)", 36);
            emit_line(&r->line);
            size_t text = len - 1;
            if (text > 0 && p[text - 1] == '\r')
                text--;
            if (text >= cap)
                text = cap - 1;
            memcpy(line, p, text);
            line[text] = '\0';
            *n = text;
            repl_input_consume(&r->in, len);
            return 0;
        }
        if (avail > 64 * 1024)
            return raw_fail(r, what, "a reply line longer than 64 KiB");
        if (raw_fill(r, what) != 0)
            return 1;
    }
}

/* One handshake command and its reply line; fatal: a '-' reply stops. */
static int raw_step(raw *r, size_t argc, const char *const *argv, bool fatal)
{
    char reply[512];
    size_t n;
    if (raw_send(r, argc, argv) != 0 ||
        raw_line(r, argv[0], reply, sizeof reply, &n) != 0)
        return 1;
    if (fatal && reply[0] == '-')
        return raw_fail(r, argv[0], reply);
    return 0;
}

/* Consume the snapshot's payload, printing a summary of it. */
static int raw_snapshot(raw *r, const repl_payload *p)
{
    unsigned char head[16], tail[16];
    size_t nhead = 0, ntail = 0;
    uint64_t total = 0;
    for (;;) {
        size_t avail = repl_input_avail(&r->in), take = avail;
        if (avail == 0 && p->kind == REPL_PAYLOAD_EOF) {
            if (raw_fill(r, "snapshot") != 0)
                return 1;
            continue;
        }
        const unsigned char *d = avail ? repl_input_peek(&r->in) : NULL;
        bool end = false;
        if (p->kind == REPL_PAYLOAD_LEN) {
            if (take > p->len - total)
                take = (size_t)(p->len - total);
            end = total + take == p->len;
        } else {
            end = repl_eof_scan(p->mark, d, avail, &take);
        }
        for (size_t i = 0; i < take && nhead < sizeof head; i++)
            head[nhead++] = d[i];
        for (size_t i = take > sizeof tail ? take - sizeof tail : 0;
             i < take; i++) {
            if (ntail == sizeof tail) {
                memmove(tail, tail + 1, sizeof tail - 1);
                ntail--;
            }
            tail[ntail++] = d[i];
        }
        total += take;
        repl_input_consume(&r->in, take);
        if (end)
            break;
        if (raw_fill(r, "snapshot") != 0)
            return 1;
    }
    char what[96];
    snprintf(what, sizeof what, "< [snapshot: %" PRIu64 " bytes of RDB, "
             "first ", total);
    resp_buf_append(&r->line, what, strlen(what));
    quote(&r->line, head, nhead);
    if (ntail >= 9 && tail[ntail - 9] == 0xff) {
        /* The RDB's end: the EOF opcode and its CRC-64, little-endian. */
        uint64_t crc = 0;
        for (size_t i = ntail; i > ntail - 8; i--)
            crc = crc << 8 | tail[i - 1];
        snprintf(what, sizeof what, ", then EOF (0xff) and checksum "
                 "%016" PRIx64 "]", crc);
        resp_buf_append(&r->line, what, strlen(what));
    } else {
        resp_buf_append(&r->line, ", last ", 7);
        quote(&r->line, tail, ntail);
        resp_buf_append(&r->line, "]", 1);
    }
    emit_line(&r->line);
    if (p->kind == REPL_PAYLOAD_EOF) {
        resp_buf_append(&r->line, "< ", 2);
        quote(&r->line, p->mark, REPL_EOF_MARK_LEN);
        resp_buf_append(&r->line, "  (the end mark)", 16);
        emit_line(&r->line);
        repl_input_consume(&r->in, REPL_EOF_MARK_LEN);
    }
    return 0;
}

static void raw_command(void *arg, const resp_value *cmd, uint64_t offset,
                        uint64_t size, unsigned db)
{
    (void)cmd;
    raw *r = arg;
    r->framed_end = offset + size;
    if (r->a->count != 0 && r->printed >= r->a->count)
        return;
    char head[80];
    snprintf(head, sizeof head, "@%" PRIu64 " +%" PRIu64 " db=%u ", offset,
             size, db);
    resp_buf_append(&r->line, head, strlen(head));
    if (offset >= r->pending_off &&
        offset + size <= r->pending_off + r->pending.len)
        quote(&r->line, r->pending.data + (offset - r->pending_off),
              (size_t)size);
    else
        resp_buf_append(&r->line, "(bytes not kept)", 16);
    emit_line(&r->line);
    r->printed++;
}

/* Send what the stream queued (GETACK answers) and, when due, an ACK. */
static int raw_answer(raw *r, repl_stream *s, bool ack)
{
    resp_buf *out = repl_stream_output(s);
    if (ack && repl_write_ack(out, repl_stream_offset(s)) != 0)
        return raw_fail(r, "ACK", "out of memory");
    if (out->len == 0)
        return 0;
    int rc = raw_write(r, out->data, out->len);
    out->len = 0;
    return rc;
}

/* The command stream, until --count, a signal or a failure. */
static int raw_stream(raw *r, uint64_t offset, bool ack_now)
{
    repl_stream_options so = repl_stream_options_default();
    so.apply = false;
    so.on_command = raw_command;
    so.arg = r;
    repl_stream *s = repl_stream_create(NULL, offset, &so);
    if (s == NULL)
        return raw_fail(r, "stream", "out of memory");
    r->pending_off = r->framed_end = offset;
    int rc = raw_answer(r, s, ack_now);
    double last_ack = mono_s(), last_byte = mono_s();
    while (rc == 0 && !got_signal &&
           (r->a->count == 0 || r->printed < r->a->count)) {
        size_t avail = repl_input_avail(&r->in), used = 0;
        if (avail > 0) {
            resp_buf_append(&r->pending, repl_input_peek(&r->in), avail);
            repl_stream_status st =
                repl_stream_feed(s, repl_input_peek(&r->in), avail, &used);
            repl_input_consume(&r->in, used);
            if (st != REPL_STREAM_OK) {
                rc = raw_fail(r, "stream", repl_stream_error(s));
                break;
            }
            /* Keep only the bytes after the last command framed: the
             * start of one the next read completes. */
            size_t drop = r->framed_end > r->pending_off
                ? (size_t)(r->framed_end - r->pending_off) : 0;
            if (drop > r->pending.len)
                drop = r->pending.len;
            memmove(r->pending.data, r->pending.data + drop,
                    r->pending.len - drop);
            r->pending.len -= drop;
            r->pending_off += drop;
            last_byte = mono_s();
        }
        bool ack = mono_s() - last_ack >= 1.0;
        if (ack)
            last_ack = mono_s();
        rc = raw_answer(r, s, ack);
        if (rc != 0 || (r->a->count != 0 && r->printed >= r->a->count))
            break;
        ssize_t got = repl_input_fill(&r->in);
        if (got == 0) {
            rc = raw_fail(r, "stream", "connection closed by the master");
        } else if (got < 0 && errno == ETIMEDOUT) {
            if ((mono_s() - last_byte) * 1000 >= r->timeout_ms)
                rc = raw_fail(r, "stream", "timeout: the master was silent "
                              "longer than --timeout");
        } else if (got < 0 && !got_signal) {
            rc = raw_fail(r, "stream", repl_input_error(&r->in));
        }
    }
    repl_stream_destroy(s);
    return rc;
}

static int run_raw(const tail_args *a)
{
    raw r = {.a = a, .timeout_ms = (int)(a->timeout_s * 1000)};
    char err[512];
    int connect_ms = r.timeout_ms < 5000 ? r.timeout_ms : 5000;
    r.conn = repl_conn_open(a->host, a->port, &a->tls, connect_ms, err,
                            sizeof err);
    if (r.conn == NULL) {
        fprintf(stderr, "repl-tail: %s\n", err);
        return 1;
    }
    repl_input_init(&r.in, r.conn, 250); /* raw_fill() adds up to --timeout */
    resp_buf_init(&r.line);
    resp_buf_init(&r.pending);
    emitf("# connected to %s:%d%s, local port %d", a->host, a->port,
          repl_conn_is_tls(r.conn) ? " over TLS" : "",
          repl_conn_local_port(r.conn));
    char port[16], line[512];
    snprintf(port, sizeof port, "%d", repl_conn_local_port(r.conn));
    const char *ping[] = {"PING"};
    const char *auth[] = {"AUTH", a->user ? a->user : a->pass, a->pass};
    const char *lport[] = {"REPLCONF", "listening-port", port};
    const char *capa[] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
    const char *psync[] = {"PSYNC", "?", "-1"};
    size_t n = 0;
    int rc = raw_step(&r, 1, ping, false);
    if (rc == 0 && a->pass != NULL)
        rc = raw_step(&r, a->user ? 3 : 2, auth, true);
    if (rc == 0)
        rc = raw_step(&r, 3, lport, false);
    if (rc == 0)
        rc = raw_step(&r, 5, capa, false);
    if (rc == 0)
        rc = raw_send(&r, 3, psync);
    /* Bare newlines until the answer, then again until the payload. */
    while (rc == 0 && (rc = raw_line(&r, "PSYNC", line, sizeof line, &n)) ==
                          0 && n == 0)
        ;
    uint64_t offset = 0;
    if (rc == 0) {
        char id[64];
        unsigned long long off;
        if (sscanf(line, "+FULLRESYNC %63s %llu", id, &off) != 2)
            rc = raw_fail(&r, "PSYNC", line[0] == '-' ? line
                          : "expected +FULLRESYNC <replid> <offset>");
        offset = off;
    }
    while (rc == 0 && (rc = raw_line(&r, "snapshot", line, sizeof line,
                                     &n)) == 0 && n == 0)
        ;
    repl_payload p;
    if (rc == 0 && repl_payload_parse(line, n, &p, err, sizeof err) != 0)
        rc = raw_fail(&r, "snapshot", err);
    if (rc == 0)
        rc = raw_snapshot(&r, &p);
    if (rc == 0)
        rc = raw_stream(&r, offset, p.kind == REPL_PAYLOAD_EOF);
    resp_buf_free(&r.line);
    resp_buf_free(&r.pending);
    repl_input_free(&r.in);
    repl_conn_close(r.conn);
    return got_signal ? 0 : rc;
}

int main(int argc, char **argv)
{
    tail_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc;
    if (pipe(wake_pipe) != 0) {
        perror("repl-tail: pipe");
        return 1;
    }
    install_signals();
    rc = a.raw ? run_raw(&a) : run_link(&a);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    return rc;
}
