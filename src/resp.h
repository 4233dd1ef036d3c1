/* resp.h - RESP2, the Redis wire protocol: an incremental parser and a writer.
 * Chapter 6.
 *
 * Design.  A socket hands us bytes in whatever pieces the kernel chose: half
 * a header, three commands and a bit, one byte.  The parser therefore never
 * assumes it sees a whole value.  It is a byte-driven state machine that
 * keeps everything it has learnt (the state, the digits read so far, the
 * bulk string half copied, the stack of arrays being filled) in the
 * resp_parser, consumes exactly the bytes it was given and resumes where it
 * stopped on the next call.  Each input byte is looked at a bounded number
 * of times (once, or twice for the first byte of an inline command), so
 * the work is linear in the input however it is split.
 *
 * The parser never reads past the end of the value it is building: when a
 * value completes, resp_parse() says how many bytes of the buffer it used,
 * and the rest belong to the caller.  That is what lets the replica switch
 * from RESP to the raw RDB payload and back without losing a byte, and count
 * its replication offset in bytes (resp_parser::last_size).
 *
 * Three entry points read the same byte stream and share one absolute
 * offset, so error messages name the byte in the whole connection:
 *  - resp_parse()         one complete value (any type, nested arrays,
 *                         inline commands);
 *  - resp_read_line()     one line ending in LF (CR optional), for the
 *                         replication handshake ("+FULLRESYNC ...", bare
 *                         keep-alive newlines, "$<len>", "$EOF:<mark>");
 *  - resp_parser_advance() bytes the caller consumed itself (an RDB payload
 *                         read straight from its buffer).
 *
 * Limits (resp_limits) bound every length a peer announces, and memory
 * grows with the bytes that actually arrive, not with what a header
 * promised.  A protocol error is fatal: the parser keeps the first error,
 * frees the value it was building and refuses further input.
 *
 * Thread-safety: none.  One parser belongs to one connection and is used by
 * one thread at a time; the writer functions only touch their resp_buf.
 */
#ifndef RESP_H
#define RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- values --------------------------------------------------------------- */

/** The type of a parsed RESP value. */
typedef enum resp_type {
    RESP_SIMPLE,     /**< +OK\\r\\n: a line of text (no CR or LF inside) */
    RESP_ERROR,      /**< -ERR message\\r\\n: an error reply */
    RESP_INTEGER,    /**< :42\\r\\n: a signed 64-bit integer */
    RESP_BULK,       /**< $3\\r\\nfoo\\r\\n: binary-safe bytes */
    RESP_NULL,       /**< $-1\\r\\n: the null bulk string */
    RESP_ARRAY,      /**< *2\\r\\n...: a list of values, maybe nested */
    RESP_NULL_ARRAY, /**< *-1\\r\\n: the null array */
} resp_type;

/**
 * A parsed value.  A plain struct owned by whoever holds it; release its
 * memory with resp_value_clear().
 */
typedef struct resp_value {
    resp_type type;   /**< which fields below are meaningful */
    bool is_inline;   /**< RESP_ARRAY read from an inline command line */
    int64_t integer;  /**< RESP_INTEGER: the number */
    size_t len;       /**< string length in bytes, or array element count */
    char *str;        /**< SIMPLE/ERROR/BULK: len bytes plus a NUL (not
                           counted); NULL for other types */
    struct resp_value *elems; /**< RESP_ARRAY: len elements (NULL if 0) */
} resp_value;

/**
 * Free everything a value owns and reset it to an empty RESP_NULL.
 *
 * \param v the value; may be NULL.  Nested arrays are freed recursively.
 */
void resp_value_clear(resp_value *v);

/**
 * Compare two values structurally (type, bytes, integers, elements).
 *
 * \param a first value.
 * \param b second value.
 * \return true when equal.  is_inline is ignored: an inline command equals
 *         the same command sent as an array of bulk strings.
 */
bool resp_value_equal(const resp_value *a, const resp_value *b);

/**
 * Name of a type, for messages.
 *
 * \param t a type.
 * \return a static string such as "bulk string", or "?" if unknown.
 */
const char *resp_type_name(resp_type t);

/* --- the parser ----------------------------------------------------------- */

/** What a parser call produced. */
typedef enum resp_status {
    RESP_OK = 0,        /**< a complete value (or line) is ready */
    RESP_NEED_MORE = 1, /**< every byte given was consumed; feed more */
    RESP_ERR = -1,      /**< protocol error; see resp_parser_error() */
} resp_status;

/** Limits on what a peer may make the parser accept. */
typedef struct resp_limits {
    uint64_t max_bulk;  /**< longest bulk string (default 512 MiB) */
    uint64_t max_array; /**< most elements in one array (default 2^31-1) */
    unsigned max_depth; /**< deepest array nesting (default 64) */
    size_t max_line;    /**< longest line: simple string, error, header or
                             inline command, CR LF excluded (default 64 KiB) */
    uint64_t max_value; /**< most bytes in one top-level value (default
                             1 GiB), checked at each element start and each
                             bulk header */
    bool allow_inline;  /**< accept inline commands and blank lines at the
                             top level (default true) */
} resp_limits;

/** Default: largest bulk string, as Redis's proto-max-bulk-len. */
#define RESP_DEFAULT_MAX_BULK (UINT64_C(512) * 1024 * 1024)
/** Default: most array elements, as Redis's multibulk limit (INT_MAX). */
#define RESP_DEFAULT_MAX_ARRAY UINT64_C(2147483647)
/** Default: deepest nesting. */
#define RESP_DEFAULT_MAX_DEPTH 64u
/** Default: longest line, as Redis's PROTO_INLINE_MAX_SIZE. */
#define RESP_DEFAULT_MAX_LINE ((size_t)64 * 1024)
/** Default: largest top-level value, as Redis's client-query-buffer-limit. */
#define RESP_DEFAULT_MAX_VALUE (UINT64_C(1024) * 1024 * 1024)

/**
 * The default limits.
 *
 * \return a resp_limits with every RESP_DEFAULT_* value and inline allowed.
 */
resp_limits resp_limits_default(void);

/** Size of the error message buffer in a parser. */
#define RESP_ERR_MAX 160

/** One frame of the stack of arrays being filled (private to the parser). */
typedef struct resp_frame {
    resp_value arr; /**< the array so far: arr.len elements filled */
    size_t cap;     /**< allocated elements in arr.elems */
    uint64_t want;  /**< announced element count */
} resp_frame;

/**
 * An incremental parser for one byte stream.  Fields are private except
 * those documented as read-only.
 */
typedef struct resp_parser {
    resp_limits lim;      /**< the limits in force */
    uint64_t offset;      /**< read-only: bytes consumed since init */
    uint64_t last_size;   /**< read-only: bytes of the last completed value
                               (or line), blank lines before it included */
    uint64_t value_start; /**< offset where the current value began */
    int state;            /**< where in the grammar we are */
    unsigned char hdr;    /**< type byte of the line being read */
    uint64_t hdr_offset;  /**< offset of that type byte */
    bool neg;             /**< header number: saw '-' */
    bool digits;          /**< header number: saw at least one digit */
    uint64_t num;         /**< header number: magnitude so far */
    char *line;           /**< line bytes (text lines, inline commands) */
    size_t line_len;      /**< bytes in line (also counts header bytes) */
    size_t line_cap;      /**< allocated bytes of line */
    resp_value bulk;      /**< bulk string being filled */
    size_t bulk_cap;      /**< allocated bytes of bulk.str */
    uint64_t bulk_want;   /**< announced bulk length */
    resp_frame *stack;    /**< arrays being filled, outermost first */
    unsigned depth;       /**< frames in use */
    unsigned stack_cap;   /**< frames allocated */
    resp_value done;      /**< the element just completed */
    uint64_t err_offset;  /**< read-only: offset of the offending byte */
    char err[RESP_ERR_MAX]; /**< error message; empty when none */
} resp_parser;

/**
 * Initialise a parser at offset 0.
 *
 * \param p   the parser.
 * \param lim the limits, copied; NULL means resp_limits_default().  A zero
 *            max_depth or max_line is raised to 1.
 */
void resp_parser_init(resp_parser *p, const resp_limits *lim);

/**
 * Free the parser's buffers and any half-built value.  The parser may be
 * initialised again afterwards.
 *
 * \param p the parser; may be NULL.
 */
void resp_parser_free(resp_parser *p);

/**
 * Feed bytes; stop at the end of the first complete value.
 *
 * Consumes bytes from buf until a top-level value is complete, the buffer
 * ends, or an error is found.  Call it again with buf + *used for the rest.
 * Blank lines between values (bare LF or CR LF) are skipped when inline
 * commands are allowed; their bytes count in the next value's last_size.
 *
 * \param p    the parser.
 * \param buf  bytes read from the peer; may be NULL when len is 0.
 * \param len  number of bytes.
 * \param used set to the number of bytes consumed (always; 0 on a parser
 *             already in error).
 * \param out  on RESP_OK receives the value, which the caller then owns
 *             (resp_value_clear()); untouched otherwise.
 * \return RESP_OK with *out set and p->last_size = its size in bytes;
 *         RESP_NEED_MORE when all len bytes were consumed without finishing
 *         a value; RESP_ERR on a protocol error or limit, now and for every
 *         later call (also if a resp_read_line() is unfinished).
 */
resp_status resp_parse(resp_parser *p, const void *buf, size_t len,
                       size_t *used, resp_value *out);

/**
 * Feed bytes; stop at the end of the first line.
 *
 * A line ends with LF; a CR just before the LF is dropped.  For the parts of
 * the replication protocol that are lines, not values: "+FULLRESYNC id off",
 * the bare "\n" keep-alives a master sends while it prepares a snapshot, and
 * the "$<len>" or "$EOF:<mark>" header of the snapshot, whose payload the
 * caller then reads raw (see resp_parser_advance()).
 *
 * \param p        the parser; must not be in the middle of a value.
 * \param buf      bytes; may be NULL when len is 0.
 * \param len      number of bytes.
 * \param used     set to the number of bytes consumed.
 * \param line     on RESP_OK points to the line without its terminator,
 *                 NUL-terminated; valid until the next call on p.
 * \param line_len on RESP_OK the line's length.
 * \return RESP_OK, RESP_NEED_MORE, or RESP_ERR (a line longer than
 *         max_line, a parser in error, or a value half parsed).
 */
resp_status resp_read_line(resp_parser *p, const void *buf, size_t len,
                           size_t *used, const char **line, size_t *line_len);

/**
 * Account for bytes of the stream that the caller consumed itself, so that
 * later offsets (and error messages) stay absolute.
 *
 * \param p the parser; must be between values and lines.
 * \param n number of bytes.
 * \return 0, or -1 (and the parser enters the error state) if a value or
 *         line is half read, or the parser is already in error.
 */
int resp_parser_advance(resp_parser *p, uint64_t n);

/**
 * The parser's error.
 *
 * \param p the parser.
 * \return the message, "byte N: what was expected, what came", or NULL if
 *         no error occurred.  Owned by the parser.
 */
const char *resp_parser_error(const resp_parser *p);

/**
 * Parse a whole decimal integer as RESP headers write it: an optional '-'
 * and 1 to 19 digits, nothing else.
 *
 * \param s   the text (need not be NUL-terminated).
 * \param n   its length.
 * \param out receives the value on success.
 * \return 0, or -1 if s is not such a number or overflows int64_t.
 */
int resp_parse_int(const char *s, size_t n, int64_t *out);

/* --- the writer ----------------------------------------------------------- */

/** A growable output buffer. */
typedef struct resp_buf {
    char *data; /**< len bytes of output (not NUL-terminated) */
    size_t len; /**< bytes written */
    size_t cap; /**< bytes allocated */
} resp_buf;

/**
 * Initialise an empty buffer (allocates nothing).
 *
 * \param b the buffer.
 */
void resp_buf_init(resp_buf *b);

/**
 * Free a buffer's memory and make it empty.
 *
 * \param b the buffer; may be NULL.
 */
void resp_buf_free(resp_buf *b);

/**
 * Append raw bytes.
 *
 * \param b   the buffer.
 * \param p   the bytes; may be NULL when n is 0.
 * \param n   how many.
 * \return 0, or -1 if out of memory (b unchanged).
 */
int resp_buf_append(resp_buf *b, const void *p, size_t n);

/**
 * Append a simple string, "+<s>\r\n".
 *
 * \param b the buffer.
 * \param s the text; may be NULL when n is 0.
 * \param n its length.
 * \return 0, or -1 if s contains CR or LF (which would end the line early)
 *         or memory ran out; b is unchanged on failure.
 */
int resp_write_simple(resp_buf *b, const char *s, size_t n);

/**
 * Append an error reply, "-<s>\r\n".
 *
 * \param b the buffer.
 * \param s the message, e.g. "ERR unknown command"; NULL when n is 0.
 * \param n its length.
 * \return 0, or -1 if s contains CR or LF or memory ran out.
 */
int resp_write_error(resp_buf *b, const char *s, size_t n);

/**
 * Append an integer reply, ":<v>\r\n".
 *
 * \param b the buffer.
 * \param v the number.
 * \return 0, or -1 if out of memory.
 */
int resp_write_integer(resp_buf *b, int64_t v);

/**
 * Append a bulk string, "$<n>\r\n<bytes>\r\n".
 *
 * \param b the buffer.
 * \param p the bytes (any, binary-safe); may be NULL when n is 0.
 * \param n their count.
 * \return 0, or -1 if out of memory.
 */
int resp_write_bulk(resp_buf *b, const void *p, size_t n);

/**
 * Append the null bulk string, "$-1\r\n".
 *
 * \param b the buffer.
 * \return 0, or -1 if out of memory.
 */
int resp_write_null(resp_buf *b);

/**
 * Append the null array, "*-1\r\n".
 *
 * \param b the buffer.
 * \return 0, or -1 if out of memory.
 */
int resp_write_null_array(resp_buf *b);

/**
 * Append an array header, "*<n>\r\n"; the caller then writes n values.
 *
 * \param b the buffer.
 * \param n the element count.
 * \return 0, or -1 if out of memory.
 */
int resp_write_array(resp_buf *b, size_t n);

/**
 * Append a command as clients and masters send it: an array of bulk
 * strings.
 *
 * \param b    the buffer.
 * \param argc number of arguments.
 * \param argv the arguments.
 * \param lens their lengths, or NULL to use strlen() on each.
 * \return 0, or -1 if out of memory (b unchanged).
 */
int resp_write_command(resp_buf *b, size_t argc, const char *const *argv,
                       const size_t *lens);

/**
 * Append any parsed value.  An inline command is written as an array of
 * bulk strings, the form a parser reads back as an equal value.
 *
 * \param b the buffer.
 * \param v the value.
 * \return 0, or -1 if a simple string or error holds CR or LF, the type is
 *         unknown, or memory ran out (b unchanged).
 */
int resp_write_value(resp_buf *b, const resp_value *v);

#endif
