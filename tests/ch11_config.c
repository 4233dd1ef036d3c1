/* ch11_config.c - chapter 11: the replica's settings from flags and a file. */
#include "replica_config.h"
#include "test_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[600];

/* Apply one file text to a fresh config; returns its rc. */
static int load(replica_config *c, const char *text)
{
    ck_assert_int_eq(replica_config_init(c), 0);
    err[0] = '\0';
    return replica_config_load_string(c, "replica.conf", text, err,
                                      sizeof err);
}

/* The error one bad line gives (the config is freed). */
static const char *load_err(const char *text)
{
    replica_config c;
    ck_assert_int_eq(load(&c, text), -1);
    replica_config_free(&c);
    return err;
}

START_TEST(defaults)
{
    replica_config c;
    ck_assert_int_eq(replica_config_init(&c), 0);
    ck_assert_ptr_null(c.master_host);
    ck_assert_int_eq(c.port, 6380);
    ck_assert_str_eq(c.bind, "127.0.0.1");
    ck_assert_str_eq(c.store, "hamt");
    ck_assert_int_eq(c.threads, 4);
    ck_assert_int_eq(c.databases, 16);
    ck_assert_int_eq(c.loglevel, REPLICA_CONFIG_LOG_NOTICE);
    ck_assert(!c.tls_replication);
    ck_assert_int_eq(c.tls_port, 0);
    ck_assert_int_eq(c.maxclients, 10000);
    ck_assert_uint_eq(c.proto_max_bulk_len, 512ULL << 20);
    ck_assert_int_eq(c.timeout, 0);
    ck_assert_uint_eq(c.client_output_buffer_limit_normal, 0);
    ck_assert_int_eq(c.repl_timeout, 60);
    ck_assert_ptr_null(c.masterauth);
    ck_assert_ptr_null(c.requirepass);
    replica_config_free(&c);
}
END_TEST

START_TEST(every_key_from_a_file)
{
    replica_config c;
    int rc = load(&c,
        "# a replica\n"
        "\n"
        "   master 10.0.0.5:6379\n"
        "masterauth s3cret\n"
        "masteruser repl\n"
        "PORT 7000\n"
        "bind 0.0.0.0\n"
        "requirepass \"two words\"\n"
        "store cow\n"
        "threads 8\n"
        "databases 32\n"
        "loglevel WARNING\n"
        "tls-replication yes\n"
        "tls-ca-cert-file /etc/ca.crt\n"
        "tls-ca-cert-dir /etc/cas\n"
        "tls-client-cert-file /etc/client.crt\n"
        "tls-client-key-file /etc/client.key\n"
        "tls-sni master.example\n"
        "tls-port 7443\n"
        "tls-cert-file /etc/server.crt\n"
        "tls-key-file /etc/server.key\n"
        "maxclients 50\n"
        "proto-max-bulk-len 1gb\n"
        "timeout 300\n"
        "client-output-buffer-limit normal 64mb 0 0\n"
        "repl-timeout 30");   /* no final newline */
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_str_eq(c.master_host, "10.0.0.5");
    ck_assert_int_eq(c.master_port, 6379);
    ck_assert_str_eq(c.masterauth, "s3cret");
    ck_assert_str_eq(c.masteruser, "repl");
    ck_assert_int_eq(c.port, 7000);
    ck_assert_str_eq(c.bind, "0.0.0.0");
    ck_assert_str_eq(c.requirepass, "two words");
    ck_assert_str_eq(c.store, "cow");
    ck_assert_int_eq(c.threads, 8);
    ck_assert_int_eq(c.databases, 32);
    ck_assert_int_eq(c.loglevel, REPLICA_CONFIG_LOG_WARNING);
    ck_assert(c.tls_replication);
    ck_assert_str_eq(c.tls_ca_cert_file, "/etc/ca.crt");
    ck_assert_str_eq(c.tls_ca_cert_dir, "/etc/cas");
    ck_assert_str_eq(c.tls_client_cert_file, "/etc/client.crt");
    ck_assert_str_eq(c.tls_client_key_file, "/etc/client.key");
    ck_assert_str_eq(c.tls_sni, "master.example");
    ck_assert_int_eq(c.tls_port, 7443);
    ck_assert_str_eq(c.tls_cert_file, "/etc/server.crt");
    ck_assert_str_eq(c.tls_key_file, "/etc/server.key");
    ck_assert_int_eq(c.maxclients, 50);
    ck_assert_uint_eq(c.proto_max_bulk_len, 1ULL << 30);
    ck_assert_int_eq(c.timeout, 300);
    ck_assert_uint_eq(c.client_output_buffer_limit_normal, 64ULL << 20);
    ck_assert_int_eq(c.repl_timeout, 30);

    repl_options o = replica_config_repl_options(&c);
    ck_assert_str_eq(o.host, "10.0.0.5");
    ck_assert_int_eq(o.port, 6379);
    ck_assert_str_eq(o.user, "repl");
    ck_assert_str_eq(o.password, "s3cret");
    ck_assert(o.tls.enabled);
    ck_assert_str_eq(o.tls.ca_file, "/etc/ca.crt");
    ck_assert_str_eq(o.tls.ca_dir, "/etc/cas");
    ck_assert_str_eq(o.tls.cert_file, "/etc/client.crt");
    ck_assert_str_eq(o.tls.key_file, "/etc/client.key");
    ck_assert_str_eq(o.tls.server_name, "master.example");
    ck_assert(!o.tls.no_verify);
    ck_assert_int_eq(o.listening_port, 7000);
    ck_assert_int_eq(o.timeout_ms, 30000);
    ck_assert_int_eq(o.log_level, REPL_LOG_WARN);
    ck_assert(o.apply);
    replica_config_free(&c);
}
END_TEST

START_TEST(other_spellings)
{
    replica_config c;
    ck_assert_int_eq(load(&c, "replicaof ::1 6390\nlog-level debug\n"
                              "tls-replication No\n"), 0);
    ck_assert_str_eq(c.master_host, "::1");
    ck_assert_int_eq(c.master_port, 6390);
    ck_assert_int_eq(c.loglevel, REPLICA_CONFIG_LOG_DEBUG);
    ck_assert(!c.tls_replication);
    ck_assert_int_eq(replica_config_repl_options(&c).log_level,
                     REPL_LOG_DEBUG);
    replica_config_free(&c);
    ck_assert_int_eq(load(&c, "master [::1]:6391\nloglevel verbose\n"), 0);
    ck_assert_str_eq(c.master_host, "::1");
    ck_assert_int_eq(c.master_port, 6391);
    ck_assert_int_eq(replica_config_repl_options(&c).log_level,
                     REPL_LOG_DEBUG);
    replica_config_free(&c);
    ck_assert_int_eq(load(&c, "loglevel notice\n"), 0);
    ck_assert_int_eq(replica_config_repl_options(&c).log_level,
                     REPL_LOG_INFO);
    ck_assert_int_eq(replica_config_repl_options(&c).timeout_ms, 60000);
    replica_config_free(&c);
}
END_TEST

START_TEST(every_error)
{
    static const struct { const char *line, *msg; } cases[] = {
        { "port 1\nportt 1", "replica.conf:2: unknown key 'portt'" },
        { "port", "replica.conf:1: port: missing value" },
        { "port 1 2", "replica.conf:1: port: expected 1 value, got 2" },
        { "port abc", "replica.conf:1: port: not a number: 'abc'" },
        { "port 12x", "replica.conf:1: port: not a number: '12x'" },
        { "port \"\"", "replica.conf:1: port: not a number: ''" },
        { "port 99999999999999999999",
          "replica.conf:1: port: not a number: '99999999999999999999'" },
        { "port 65536", "replica.conf:1: port: out of range 0..65535: '65536'" },
        { "port -1", "replica.conf:1: port: out of range 0..65535: '-1'" },
        { "tls-port 70000",
          "replica.conf:1: tls-port: out of range 0..65535: '70000'" },
        { "threads 0", "replica.conf:1: threads: out of range 1..1024: '0'" },
        { "databases 0",
          "replica.conf:1: databases: out of range 1..1000000: '0'" },
        { "maxclients 0",
          "replica.conf:1: maxclients: out of range 1..2147483647: '0'" },
        { "timeout -5",
          "replica.conf:1: timeout: out of range 0..2147483647: '-5'" },
        { "repl-timeout 0",
          "replica.conf:1: repl-timeout: out of range 1..2147483: '0'" },
        { "proto-max-bulk-len 5tb", "replica.conf:1: proto-max-bulk-len: "
          "not a memory amount (e.g. 512mb): '5tb'" },
        { "proto-max-bulk-len 0",
          "replica.conf:1: proto-max-bulk-len: out of range: '0'" },
        { "proto-max-bulk-len 99999999999999999999", "replica.conf:1: "
          "proto-max-bulk-len: not a memory amount (e.g. 512mb): "
          "'99999999999999999999'" },
        { "proto-max-bulk-len 99999999999gb", "replica.conf:1: "
          "proto-max-bulk-len: not a memory amount (e.g. 512mb): "
          "'99999999999gb'" },
        { "master localhost", "replica.conf:1: master: not host:port: "
          "'localhost'" },
        { "master :6379", "replica.conf:1: master: not host:port: ':6379'" },
        { "master h:0", "replica.conf:1: master: not host:port: 'h:0'" },
        { "master h:65536",
          "replica.conf:1: master: not host:port: 'h:65536'" },
        { "master h:p", "replica.conf:1: master: not host:port: 'h:p'" },
        { "master ::1:6379",
          "replica.conf:1: master: not host:port: '::1:6379'" },
        { "replicaof h", "replica.conf:1: replicaof: expected host and port, "
          "got 1 value" },
        { "replicaof h x", "replica.conf:1: replicaof: not host:port: 'x'" },
        { "store btree",
          "replica.conf:1: store: no store variant named 'btree'" },
        { "loglevel loud", "replica.conf:1: loglevel: not debug, verbose, "
          "notice or warning: 'loud'" },
        { "tls-replication maybe",
          "replica.conf:1: tls-replication: not yes or no: 'maybe'" },
        { "client-output-buffer-limit normal 1mb",
          "replica.conf:1: client-output-buffer-limit: expected "
          "'normal <hard> <soft> <seconds>'" },
        { "client-output-buffer-limit replica 1mb 0 0",
          "replica.conf:1: client-output-buffer-limit: only class 'normal' "
          "is supported: 'replica'" },
        { "client-output-buffer-limit normal 1x 0 0",
          "replica.conf:1: client-output-buffer-limit: not a memory amount: "
          "'1x 0 0'" },
        { "client-output-buffer-limit normal 1mb 1mb 60",
          "replica.conf:1: client-output-buffer-limit: only a hard limit is "
          "supported (soft and seconds must be 0)" },
        { "# ok\nrequirepass \"open", "replica.conf:2: unbalanced quotes" },
        { "requirepass 'open", "replica.conf:1: unbalanced quotes" },
        { "requirepass \"a\"b", "replica.conf:1: unbalanced quotes" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_str_eq(load_err(cases[i].line), cases[i].msg);
}
END_TEST

START_TEST(failed_set_leaves_config_unchanged)
{
    replica_config c;
    ck_assert_int_eq(load(&c, "port 7001\nstore cow\nmaster a:1\n"), 0);
    char *bad[] = { "x" };
    ck_assert_int_eq(replica_config_set(&c, "port", 1, bad, err, sizeof err),
                     -1);
    ck_assert_int_eq(replica_config_set(&c, "store", 1, bad, err, sizeof err),
                     -1);
    ck_assert_int_eq(replica_config_set(&c, "master", 1, bad, err,
                                        sizeof err), -1);
    ck_assert_int_eq(c.port, 7001);
    ck_assert_str_eq(c.store, "cow");
    ck_assert_str_eq(c.master_host, "a");
    ck_assert_int_eq(c.master_port, 1);
    replica_config_free(&c);
}
END_TEST

/* Split one line and compare with the expected words. */
static void split_is(const char *line, int n, const char *const *want,
                     const size_t *lens)
{
    int argc;
    char **argv;
    ck_assert_msg(replica_config_split(line, &argc, &argv) == 0, "%s", line);
    ck_assert_int_eq(argc, n);
    for (int i = 0; i < n; i++)
        ck_assert_bytes_eq(argv[i], lens ? lens[i] : strlen(argv[i]), want[i],
                           lens ? lens[i] : strlen(want[i]));
    ck_assert_ptr_null(argv[n]);
    replica_config_split_free(argc, argv);
}

START_TEST(quoting)
{
    split_is("  a\tb  c ", 3, (const char *[]){ "a", "b", "c" }, NULL);
    split_is("", 0, NULL, NULL);
    split_is("k \"a b\" 'c d'", 3, (const char *[]){ "k", "a b", "c d" },
             NULL);
    split_is("\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"", 1,
             (const char *[]){ "\n\r\t\b\a\\\"q" }, NULL);
    split_is("\"\\x41\\x7a\\x00!\"", 1, (const char *[]){ "Az\0!" },
             (const size_t[]){ 4 });
    split_is("\"\\xZZ\"", 1, (const char *[]){ "xZZ" }, NULL);
    split_is("'it\\'s' 'a\\nb' \"\"", 3,
             (const char *[]){ "it's", "a\\nb", "" }, NULL);
    split_is("ab\"c d\"", 1, (const char *[]){ "abc d" }, NULL);
    int argc;
    char **argv;
    ck_assert_int_eq(replica_config_split("\"a", &argc, &argv), -1);
    ck_assert_ptr_null(argv);
    ck_assert_int_eq(replica_config_split("'a'b", &argc, &argv), -1);
    ck_assert_int_eq(replica_config_split("\"a\\", &argc, &argv), -1);

    replica_config c;
    ck_assert_int_eq(load(&c, "masterauth \"p#ss word\"  # not a comment?\n"),
                     -1);
    ck_assert_str_eq(err, "replica.conf:1: masterauth: expected 1 value, "
                          "got 5");
    replica_config_free(&c);
    ck_assert_int_eq(load(&c, "masterauth 'p#ss \"w\"'\n  # comment\n"), 0);
    ck_assert_str_eq(c.masterauth, "p#ss \"w\"");
    replica_config_free(&c);
}
END_TEST

START_TEST(memory_units)
{
    static const struct { const char *s; unsigned long long v; } ok[] = {
        { "0", 0 }, { "123", 123 }, { "5b", 5 }, { "1k", 1000 },
        { "1K", 1000 }, { "1kb", 1024 }, { "1KB", 1024 }, { "1kB", 1024 },
        { "2m", 2000000 }, { "2mb", 2097152 }, { "2Mb", 2097152 },
        { "3g", 3000000000ULL }, { "3gb", 3ULL << 30 }, { "3GB", 3ULL << 30 },
        { "18446744073709551615", ULLONG_MAX },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        unsigned long long v = 1;
        ck_assert_msg(replica_config_memory(ok[i].s, &v) == 0, "%s", ok[i].s);
        ck_assert_uint_eq(v, ok[i].v);
    }
    static const char *const bad[] = { "", "k", "1t", "1kbb", "-1", " 1",
        "1 ", "1.5mb", "18446744073709551616", "17179869184gb", "+1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned long long v = 7;
        ck_assert_msg(replica_config_memory(bad[i], &v) == -1, "%s", bad[i]);
        ck_assert_uint_eq(v, 7);
    }
}
END_TEST

/* Write text to a fresh temp file; path receives its name. */
static void temp_file(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/ch11_config_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t n = strlen(text);
    ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
}

static replica_config_action parse(replica_config *c, int argc,
                                   char *const *argv)
{
    ck_assert_int_eq(replica_config_init(c), 0);
    err[0] = '\0';
    return replica_config_parse_args(c, argc, argv, err, sizeof err);
}

START_TEST(flags_override_the_file)
{
    char path[64];
    temp_file(path, sizeof path,
              "master a.example:6379\nport 7000\nthreads 2\nstore cow\n");
    replica_config c;
    char *argv[] = { "replica", path, "--port", "7100", "--THREADS", "3",
                     "--client-output-buffer-limit", "normal", "1kb", "0",
                     "0", "--requirepass", "-dash", NULL };
    ck_assert_int_eq(parse(&c, 13, argv), REPLICA_CONFIG_RUN);
    ck_assert_str_eq(c.master_host, "a.example");
    ck_assert_int_eq(c.port, 7100);
    ck_assert_int_eq(c.threads, 3);
    ck_assert_str_eq(c.store, "cow");
    ck_assert_uint_eq(c.client_output_buffer_limit_normal, 1024);
    ck_assert_str_eq(c.requirepass, "-dash");
    replica_config_free(&c);

    /* no file: flags alone */
    char *only[] = { "replica", "--master", "127.0.0.1:6379", NULL };
    ck_assert_int_eq(parse(&c, 3, only), REPLICA_CONFIG_RUN);
    ck_assert_str_eq(c.master_host, "127.0.0.1");
    ck_assert_int_eq(c.port, 6380);
    replica_config_free(&c);

    /* an error in the file names the file and line */
    char badpath[64];
    temp_file(badpath, sizeof badpath, "port 1\n\nthreads many\n");
    char *bad[] = { "replica", badpath, "--master", "h:1", NULL };
    ck_assert_int_eq(parse(&c, 4, bad), REPLICA_CONFIG_ERROR);
    char want[200];
    snprintf(want, sizeof want, "%s:3: threads: not a number: 'many'",
             badpath);
    ck_assert_str_eq(err, want);
    replica_config_free(&c);
    unlink(path);
    unlink(badpath);

    char *missing[] = { "replica", "/nonexistent/replica.conf", NULL };
    ck_assert_int_eq(parse(&c, 2, missing), REPLICA_CONFIG_ERROR);
    ck_assert_str_eq(err, "/nonexistent/replica.conf: cannot open: "
                          "No such file or directory");
    replica_config_free(&c);
}
END_TEST

START_TEST(command_line_errors)
{
    static const struct { int argc; char *argv[6]; const char *msg; } cases[] = {
        { 3, { "replica", "--port", "x" },
          "command line: --port: not a number: 'x'" },
        { 2, { "replica", "--port" }, "command line: --port: missing value" },
        { 4, { "replica", "--port", "1", "2" },
          "command line: --port: expected 1 value, got 2" },
        { 3, { "replica", "--nope", "1" }, "command line: --unknown key 'nope'" },
        { 3, { "replica", "--master", "h" },
          "command line: --master: not host:port: 'h'" },
        { 4, { "replica", "--master", "h:1", "--" },
          "command line: expected --key, got '--'" },
        { 1, { "replica" }, "master: not set (--master host:port)" },
        { 5, { "replica", "--master", "h:1", "--tls-port", "6443" },
          "tls-port: needs tls-cert-file and tls-key-file" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        replica_config c;
        ck_assert_int_eq(parse(&c, cases[i].argc, cases[i].argv),
                         REPLICA_CONFIG_ERROR);
        ck_assert_str_eq(err, cases[i].msg);
        replica_config_free(&c);
    }
}
END_TEST

START_TEST(help_and_version)
{
    replica_config c;
    char *h1[] = { "replica", "--help", NULL };
    char *h2[] = { "replica", "--port", "x", "-h", NULL };
    char *v1[] = { "replica", "--version", NULL };
    char *v2[] = { "replica", "/nonexistent", "-v", NULL };
    ck_assert_int_eq(parse(&c, 2, h1), REPLICA_CONFIG_HELP);
    replica_config_free(&c);
    ck_assert_int_eq(parse(&c, 4, h2), REPLICA_CONFIG_HELP);
    replica_config_free(&c);
    ck_assert_int_eq(parse(&c, 2, v1), REPLICA_CONFIG_VERSION);
    replica_config_free(&c);
    ck_assert_int_eq(parse(&c, 3, v2), REPLICA_CONFIG_VERSION);
    replica_config_free(&c);
    const char *u = replica_config_usage();
    ck_assert_ptr_nonnull(strstr(u, "--master host:port"));
    ck_assert_ptr_nonnull(strstr(u, "--proto-max-bulk-len 512mb"));
}
END_TEST

Suite *ch11_config_suite(void)
{
    Suite *s = suite_create("ch11_config");
    TCase *tc = test_tcase("config", 30);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, every_key_from_a_file);
    tcase_add_test(tc, other_spellings);
    tcase_add_test(tc, every_error);
    tcase_add_test(tc, failed_set_leaves_config_unchanged);
    tcase_add_test(tc, quoting);
    tcase_add_test(tc, memory_units);
    tcase_add_test(tc, flags_override_the_file);
    tcase_add_test(tc, command_line_errors);
    tcase_add_test(tc, help_and_version);
    suite_add_tcase(s, tc);
    return s;
}
