/* replica_config.h - the replica's settings, from flags and a redis.conf-style file.
 * Chapter 11.
 *
 * build/replica is configured the way redis-server is: an optional config
 * file as the first argument (one `key value` per line, `#` comments,
 * "..." and '...' quoting as Redis's sdssplitargs in redis/redis
 * src/sds.c), then `--key value` flags that override the file.  Every
 * setting lives in one plain struct that the program reads once at start;
 * parsing is table-driven so each key is checked the same way (numbers and
 * their range, Redis's memory units, yes/no, host:port), and each error is
 * one line naming the file, the line, the key and what was wrong.
 *
 * Names follow redis.conf where Redis has the setting.  The TLS names
 * separate the two sides cleanly: tls-port, tls-cert-file and tls-key-file
 * are the replica's own listening port; tls-replication turns TLS on for
 * the link to the master, which is verified with tls-ca-cert-file (or
 * tls-ca-cert-dir) and tls-sni, and tls-client-cert-file /
 * tls-client-key-file are the certificate the link presents when the
 * master asks for one (Redis's names for the outgoing side).
 */
#ifndef REPLICA_CONFIG_H
#define REPLICA_CONFIG_H

#include "repl.h"

#include <stdbool.h>
#include <stddef.h>

/** Redis's log levels, least to most severe. */
typedef enum replica_config_log_level {
    REPLICA_CONFIG_LOG_DEBUG = 0,
    REPLICA_CONFIG_LOG_VERBOSE,
    REPLICA_CONFIG_LOG_NOTICE,
    REPLICA_CONFIG_LOG_WARNING,
} replica_config_log_level;

/** Every setting.  Strings are owned by the struct (replica_config_free). */
typedef struct replica_config {
    char *master_host;          /**< master (required): `master host:port` */
    int master_port;            /**< its port */
    char *masterauth;           /**< password for AUTH (NULL: none) */
    char *masteruser;           /**< ACL user for AUTH (NULL: default) */
    int port;                   /**< own port, default 6380 (0: no TCP) */
    char *bind;                 /**< address to listen on, default 127.0.0.1 */
    char *requirepass;          /**< clients' password (NULL: none) */
    char *store;                /**< store variant, default "hamt" */
    int threads;                /**< reader threads, default 4 */
    int databases;              /**< default 16 */
    replica_config_log_level loglevel; /**< default notice */
    bool tls_replication;       /**< TLS on the link, default no */
    char *tls_ca_cert_file;     /**< CA to verify the master with */
    char *tls_ca_cert_dir;      /**< or a directory of CAs */
    char *tls_client_cert_file; /**< the link's client certificate */
    char *tls_client_key_file;  /**< its key */
    char *tls_sni;              /**< name sent and checked (NULL: the host) */
    int tls_port;               /**< own TLS port, default 0 (off) */
    char *tls_cert_file;        /**< own port's certificate */
    char *tls_key_file;         /**< its key */
    int maxclients;             /**< default 10000 */
    unsigned long long proto_max_bulk_len; /**< default 512mb */
    int timeout;                /**< idle client seconds, 0 = never */
    unsigned long long client_output_buffer_limit_normal; /**< hard limit,
                                     bytes, 0 = none (the default) */
    int repl_timeout;           /**< seconds, default 60 */
    bool enable_debug_command;  /**< DEBUG SLEEP allowed, default no */
} replica_config;

/** What replica_config_parse_args() found. */
typedef enum replica_config_action {
    REPLICA_CONFIG_RUN = 0,   /**< a complete config: run */
    REPLICA_CONFIG_HELP,      /**< --help or -h: print replica_config_usage() */
    REPLICA_CONFIG_VERSION,   /**< --version or -v */
    REPLICA_CONFIG_ERROR,     /**< err holds the one-line reason */
} replica_config_action;

/**
 * Fill in the defaults.
 * \param c the config; replica_config_free() it afterwards.
 * \return 0, or -1 out of memory.
 */
int replica_config_init(replica_config *c);

/**
 * Free the strings a config owns.  Not thread-safe with readers of c.
 * \param c the config (may then be initialised again).
 */
void replica_config_free(replica_config *c);

/**
 * Set one key from its values, as a config line would.
 * \param c    the config (unchanged on error).
 * \param argc number of values.
 * \param key  the key, case-insensitive (e.g. "port").
 * \param argv the values (copied).
 * \param err  receives "KEY: what was wrong" on error.
 * \param errlen its size.
 * \return 0, or -1 on error.
 */
int replica_config_set(replica_config *c, const char *key, int argc,
                       char *const *argv, char *err, size_t errlen);

/**
 * Split a line into words like Redis's sdssplitargs: whitespace separates;
 * "..." knows \\n \\r \\t \\b \\a \\xHH and \\<char>; '...' knows only \\';
 * a closing quote must be followed by a space or the end.
 * \param line  the line.
 * \param argc  receives the number of words.
 * \param argv  receives a malloc'd NULL-terminated array of malloc'd words
 *              (free with replica_config_split_free); words may hold NUL.
 * \return 0, or -1 for unbalanced quotes or out of memory (argv NULL).
 */
int replica_config_split(const char *line, int *argc, char ***argv);

/**
 * Free the result of replica_config_split().
 * \param argc its count.
 * \param argv its array (may be NULL).
 */
void replica_config_split_free(int argc, char **argv);

/**
 * Parse a memory amount in Redis's units (as redis/redis src/util.c
 * memtoull): digits then nothing or b, k, kb, m, mb, g, gb, any case;
 * k = 1000 and kb = 1024, and so on.
 * \param s   the text.
 * \param out receives the bytes.
 * \return 0, or -1 if not a number in those units or it overflows.
 */
int replica_config_memory(const char *s, unsigned long long *out);

/**
 * Apply a config file's text.
 * \param c    the config.
 * \param name the file's name, for errors.
 * \param text its contents (NUL-terminated).
 * \param err  receives "NAME:LINE: KEY: what" on error.
 * \param errlen its size.
 * \return 0, or -1 on the first error (earlier lines stay applied).
 */
int replica_config_load_string(replica_config *c, const char *name,
                               const char *text, char *err, size_t errlen);

/**
 * Read and apply a config file.
 * \param c    the config.
 * \param path the file.
 * \param err  receives the one-line reason on error.
 * \param errlen its size.
 * \return 0, or -1.
 */
int replica_config_load_file(replica_config *c, const char *path, char *err,
                             size_t errlen);

/**
 * Parse a command line: an optional config file first (like
 * redis-server), then `--key value` flags that override it; then check
 * that the result is complete (master set, TLS port with its files).
 * \param c    an initialised config.
 * \param argc main's argc.
 * \param argv main's argv (argv[0] is the program).
 * \param err  receives the one-line reason on REPLICA_CONFIG_ERROR.
 * \param errlen its size.
 * \return what to do.
 */
replica_config_action replica_config_parse_args(replica_config *c, int argc,
                                                char *const *argv, char *err,
                                                size_t errlen);

/**
 * The --help text.
 * \return a static string.
 */
const char *replica_config_usage(void);

/**
 * Link options for this config: repl_options_default() with the master,
 * auth, TLS, repl-timeout, log level and listening port filled in.
 * \param c the config; the options borrow its strings, so c must outlive
 *          the link.
 * \return the options.
 */
repl_options replica_config_repl_options(const replica_config *c);

#endif
