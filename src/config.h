/* config.h - settings that can change while readers use them.
 * Chapter 5.
 *
 * Later chapters read limits on every request: the longest bulk string a
 * RESP parser accepts, the most elements in one array, the longest inline
 * command, the most changes a replica publishes at once.  An operator may
 * reload them while the server runs.  Reading them must not cost a lock
 * (that would put a shared write on every request again), and a reader must
 * never see half of an old configuration and half of a new one.
 *
 * The answer is the one this course already uses for the data: a config is
 * immutable once published; the live one is an atomic pointer; a reload
 * builds a new config, validates it, swaps the pointer with a release
 * store, and retires the old one through an epoch domain.  A reader enters
 * a section, loads the pointer with acquire, and may use every field of
 * that config until it leaves, consistently.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>

/** Limits and knobs.  Immutable once handed to config_live. */
typedef struct config {
    size_t max_bulk_len;      /**< longest RESP bulk string, bytes */
    size_t max_multibulk_len; /**< most elements in one RESP array */
    size_t max_inline_len;    /**< longest inline command line, bytes */
    size_t max_batch;         /**< most changes published in one batch */
    unsigned read_timeout_ms; /**< idle client timeout, 0 = none */
    uint64_t generation;      /**< set by config_live: 1, 2, 3, ... */
} config;

/**
 * Fill in the defaults (Redis's own limits where it has them).
 * \param c the config to fill.
 */
void config_defaults(config *c);

/**
 * Check a config's values.
 * \param c      the config.
 * \param err    receives "field: reason" for the first bad field.
 * \param errlen size of err.
 * \return 0 if valid, -1 (with err filled) if not.
 */
int config_validate(const config *c, char *err, size_t errlen);

/**
 * Set one field by name from text, as a reload or CONFIG SET would.
 * \param c      the config to change.
 * \param name   e.g. "max-bulk-len" (the field name, '-' for '_').
 * \param text   decimal value.
 * \param err    receives the reason on failure ("unknown setting 'x'",
 *               "max-bulk-len: not a number: 'abc'").
 * \param errlen size of err.
 * \return 0, or -1 with err filled; c is unchanged on failure.
 */
int config_set(config *c, const char *name, const char *text, char *err,
               size_t errlen);

/** The published configuration and its epoch domain. */
typedef struct config_live config_live;
/** One reader thread's handle on a config_live. */
typedef struct config_reader config_reader;

/**
 * Publish a first configuration.
 * \param initial copied; must be valid.
 * \return the holder, or NULL with errno EINVAL (initial invalid) or
 *         ENOMEM.  Free with config_live_destroy().
 */
config_live *config_live_create(const config *initial);

/**
 * Free the holder and every config still retired.  No reader may be open.
 * \param cl the holder, or NULL.
 */
void config_live_destroy(config_live *cl);

/**
 * Replace the live configuration.  Readers already in a section keep the
 * one they loaded; later sections see the new one.
 * \param cl     the holder.
 * \param next   copied (its generation is ignored and set to the next one).
 * \param err    receives the validation error.
 * \param errlen size of err.
 * \return 0, or -1 with errno EINVAL (err says why; nothing changed) or
 *         ENOMEM.  Thread-safe (reloads are serialised).
 */
int config_live_publish(config_live *cl, const config *next, char *err,
                        size_t errlen);

/**
 * Open a reader for the calling thread.
 * \param cl the holder.
 * \return the reader, or NULL with errno ENOMEM.
 */
config_reader *config_reader_open(config_live *cl);

/** Close a reader (outside a section).  \param r the reader, or NULL. */
void config_reader_close(config_reader *r);

/**
 * Enter a read section and get the live configuration.
 * \param r the thread's reader.
 * \return the config, valid and unchanging until config_read_end().
 */
const config *config_read_begin(config_reader *r);

/** Leave the read section.  \param r the thread's reader. */
void config_read_end(config_reader *r);

#endif
