/* rdb.h - reading Redis RDB snapshots: a streaming parser and a loader.
 * Chapter 7.
 *
 * rdb_parse() walks an RDB file opcode by opcode and reports what it finds
 * to a handler: header, AUX fields, SELECTDB / RESIZEDB, one call per key
 * with its value fully decoded into a `value`, module AUX data, function
 * libraries, cluster slot info, and the checksum at the end.  Tools use the
 * handler directly (rdb-dump renders it as JSON); rdb_load_store() is the
 * handler a replica uses: it puts the keys of one database into a store.
 *
 * Versions: RDB 1 to 12 under the "REDIS" magic, and RDB 80 under the
 * "VALKEY" magic (Valkey 9.0 and 9.1), where type 22 is Valkey's HASH_2 and
 * opcode 0xF3 its SLOT_IMPORT (rdb_valkey.c); anything newer is refused by
 * name rather than misread.  Every failure is reported with the
 * byte offset where it was found and, inside a key, the key's name.
 */
#ifndef RDB_H
#define RDB_H

#include <stdbool.h>
#include <stdint.h>

#include "rdb_reader.h"
#include "store.h"
#include "value.h"

/** The newest RDB version under the REDIS magic that this reader knows. */
#define RDB_VERSION_MAX 12

/** The newest RDB version under the VALKEY magic that this reader knows. */
#define RDB_VALKEY_VERSION_MAX 80

/** A range of cluster hash slots, both ends included (0..16383). */
typedef struct rdb_slot_range {
    uint16_t start; /**< first slot */
    uint16_t end;   /**< last slot (>= start) */
} rdb_slot_range;

/** Facts about one key besides its value (what rdb-dump shows). */
typedef struct rdb_key_info {
    uint64_t db;              /**< database number (SELECTDB) */
    uint64_t offset;          /**< file offset of the key's type byte */
    int rdb_type;             /**< the RDB type byte */
    const char *encoding;     /**< its name, e.g. "hash_ziplist" */
    rdb_str_enc string_enc;   /**< strings: how the value was stored */
    int intset_width;         /**< intsets: 2, 4 or 8; else 0 */
    long nodes;               /**< quicklists: node count; else -1 */
    const char *node_kinds;   /**< QUICKLIST_2: 'P' packed / 'L' plain per
                                   node (nodes chars); else NULL */
    long listpacks;           /**< streams: listpack nodes; else -1 */
    int64_t lru_idle_s;       /**< IDLE opcode value, or -1 */
    int lfu_freq;             /**< FREQ opcode value, or -1 */
    int64_t min_expire_ms;    /**< HASH_METADATA / LISTPACK_EX header, or -1 */
} rdb_key_info;

/* [ch07-handler] */
/** Callbacks of rdb_parse(); any may be NULL.  Return 0 to go on, non-zero
 *  to stop the parse (it then fails with "stopped by the handler"). */
typedef struct rdb_handler {
    /** Magic (e.g. "REDIS0011") and version, after the header is read. */
    int (*header)(void *arg, const char *magic, int version);
    /** An AUX field. */
    int (*aux)(void *arg, const rdb_buf *key, const rdb_buf *val);
    /** SELECTDB. */
    int (*selectdb)(void *arg, uint64_t db);
    /** RESIZEDB hint for the current db. */
    int (*resizedb)(void *arg, uint64_t db, uint64_t size, uint64_t expires);
    /** A key; v becomes the callee's (free it or store it). */
    int (*key)(void *arg, const rdb_buf *key, value *v,
               const rdb_key_info *info);
    /** MODULE_AUX data (a VALUE_MODULE, the callee's); when: 1 before the
     *  keyspace, 2 after. */
    int (*module_aux)(void *arg, value *mod, uint64_t when);
    /** A function library (FUNCTION2), its code. */
    int (*function)(void *arg, int opcode, const rdb_buf *code);
    /** Cluster SLOT_INFO. */
    int (*slot_info)(void *arg, uint64_t slot, uint64_t size,
                     uint64_t expires);
    /** Valkey SLOT_IMPORT: an atomic slot migration into this node that
     *  was in progress (job name, n slot ranges; both valid during the call
     *  only). */
    int (*slot_import)(void *arg, const rdb_buf *name,
                       const rdb_slot_range *ranges, size_t n);
    /** A non-open-source opcode that was skipped (Redis Enterprise 107). */
    int (*opaque)(void *arg, int opcode, uint64_t val);
    /** Start of every record: its offset and type/opcode byte (for
     *  tracing tools; called before the record is read). */
    int (*record)(void *arg, uint64_t offset, int opcode);
    /** Something skipped or tolerated (a message with its offset). */
    void (*warning)(void *arg, const char *msg);
    void *arg; /**< passed to every callback */
} rdb_handler;
/* [ch07-handler] */

/** Options of rdb_parse(). */
typedef struct rdb_options {
    bool no_crc; /**< do not fail on a checksum mismatch (still reported) */
    bool quiet;  /**< do not print warnings to stderr (still counted) */
} rdb_options;

/** What the checksum at the end said. */
typedef enum rdb_crc_status {
    RDB_CRC_NONE,     /**< RDB < 5 has no checksum */
    RDB_CRC_ZERO,     /**< stored as 0: checking disabled by the writer */
    RDB_CRC_OK,       /**< matches */
    RDB_CRC_MISMATCH, /**< does not match (an error unless no_crc) */
} rdb_crc_status;

/** The outcome of a parse. */
typedef struct rdb_result {
    char magic[10];           /**< the 9 magic bytes, NUL-terminated */
    int version;              /**< RDB version */
    bool valkey;              /**< VALKEY magic */
    rdb_crc_status crc;       /**< checksum verdict */
    uint64_t crc_stored;      /**< stored checksum */
    uint64_t crc_calc;        /**< computed checksum */
    uint64_t end_offset;      /**< bytes up to the end of the checksum */
    uint64_t keys;            /**< keys read */
    uint64_t keys_stored;     /**< rdb_load_store(): keys put in the store */
    uint64_t warnings;        /**< warnings issued */
    char error[600];          /**< the error, "" if none */
} rdb_result;

/**
 * Parse a whole RDB stream, calling h for what is found.  Stops right after
 * the EOF opcode and its checksum; bytes after that stay unread (see
 * rdb_reader_leftover() and rdb_count_rest()).
 *
 * \param r   the reader, positioned at the magic.
 * \param h   callbacks (may be NULL: then everything is decoded and freed).
 * \param opt options (NULL for defaults: CRC checked).
 * \param res receives the outcome (error message on failure).
 * \return 0, or -1 with res->error set ("offset N: ..." and the key).
 *
 * Thread-safety: one parse per reader; callbacks run on the caller's thread.
 */
int rdb_parse(rdb_reader *r, const rdb_handler *h, const rdb_options *opt,
              rdb_result *res);

/**
 * Load one database of an RDB stream into a store (store_set per key).
 * Module values cannot be represented and are skipped with a warning that
 * names the module; empty collections are skipped as Redis does; expired
 * keys are kept (a replica never expires keys itself).
 *
 * \param r   the reader.
 * \param s   the store (any variant).
 * \param db  which database to load (others are parsed and dropped).
 * \param opt options (NULL for defaults).
 * \param res receives the outcome; res->keys counts keys stored.
 * \return 0, or -1 with res->error set (keys loaded so far stay stored).
 */
int rdb_load_store(rdb_reader *r, store *s, uint64_t db,
                   const rdb_options *opt, rdb_result *res);

/**
 * Load one database of an RDB file into a store (see rdb_load_store()).
 *
 * \param path the file.
 * \param s    the store.
 * \param db   the database.
 * \param opt  options (NULL for defaults).
 * \param res  the outcome.
 * \return 0, or -1 with res->error set (also when the file cannot be opened).
 */
int rdb_load_file(const char *path, store *s, uint64_t db,
                  const rdb_options *opt, rdb_result *res);

/**
 * Name of an RDB value type, as the corpus and rdb-dump call it.
 * \param type the type byte.
 * \return e.g. "list_quicklist_2", or NULL for an unknown type.
 */
const char *rdb_type_name(int type);

#endif
