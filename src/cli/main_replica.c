/* main_replica.c - replica: a read-only Redis replica server.
 * Chapter 11.
 *
 *   replica [/path/to/replica.conf] [--key value ...]
 *   replica --help | --version
 *
 * The course's program: it follows a Redis master with chapter 10's link
 * (repl.h) into a dataset of the chosen store variant, and serves that
 * dataset to Redis clients with chapter 11's server (server.h): reads
 * answered as Redis answers them, writes refused with -READONLY, the
 * master's PUBLISH messages delivered to subscribers.
 *
 * Configuration is redis-server's: an optional config file as the FIRST
 * argument (one `key value` per line), then `--key value` flags that
 * override it (replica_config.h lists the keys; --help prints them).  A
 * bad flag or line is one error line naming it ("replica.conf:3: port:
 * not a number: 'x'") and exit status 1.
 *
 * Logs go to stdout in redis-server's format, so a learner reads both
 * the same way:
 *
 *     4242:S 01 Dec 2026 21:00:00.123 * MASTER <-> REPLICA sync: done
 *
 * pid, the role letter (S: a replica, as Redis writes it), the local time
 * with milliseconds, a level mark ('.' debug, '-' verbose, '*' notice,
 * '#' warning) and the message.  Each line is written with one write(),
 * so lines from the link's thread and the server's never interleave.
 *
 * Stopping: SIGINT or SIGTERM makes the handler call
 * server_request_stop() (one eventfd write: async-signal-safe) and
 * nothing else; the main thread, waiting in server_wait(), then stops the
 * link, frees everything and exits 0.
 *
 * Wiring: the link must tell the server about changes (on_change) and
 * PUBLISH messages (on_publish), and the server must read the link's
 * status (INFO replication, ROLE): each needs the other at creation.  The
 * link is created first with callbacks that go through `app`, whose
 * server pointer is set before repl_start() (so the link thread, created
 * after, sees it: pthread_create() orders the write before the thread).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "dataset.h"
#include "repl.h"
#include "replica_config.h"
#include "server.h"
#include "store.h"

/** The program's version, printed by --version and logged at start. */
#define REPLICA_VERSION "0.11.0"

/** What the link's callbacks and the signal handler reach. */
typedef struct app {
    server *srv;            /* set before repl_start() */
    replica_config_log_level level; /* least severe level logged */
} app;

static app the_app;
/* The server the signal handler stops.  Written once, before the handlers
 * are installed and before any other thread exists (the threads, created
 * later, see it through pthread_create()'s ordering); never written again,
 * so a handler on any thread reads a settled value. */
static server *signal_server;

/* ---- logging ------------------------------------------------------------- */

/* One line in redis-server's format: "pid:S dd Mon yyyy hh:mm:ss.mmm M
 * msg".  mark is Redis's level character. */
static void log_line(char mark, const char *msg)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char when[64];
    strftime(when, sizeof when, "%d %b %Y %H:%M:%S", &tm);
    char line[2048];
    int n = snprintf(line, sizeof line, "%d:S %s.%03d %c %s\n", (int)getpid(),
                     when, (int)(tv.tv_usec / 1000), mark, msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) { /* cut a long message, keep the newline */
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    /* One write() per line: atomic with respect to the other threads'. */
    ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
    (void)w;
}

static const char level_marks[] = {'.', '-', '*', '#'};

static void logf_level(replica_config_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_level(replica_config_log_level lv, const char *fmt, ...)
{
    if (lv < the_app.level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_line(level_marks[lv], msg);
}

/* The server's log sink: its levels are Redis's, as ours. */
static void on_server_log(void *arg, server_log_level level, const char *msg)
{
    (void)arg;
    replica_config_log_level lv = (replica_config_log_level)level;
    if (lv < the_app.level)
        return;
    log_line(level_marks[lv], msg);
}

/* The link's log sink: debug -> debug, info -> notice, warn and error ->
 * warning. */
static void on_repl_log(void *arg, repl_log_level level, const char *msg)
{
    (void)arg;
    replica_config_log_level lv = level == REPL_LOG_DEBUG
                                      ? REPLICA_CONFIG_LOG_DEBUG
                                  : level == REPL_LOG_INFO
                                      ? REPLICA_CONFIG_LOG_NOTICE
                                      : REPLICA_CONFIG_LOG_WARNING;
    if (lv < the_app.level)
        return;
    log_line(level_marks[lv], msg);
}

/* ---- the link's callbacks, forwarded to the server ------------------------ */

static void on_change(void *arg)
{
    app *a = arg;
    server_notify_change(a->srv);
}

static void on_publish(const void *chan, size_t clen, const void *msg,
                       size_t mlen, void *arg)
{
    app *a = arg;
    server_publish(chan, clen, msg, mlen, a->srv);
}

/* ---- signals -------------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    server *s = signal_server;
    if (s)
        server_request_stop(s); /* one eventfd write */
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

/* ---- options ------------------------------------------------------------- */

/* The server's options from the config.  Strings are borrowed from c (the
 * server copies them). */
static server_options server_opts(const replica_config *c,
                                  const char *config_path)
{
    server_options o = server_options_default();
    o.bind = c->bind;
    o.port = c->port;
    o.tls.port = c->tls_port;
    o.tls.cert_file = c->tls_cert_file;
    o.tls.key_file = c->tls_key_file;
    o.tls.ca_file = c->tls_ca_cert_file;
    o.tls.ca_dir = c->tls_ca_cert_dir;
    /* Redis requires a client certificate by default (tls-auth-clients
     * yes); it can only check one against a CA, so ask only when one is
     * configured. */
    o.tls.auth_clients = c->tls_ca_cert_file || c->tls_ca_cert_dir ? 1 : 0;
    o.threads = (unsigned)c->threads;
    o.requirepass = c->requirepass;
    o.maxclients = (unsigned)c->maxclients;
    o.timeout_s = c->timeout;
    o.enable_debug_command = c->enable_debug_command;
    o.proto_max_bulk_len = c->proto_max_bulk_len;
    o.output_limit_normal = c->client_output_buffer_limit_normal;
    o.config_file = config_path;
    o.store = c->store;
    o.log = on_server_log;
    o.log_arg = &the_app;
    o.log_level = (server_log_level)c->loglevel;
    return o;
}

/* The config file's absolute path when argv[1] is one (INFO server shows
 * it, as Redis does), else NULL. */
static char *config_path(int argc, char **argv)
{
    if (argc < 2 || strncmp(argv[1], "--", 2) == 0 ||
        strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "-v") == 0)
        return NULL;
    char *p = realpath(argv[1], NULL);
    return p ? p : strdup(argv[1]);
}

/* ---- main ------------------------------------------------------------------ */

static int run(const replica_config *c, const char *conf)
{
    const store_ops *variant = store_variant(c->store);
    char err[512];
    logf_level(REPLICA_CONFIG_LOG_NOTICE,
               "replica %s starting, pid=%d: master %s:%d, store %s, "
               "%d thread%s%s%s", REPLICA_VERSION, (int)getpid(),
               c->master_host, c->master_port, c->store, c->threads,
               c->threads == 1 ? "" : "s", conf ? ", config " : "",
               conf ? conf : "");
    dataset *ds = dataset_create(variant, (unsigned)c->databases);
    if (!ds) {
        fprintf(stderr, "replica: cannot create the dataset: %s\n",
                strerror(errno));
        return 1;
    }
    repl_options ro = replica_config_repl_options(c);
    ro.on_change = on_change;
    ro.change_arg = &the_app;
    ro.on_publish = on_publish;
    ro.publish_arg = &the_app;
    ro.log = on_repl_log;
    ro.log_arg = &the_app;
    repl *link = repl_create(&ro, ds, err, sizeof err);
    if (!link) {
        fprintf(stderr, "replica: %s\n", err);
        dataset_destroy(ds);
        return 1;
    }
    server_options so = server_opts(c, conf);
    server *srv = server_create(&so, ds, link, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "replica: %s\n", err);
        repl_destroy(link);
        dataset_destroy(ds);
        return 1;
    }
    the_app.srv = srv;
    signal_server = srv;
    install_signals();
    if (server_start(srv) != 0) {
        fprintf(stderr, "replica: cannot start the server: %s\n",
                strerror(errno));
        server_destroy(srv);
        repl_destroy(link);
        dataset_destroy(ds);
        return 1;
    }
    if (repl_start(link) != 0) {
        fprintf(stderr, "replica: cannot start the link: %s\n",
                strerror(errno));
        server_stop(srv);
        server_destroy(srv);
        repl_destroy(link);
        dataset_destroy(ds);
        return 1;
    }
    /* (The server logs its own "Ready to accept connections" line.) */
    server_wait(srv); /* until SIGINT or SIGTERM */
    logf_level(REPLICA_CONFIG_LOG_WARNING,
               "Received a signal, shutting down");
    repl_stop(link);
    /* Every other thread is joined now, so blocking the signals here means
     * no handler can run any more: a second Ctrl-C cannot reach a server
     * being freed. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    server_destroy(srv);
    repl_destroy(link);
    dataset_destroy(ds);
    logf_level(REPLICA_CONFIG_LOG_WARNING, "replica is now ready to exit, "
               "bye bye...");
    return 0;
}

int main(int argc, char **argv)
{
    replica_config c;
    if (replica_config_init(&c) != 0) {
        fputs("replica: out of memory\n", stderr);
        return 1;
    }
    char err[600];
    replica_config_action act =
        replica_config_parse_args(&c, argc, argv, err, sizeof err);
    int rc = 0;
    char *conf = NULL;
    switch (act) {
    case REPLICA_CONFIG_HELP:
        fputs(replica_config_usage(), stdout);
        break;
    case REPLICA_CONFIG_VERSION:
        printf("replica v=%s (a read-only Redis replica; follows Redis 7.0 "
               "masters)\n", REPLICA_VERSION);
        break;
    case REPLICA_CONFIG_ERROR:
        fprintf(stderr, "replica: %s\n", err);
        fputs("replica: --help lists the settings\n", stderr);
        rc = 1;
        break;
    case REPLICA_CONFIG_RUN:
        the_app.level = c.loglevel;
        conf = config_path(argc, argv);
        rc = run(&c, conf);
        break;
    }
    free(conf);
    replica_config_free(&c);
    return rc;
}
