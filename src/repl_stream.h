/* repl_stream.h - the command stream after the snapshot: framing, byte
 * offsets, GETACK, and the applier.
 * Chapter 10.
 *
 * After the snapshot a master sends, for as long as the link lives, every
 * write it executes (rewritten into a deterministic form), a `PING` every
 * repl-ping-replica-period, `SELECT` when the database changes, and
 * `REPLCONF GETACK *` when a client waits (WAIT) for its replicas.  The
 * replica's position in that stream is a byte offset: it starts at the
 * offset +FULLRESYNC announced (or where the replica was, after
 * +CONTINUE) and grows by the size of every command, PINGs and SELECTs
 * and GETACKs included.  It is what the replica reports in `REPLCONF ACK
 * <offset>`, what `PSYNC <replid> <offset+1>` asks to resume from, and
 * what WAIT counts; counting commands instead of bytes (as this course's
 * origin did) makes all three wrong.
 *
 * The offset moves after each whole command, and not inside MULTI ...
 * EXEC: a link that drops in the middle of a transaction resumes before
 * its MULTI, and the half-received transaction is dropped, so a
 * transaction is applied whole or not at all (redis/redis src/networking.c
 * commandProcessed()).  A GETACK is answered with the offset *before* its
 * own bytes.
 *
 * This module is a pure state machine: repl_stream_feed() takes bytes,
 * frames commands with chapter 6's parser, applies them with chapter 9's
 * applier and queues replies (the ACKs) in an output buffer; it does no
 * I/O, so its tests can split the stream at every byte.
 *
 * Thread-safety: the link's thread.
 */
#ifndef REPL_STREAM_H
#define REPL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "resp.h"

/** What to do when the applier refuses a command from the master. */
typedef enum repl_refused_policy {
    REPL_REFUSED_RESYNC = 0, /**< drop the link and ask for a full resync
                                  (the default: the copies have diverged) */
    REPL_REFUSED_STOP,       /**< drop the link and stop following */
    REPL_REFUSED_SKIP,       /**< log, count and go on */
} repl_refused_policy;

/**
 * Called for every command framed, before it is applied (repl-tail prints
 * the stream with it).
 * \param arg    the options' arg.
 * \param cmd    the command (an array of bulk strings), valid during the
 *               call only.
 * \param offset the stream offset of its first byte (keep-alive newlines
 *               just before it count as its bytes, as Redis counts them,
 *               so the commands' ranges tile the stream).
 * \param size   its size in bytes.
 * \param db     the database selected when it arrived.
 */
typedef void repl_command_fn(void *arg, const resp_value *cmd,
                             uint64_t offset, uint64_t size, unsigned db);

/**
 * Called for every command the applier refused, whatever the policy (the
 * link logs it: with REPL_REFUSED_SKIP this is the only trace besides
 * repl_stream_stats::refused).
 * \param arg    the options' arg.
 * \param offset the command's offset.
 * \param name   the command's name as sent.
 * \param error  the applier's message (cmd_applier_error()).
 */
typedef void repl_refused_fn(void *arg, uint64_t offset, const char *name,
                             const char *error);

/** Options of a stream. */
typedef struct repl_stream_options {
    repl_refused_policy on_refused; /**< default REPL_REFUSED_RESYNC */
    bool apply;                     /**< false: frame and count only (the
                                         tail tool); default true */
    repl_command_fn *on_command;    /**< may be NULL */
    repl_refused_fn *on_refused_fn; /**< may be NULL */
    void *arg;                      /**< passed to both */
    unsigned db;                    /**< apply false only: the database
                                         selected when the stream starts
                                         (the snapshot's repl-stream-db),
                                         which on_command reports until a
                                         SELECT; with an applier the
                                         applier's own is used. Default 0 */
} repl_stream_options;

/** Defaults: resync on refusal, apply, no callbacks. */
repl_stream_options repl_stream_options_default(void);

/** The outcome of repl_stream_feed(). */
typedef enum repl_stream_status {
    REPL_STREAM_OK = 0,       /**< all bytes used, or waiting for more */
    REPL_STREAM_PROTOCOL = -1,/**< the bytes are not RESP commands */
    REPL_STREAM_REFUSED = -2, /**< the applier refused a command and the
                                   policy says to drop the link (the
                                   offset stays before it; what came
                                   before it stays pending, for
                                   repl_stream_flush(); a refused EXEC
                                   may have applied the transaction's
                                   other commands, as Redis has no
                                   rollback) */
    REPL_STREAM_NOMEM = -3,   /**< out of memory (the batch was aborted:
                                   the offset is where it was before it) */
} repl_stream_status;
/* After an error, repl_stream_feed() returns the same error and consumes
 * nothing until repl_stream_reset(): the link drops, reconnects and
 * resumes from repl_stream_offset(). */

/** A stream's state. */
typedef struct repl_stream repl_stream;

/**
 * Create a stream.
 * \param a      the applier (not owned; NULL only when opt->apply is
 *               false).
 * \param offset the offset of the first byte to come.
 * \param opt    options, or NULL for repl_stream_options_default().
 * \return the stream, or NULL with errno ENOMEM (or EINVAL: no applier
 *         while opt->apply is true).
 */
repl_stream *repl_stream_create(cmd_applier *a, uint64_t offset,
                                const repl_stream_options *opt);

/** Destroy a stream.  \param s the stream; NULL does nothing. */
void repl_stream_destroy(repl_stream *s);

/**
 * Frame and apply every whole command in the bytes given.  A GETACK queues
 * `REPLCONF ACK <offset before it>` in the output.  An incomplete command
 * at the end is kept, and completed by the next call.
 * \param s    the stream.
 * \param buf  bytes from the master.
 * \param len  how many.
 * \param used receives how many were consumed (all of them, unless an
 *             error stopped the feed).
 * \return REPL_STREAM_OK, or an error with repl_stream_error() set
 *         ("offset N: ...").
 */
repl_stream_status repl_stream_feed(repl_stream *s, const void *buf,
                                    size_t len, size_t *used);

/**
 * Publish what was applied (cmd_applier_flush()); the link calls it after
 * each read, so a reader sees whole reads.  Inside an open MULTI it waits
 * for the EXEC.
 * \param s the stream.
 * \return 0, or -1 with errno ENOMEM (the batch was dropped and the
 *         offset moved back to before it: the link must resync).
 */
int repl_stream_flush(repl_stream *s);

/**
 * The offset of the last publication: where readers' data is (it trails
 * repl_stream_offset() while a MULTI is open or a batch is pending).
 * \param s the stream.
 * \return the offset in bytes.
 */
uint64_t repl_stream_published(const repl_stream *s);

/**
 * The replica's offset: the end of the last whole command applied outside
 * a transaction (what ACK reports and PSYNC resumes after).
 * \param s the stream.
 * \return the offset.
 */
uint64_t repl_stream_offset(const repl_stream *s);

/**
 * Bytes received, whole commands or not (Redis's read_reploff).
 * \param s the stream.
 * \return the offset of the next byte expected.
 */
uint64_t repl_stream_received(const repl_stream *s);

/**
 * Drop what is half received: a partial command, an open MULTI and its
 * queue (the link was lost; the master will resend from
 * repl_stream_offset()).  The applier's selected database stays.
 * \param s the stream.
 */
void repl_stream_reset(repl_stream *s);

/**
 * Bytes to send to the master (the answers to GETACK); the link writes
 * them and empties the buffer.
 * \param s the stream.
 * \return the buffer, owned by s.
 */
resp_buf *repl_stream_output(repl_stream *s);

/**
 * Append `REPLCONF ACK <offset>` to a buffer.
 * \param b      the buffer.
 * \param offset the offset to report.
 * \return 0, or -1 with errno ENOMEM.
 */
int repl_write_ack(resp_buf *b, uint64_t offset);

/** Counts kept by a stream. */
typedef struct repl_stream_stats {
    uint64_t commands;  /**< commands framed */
    uint64_t applied;   /**< applied by the applier */
    uint64_t refused;   /**< refused (every policy) */
    uint64_t pings;     /**< PINGs from the master */
    uint64_t getacks;   /**< GETACKs answered */
    uint64_t bytes;     /**< stream bytes consumed */
} repl_stream_stats;

/**
 * \param s   the stream.
 * \param out receives the counts.
 */
void repl_stream_stats_get(const repl_stream *s, repl_stream_stats *out);

/**
 * The last error.
 * \param s the stream.
 * \return the message, "" when none.
 */
const char *repl_stream_error(const repl_stream *s);

#endif
