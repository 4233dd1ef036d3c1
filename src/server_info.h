/* server_info.h - the introspection family's parts: INFO's text from
 * filled structs, CONFIG and COMMAND handlers.
 * Chapter 11.
 *
 * INFO is a report, and a report is easiest to test when it is a pure
 * function of its inputs.  So the INFO handler only gathers (the core's
 * counters through server_stats.h, the link's repl_status, the keyspace's
 * sizes, memory and CPU figures from the kernel) into a server_report, and
 * server_info_format() turns a report into Redis 7.0's text: the section
 * names, field names and order of redis/redis src/server.c
 * genRedisInfoString(), which monitoring tools (prometheus
 * redis_exporter) and client libraries parse.  A test fills a report by
 * hand and checks every line.
 *
 * The other handlers of the family's table live in server_config_cmd.c
 * (CONFIG) and server_command_cmd.c (COMMAND); this header is how
 * server_info.c's table reaches them.
 *
 * Thread-safety: the functions touch only their arguments.
 */
#ifndef SERVER_INFO_H
#define SERVER_INFO_H

#include "repl.h"
#include "resp.h"
#include "server.h"
#include "server_cmd.h"
#include "server_stats.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One database's line of INFO keyspace. */
typedef struct server_db_stat {
    unsigned db;        /**< the database number */
    uint64_t keys;      /**< keys (expired ones not yet deleted included,
                             as Redis counts them) */
    uint64_t expires;   /**< keys with an expiry */
    int64_t avg_ttl_ms; /**< mean remaining time to live of those, ms */
} server_db_stat;

/** Memory figures for INFO memory (bytes). */
typedef struct server_memory {
    uint64_t used;         /**< allocated by the process (malloc's count) */
    uint64_t peak;         /**< most `used` seen by INFO so far */
    uint64_t rss;          /**< resident set size (/proc/self/statm) */
    uint64_t total_system; /**< physical memory of the machine */
} server_memory;

/** CPU time used, in microseconds (getrusage()). */
typedef struct server_cpu {
    int64_t sys_us;        /**< this process, in the kernel */
    int64_t user_us;       /**< this process, in user space */
    int64_t child_sys_us;  /**< its children, in the kernel */
    int64_t child_user_us; /**< its children, in user space */
} server_cpu;

/** Everything INFO prints. */
typedef struct server_report {
    server_info info;        /**< the core's counters */
    bool has_link;           /**< repl is meaningful */
    repl_status repl;        /**< the link's status */
    const server_options *opt; /**< the server's options (NULL: defaults) */
    const server_cmdstat *cmdstats; /**< per command (any order) */
    size_t ncmdstats;        /**< how many */
    const server_db_stat *dbs; /**< non-empty databases, ascending */
    size_t ndbs;             /**< how many */
    server_memory mem;       /**< memory */
    server_cpu cpu;          /**< CPU */
    int64_t now_us;          /**< wall clock, Unix microseconds */
    bool loading;            /**< no full sync has completed yet */
    const char *os;          /**< "Linux 6.1.0 x86_64" (uname) */
    const char *executable;  /**< the program's path ("" unknown) */
} server_report;

/** INFO sections (bit flags), in the order INFO prints them. */
enum {
    SERVER_INFO_SERVER = 1u << 0,
    SERVER_INFO_CLIENTS = 1u << 1,
    SERVER_INFO_MEMORY = 1u << 2,
    SERVER_INFO_PERSISTENCE = 1u << 3,
    SERVER_INFO_STATS = 1u << 4,
    SERVER_INFO_REPLICATION = 1u << 5,
    SERVER_INFO_CPU = 1u << 6,
    SERVER_INFO_MODULES = 1u << 7,
    SERVER_INFO_COMMANDSTATS = 1u << 8,
    SERVER_INFO_ERRORSTATS = 1u << 9,
    SERVER_INFO_CLUSTER = 1u << 10,
    SERVER_INFO_KEYSPACE = 1u << 11,
};

/** What `INFO` and `INFO default` print (Redis 7.0's default set). */
#define SERVER_INFO_DEFAULT                                                  \
    (SERVER_INFO_SERVER | SERVER_INFO_CLIENTS | SERVER_INFO_MEMORY |         \
     SERVER_INFO_PERSISTENCE | SERVER_INFO_STATS |                           \
     SERVER_INFO_REPLICATION | SERVER_INFO_CPU | SERVER_INFO_MODULES |       \
     SERVER_INFO_ERRORSTATS | SERVER_INFO_CLUSTER | SERVER_INFO_KEYSPACE)
/** `INFO all` and `INFO everything`. */
#define SERVER_INFO_ALL (SERVER_INFO_DEFAULT | SERVER_INFO_COMMANDSTATS)

/**
 * The sections INFO's arguments name: each one case-insensitively, plus
 * "all", "everything" and "default"; no argument: the default set; a
 * name INFO does not know adds nothing (Redis then prints nothing for it).
 * \param argc number of section arguments.
 * \param argv the arguments (after "INFO").
 * \return a mask of SERVER_INFO_* bits.
 */
unsigned server_info_sections(size_t argc, const resp_value *argv);

/**
 * Write INFO's text for the sections in mask: "# Name\r\nfield:value\r\n"
 * lines, sections separated by an empty line, as Redis 7.0.
 * \param r    the report.
 * \param mask SERVER_INFO_* bits.
 * \param out  receives the text (appended).
 * \return 0, or -1 when out of memory (out may hold part of it).
 */
int server_info_format(const server_report *r, unsigned mask, resp_buf *out);

/**
 * Write a byte count as Redis's bytesToHuman(): "512B", "1.50K", "2.00M",
 * "3.10G", "4.00T", "1.00P".
 * \param n   the bytes.
 * \param buf receives the text.
 * \param len size of buf (32 is enough).
 */
void server_bytes_human(uint64_t n, char *buf, size_t len);

/**
 * ROLE's state word for a link state, as redis/redis src/replication.c
 * names REPL_STATE_*: "connect", "connecting", "handshake", "sync",
 * "connected".
 * \param s the state.
 * \return a static string.
 */
const char *server_role_state(repl_state s);

/** CONFIG's container handlers (server_config_cmd.c). */
server_cmd_fn server_config_get_cmd, server_config_set_cmd,
    server_config_resetstat_cmd, server_config_rewrite_cmd,
    server_config_help_cmd;

/** COMMAND's handlers (server_command_cmd.c): COMMAND with no
 *  subcommand, and its subcommands. */
server_cmd_fn server_command_cmd, server_command_count_cmd,
    server_command_info_cmd, server_command_docs_cmd,
    server_command_list_cmd, server_command_getkeys_cmd,
    server_command_help_cmd;

#endif
