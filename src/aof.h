/* aof.h - loading Redis's append-only files into a keyspace.
 * Chapter 9.
 *
 * Redis can persist by logging every write it executes, as the RESP arrays
 * it would propagate to a replica, to an append-only file (AOF).  Loading
 * one is therefore the applier's job, fed from a file instead of a socket:
 * every command goes through cmd_apply() and is published in batches with
 * cmd_applier_flush(), exactly as a replication stream is.
 *
 * Three layouts exist, and aof_load() takes each of them by path:
 *  - Redis 7's append-only directory (`appenddirname`, default
 *    "appendonlydir"): a manifest names a base file (an RDB snapshot, or an
 *    AOF when aof-use-rdb-preamble is no) and the incremental AOF files
 *    written since, in order (aof_manifest.c reads it);
 *  - a legacy single file (Redis < 7, `appendonly.aof`): commands only;
 *  - the same with an RDB preamble: the file starts with the "REDIS" magic,
 *    an RDB snapshot that BGREWRITEAOF wrote, and the commands logged after
 *    the rewrite follow it.
 * Any file that starts with "REDIS" is loaded as RDB first (chapter 7's
 * reader, keyspace_load_rdb()), then as commands from where the RDB ended,
 * as Redis's loadSingleAppendOnlyFile() does (redis/redis src/aof.c).
 *
 * Damage.  A crash can leave the last command half written.  Redis's
 * `aof-load-truncated yes` (its default) then keeps everything before it;
 * so does aof_load(), reporting the file and the offset (option
 * refuse_truncated for `no`).  An open MULTI at the end of the last file is
 * treated the same way: the transaction is dropped.  Anything else
 * malformed (a byte that is not RESP, a value that is not an array of bulk
 * strings) is an error naming the file and the offset.  A well-formed
 * command the applier refuses is counted and reported with its offset, and
 * loading goes on (option stop_on_refusal stops at the first): a refusal
 * means this keyspace has diverged from what Redis would have loaded.
 *
 * Thread-safety: aof_load() is the keyspace's writer for its whole run;
 * readers may read the keyspace meanwhile and see whole batches.
 */
#ifndef AOF_H
#define AOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "keyspace.h"
#include "rdb.h"
#include "resp.h"

/* ---- the manifest (aof_manifest.c) ---------------------------------------- */

/** One line of a manifest: a file, its sequence number and type. */
typedef struct aof_file_info {
    char *name;       /**< the file name (no directory), NUL-terminated */
    long long seq;    /**< its sequence number */
    char type;        /**< 'b' base, 'h' history, 'i' incremental */
    unsigned line;    /**< the manifest line it came from (1-based) */
} aof_file_info;

/** A parsed manifest: what Redis would load, in order. */
typedef struct aof_manifest {
    aof_file_info *base;   /**< the base file, or NULL */
    aof_file_info *incr;   /**< incremental files, in manifest order */
    size_t nincr;          /**< how many */
    size_t nhistory;       /**< history files seen (never loaded) */
} aof_manifest;

/** Longest manifest line, its newline included, as Redis's
 *  MANIFEST_MAX_LINE + its fgets() buffer allow (redis/redis src/aof.c). */
#define AOF_MANIFEST_MAX_LINE 1024

/**
 * Parse a manifest's text with Redis 7.0's grammar (aofLoadManifestFromFile
 * in redis/redis src/aof.c): one file per line as key/value pairs
 * `file NAME seq N type T` (keys in any order and case, unknown pairs
 * ignored, at least 6 fields), values split and unquoted as
 * sdssplitargs() does ("..." with \\n \\r \\t \\b \\a \\xHH escapes, '...'
 * with \\'), lines starting with '#' skipped, every other line ending in a
 * newline within AOF_MANIFEST_MAX_LINE bytes.
 * \param text  the manifest bytes.
 * \param len   their count.
 * \param m     receives the manifest (free with aof_manifest_free(), also
 *              after a failure).
 * \param err   receives "line N: <Redis's reason> (<detail>): '<line>'".
 * \param errsz its size.
 * \return 0, or -1 with err set (errno ENOMEM when out of memory).
 */
int aof_manifest_parse(const char *text, size_t len, aof_manifest *m,
                       char *err, size_t errsz);

/**
 * Read and parse a manifest file (see aof_manifest_parse()).
 * \param path  the file.
 * \param m     receives the manifest (free with aof_manifest_free()).
 * \param err   receives "PATH: line N: ..." or "PATH: <strerror>".
 * \param errsz its size.
 * \return 0, or -1 with err set.
 */
int aof_manifest_read(const char *path, aof_manifest *m, char *err,
                      size_t errsz);

/**
 * Free a manifest's contents and empty it.
 * \param m the manifest; NULL does nothing.
 */
void aof_manifest_free(aof_manifest *m);

/* ---- reading commands from one file (aof_reader.c) -------------------------- */

/** Bytes asked of read() at a time. */
#define AOF_READ_SIZE ((size_t)1 << 20)

/** What aof_reader_next() found. */
typedef enum aof_read_status {
    AOF_READ_CMD = 0,       /**< a command (an array of bulk strings) */
    AOF_READ_END = 1,       /**< the file ended between commands */
    AOF_READ_TRUNCATED = 2, /**< the file ended inside a command */
    AOF_READ_ERROR = -1,    /**< malformed, or a read error: see error */
} aof_read_status;

/**
 * A reader of the commands in one file: large reads fed to chapter 6's
 * parser, offsets counted from the start of the file.
 */
typedef struct aof_reader {
    int fd;               /**< the file */
    const char *name;     /**< its name in messages (not owned) */
    resp_parser p;        /**< the parser; p.offset is the file offset */
    unsigned char *buf;   /**< AOF_READ_SIZE bytes */
    size_t len;           /**< bytes in buf */
    size_t pos;           /**< bytes of buf consumed */
    bool eof;             /**< read() returned 0 */
    bool in_note;         /**< inside an annotation line ('#...') */
    uint64_t cmd_offset;  /**< offset of the command last returned, or of
                               the incomplete one after TRUNCATED */
    uint64_t notes;       /**< annotation lines skipped */
    char error[400];      /**< "NAME: offset N: ..." after ERROR */
} aof_reader;

/**
 * Open a reader on a file, from an offset (the end of an RDB preamble).
 * \param r     the reader.
 * \param fd    the file, positioned anywhere (the reader seeks); the reader
 *              does not close it.
 * \param name  the file's name for messages (must outlive the reader).
 * \param start the offset of the first command.
 * \return 0, or -1 with r->error set (errno ENOMEM or from lseek()).
 */
int aof_reader_open(aof_reader *r, int fd, const char *name, uint64_t start);

/**
 * Read the next command.  Lines starting with '#' between commands are
 * annotations (Redis's aof-timestamp-enabled writes "#TS:..."), skipped.
 * \param r   the reader.
 * \param out on AOF_READ_CMD receives the command, the caller's to free
 *            with resp_value_clear(); r->cmd_offset is its offset.
 * \return an aof_read_status; after AOF_READ_ERROR r->error says what was
 *         wrong and where.
 */
aof_read_status aof_reader_next(aof_reader *r, resp_value *out);

/**
 * Free the reader's buffers (not its file).
 * \param r the reader; NULL does nothing.
 */
void aof_reader_close(aof_reader *r);

/* ---- loading (aof.c) ------------------------------------------------------- */

/** Default batch: commands between two cmd_applier_flush() calls. */
#define AOF_BATCH_COMMANDS 4096u
/** Default batch: bytes of commands between two flushes. */
#define AOF_BATCH_BYTES ((uint64_t)4 << 20)

/** Called for each command the applier refuses. */
typedef void aof_refusal_fn(void *arg, const char *file, uint64_t offset,
                            const char *message);

/** Options of aof_load(); zero means the default for every field. */
typedef struct aof_options {
    bool refuse_truncated;    /**< a truncated last command is an error
                                   (Redis's aof-load-truncated no) */
    bool stop_on_refusal;     /**< stop at the first refused command */
    unsigned batch_commands;  /**< flush every N commands (0: default) */
    uint64_t batch_bytes;     /**< ... or every N bytes (0: default) */
    const cmd_options *cmd;   /**< applier options (NULL: defaults) */
    rdb_options rdb;          /**< for RDB base files and preambles */
    aof_refusal_fn *on_refusal; /**< NULL: refusals are only counted */
    void *refusal_arg;        /**< passed to on_refusal */
} aof_options;

/** What one file contributed. */
typedef struct aof_file_stats {
    char name[256];      /**< its name (as the manifest gives it) */
    char type;           /**< 'b' base, 'i' incremental, 's' single file */
    bool rdb;            /**< started with an RDB ("REDIS" magic) */
    uint64_t bytes;      /**< bytes read (RDB part included) */
    uint64_t rdb_keys;   /**< keys loaded from its RDB part */
    uint64_t commands;   /**< commands applied */
    uint64_t refused;    /**< commands refused */
    double seconds;      /**< time spent on it */
} aof_file_stats;

/** The outcome of aof_load(); free with aof_result_free(). */
typedef struct aof_result {
    aof_file_stats *files;  /**< each file loaded, in order */
    size_t nfiles;          /**< how many */
    cmd_count *counts;      /**< per command (the table's names), in the
                                 applier's order */
    size_t ncounts;         /**< how many */
    uint64_t commands;      /**< commands applied, every file */
    uint64_t refused;       /**< commands refused, every file */
    uint64_t rdb_keys;      /**< keys from RDB parts */
    uint64_t bytes;         /**< bytes read */
    uint64_t batches;       /**< cmd_applier_flush() calls (each publishes
                                 what is pending, unless a MULTI waits for
                                 its EXEC) */
    bool truncated;         /**< the last file ended inside a command (or
                                 an open MULTI) and that tail was dropped */
    uint64_t truncated_offset; /**< then: where the dropped tail starts */
    char truncated_file[256];  /**< and in which file */
    char first_refusal[400];   /**< "FILE: offset N: ..." or "" */
    char error[700];        /**< the error, "" if none */
} aof_result;

/**
 * Load an append-only directory, its manifest, or a single AOF file.
 * \param ks   the keyspace, not inside a batch.  What the files hold is
 *             added to it (load into an empty one to copy Redis).
 * \param path a directory holding one "*.manifest" file, such a manifest,
 *             or a single file (legacy AOF, with or without RDB preamble).
 * \param opt  options (NULL: every default).
 * \param res  receives the outcome (always; free with aof_result_free()).
 * \return 0 when everything was loaded (res->truncated says if a truncated
 *         tail was dropped; res->refused counts refusals); -1 with
 *         res->error set ("FILE: offset N: ..."), and errno ENOMEM when out
 *         of memory.  After a failure the keyspace holds every command
 *         published before it (the batch in progress is published up to
 *         the failing command, except after ENOMEM, which drops it).
 */
int aof_load(keyspace *ks, const char *path, const aof_options *opt,
             aof_result *res);

/**
 * Free what a result holds.
 * \param res the result; NULL does nothing.
 */
void aof_result_free(aof_result *res);

#endif
