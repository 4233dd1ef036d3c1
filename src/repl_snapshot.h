/* repl_snapshot.h - receiving a master's snapshot: `$<len>` or `$EOF:<mark>`,
 * read as it streams into chapter 7's RDB reader.
 * Chapter 10.
 *
 * After +FULLRESYNC a master sends its whole dataset as an RDB file, in one
 * of two framings.  From a snapshot on disk it knows the size: `$<len>\r\n`
 * and exactly len bytes, with no CRLF after them (unlike a RESP bulk
 * string).  Streaming a snapshot straight from its child process
 * (repl-diskless-sync yes, the 7.0 default, used when the replica sent
 * `capa eof`) it cannot know the size, so it sends `$EOF:<40 random
 * characters>\r\n`, the RDB, and the same 40 characters again.
 * (redis/redis src/replication.c readSyncBulkPayload(); src/rdb.c
 * rdbSaveRioWithEOFMark().)
 *
 * The mark can arrive split across two reads at any of its 40 positions,
 * so searching each read for it is wrong; repl_eof_scan() looks at every
 * unconsumed byte, the tail kept from the last read included, and never
 * hands the RDB reader a byte that could still be the start of the mark.
 *
 * The RDB reader pulls its bytes through repl_snapshot_read(), an
 * rdb_read_fn over the link's repl_input: it stops at the announced length
 * or just before the mark, so the reader can never read past the snapshot,
 * and whatever the master sent after it stays in the input for the
 * command stream.  Nothing is spooled: one read's worth of bytes is in
 * memory at a time, plus the value being decoded.
 *
 * Thread-safety: the link's thread.
 */
#ifndef REPL_SNAPSHOT_H
#define REPL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keyspace.h"
#include "rdb.h"
#include "repl_conn.h"

/** Length of the diskless end mark (RDB_EOF_MARK_SIZE in Redis). */
#define REPL_EOF_MARK_LEN 40

/** How a snapshot is framed. */
typedef enum repl_payload_kind {
    REPL_PAYLOAD_LEN, /**< `$<len>`: exactly len bytes */
    REPL_PAYLOAD_EOF, /**< `$EOF:<mark>`: bytes until the mark */
} repl_payload_kind;

/** A parsed payload header. */
typedef struct repl_payload {
    repl_payload_kind kind;                  /**< the framing */
    uint64_t len;                            /**< REPL_PAYLOAD_LEN: bytes */
    unsigned char mark[REPL_EOF_MARK_LEN];   /**< REPL_PAYLOAD_EOF: mark */
} repl_payload;

/**
 * Parse the line that announces a snapshot (without its CR LF).
 * \param line  the line, e.g. "$1234" or "$EOF:<40 characters>".
 * \param n     its length.
 * \param out   receives the framing.
 * \param err   receives the reason on failure, quoting the line (at most
 *              60 bytes of it, non-printable bytes escaped).
 * \param errsz size of err.
 * \return 0, or -1 (not '$', a length that is not a non-negative decimal,
 *         or a mark that is not exactly 40 bytes).
 */
int repl_payload_parse(const char *line, size_t n, repl_payload *out,
                       char *err, size_t errsz);

/**
 * Find the end mark in the unconsumed bytes of a diskless snapshot.
 * \param mark    the 40-byte mark.
 * \param p       the bytes not yet handed to the RDB reader (they may
 *                begin with the tail the previous call held back).
 * \param n       how many.
 * \param payload receives how many leading bytes are certainly snapshot
 *                bytes: all before the mark when it was found; otherwise
 *                all but the last REPL_EOF_MARK_LEN - 1 (which might be the
 *                start of a mark completed by the next read).
 * \return true when the mark was found, at p + *payload.
 */
bool repl_eof_scan(const unsigned char mark[REPL_EOF_MARK_LEN],
                   const unsigned char *p, size_t n, size_t *payload);

/** The state of rdb_read_fn repl_snapshot_read(). */
typedef struct repl_snapshot {
    repl_input *in;       /**< the link's input */
    repl_payload payload; /**< the framing */
    uint64_t delivered;   /**< snapshot bytes handed to the reader */
    bool done;            /**< the length is exhausted or the mark seen */
    bool failed;          /**< the input failed (reason in err) */
    char err[300];        /**< why, e.g. "truncated at byte N of M:
                               connection closed by the master" (EOF
                               framing: "truncated at byte N, before the
                               EOF mark: ...") */
} repl_snapshot;

/**
 * Prepare a source for one snapshot.
 * \param s  the state.
 * \param in the link's input, positioned just after the header line.
 * \param p  the framing.
 */
void repl_snapshot_init(repl_snapshot *s, repl_input *in,
                        const repl_payload *p);

/**
 * The rdb_read_fn: copy snapshot bytes from the input (filling it from the
 * connection when it is empty), never past the snapshot's end.
 * \param ctx a repl_snapshot.
 * \param buf destination.
 * \param cap its size.
 * \return bytes copied; 0 at the snapshot's end; -1 when the connection
 *         failed or closed first (errno EIO or ETIMEDOUT; s->err says
 *         where).
 */
ssize_t repl_snapshot_read(void *ctx, void *buf, size_t cap);

/** The outcome of repl_snapshot_load(). */
typedef struct repl_snapshot_result {
    rdb_result rdb;        /**< the parse (keys, version, CRC verdict) */
    uint64_t bytes;        /**< snapshot bytes received */
    int stream_db;         /**< AUX repl-stream-db, or -1 when absent */
    char replid[41];       /**< AUX repl-id ("" when absent) */
    int64_t repl_offset;   /**< AUX repl-offset, or -1 */
    char error[700];       /**< why it failed, "" on success */
} repl_snapshot_result;

/**
 * Receive a snapshot and load it into a keyspace: parse it with chapter
 * 7's reader as it arrives (CRC checked), put every key into its database
 * (keyspace_load_rdb_aux(), in one batch committed at the RDB's end: the
 * fresh keyspace has no readers to show progress to), capture the AUX
 * fields a replica needs, then check the framing's end: the RDB must end
 * exactly at the announced length or just before the mark (for EOF, the
 * mark itself is consumed).  The input is left at the first byte after
 * the snapshot.
 * \param ks  an empty keyspace (from dataset_fresh()), no batch open; on
 *            failure nothing of the snapshot was committed to it.
 * \param in  the link's input, just after the header line.
 * \param p   the framing.
 * \param res receives the outcome; res->error reads e.g. "snapshot: offset
 *            1234: checksum mismatch ...", "snapshot: truncated at byte
 *            N of M: connection closed by the master", "snapshot: 12
 *            bytes after the RDB's end before the EOF mark (the RDB ended
 *            at byte N)", or "snapshot: AUX repl-id \"abc\" is 3 bytes,
 *            expected 40".  When the framing ended first, the RDB
 *            reader's error says where, and "(the announced length ended
 *            the snapshot after N bytes)" follows it.
 * \return 0, or -1 (the caller destroys the keyspace; a reader of it
 *         would see none of the snapshot).
 */
int repl_snapshot_load(keyspace *ks, repl_input *in, const repl_payload *p,
                       repl_snapshot_result *res);

#endif
