/* resp_private.h - what resp_parse.c and resp_parser.c share; not an API.
 * Chapter 6.
 *
 * The parser is split in two files: the grammar of values (resp_parse.c)
 * and everything around it (resp_parser.c: life cycle, errors, line mode).
 * They share the state names below and a few helpers.  Nothing outside
 * those two files includes this header.
 */
#ifndef RESP_PRIVATE_H
#define RESP_PRIVATE_H

#include "resp.h"

/* [ch06-states] */
enum {
    S_START,   /* expecting a type byte: + - : $ * (or an inline command) */
    S_TEXT,    /* inside a simple string or error line, before CR */
    S_NUM,     /* inside the number of a : $ * header, before CR */
    S_LF,      /* after the CR of a line, expecting LF */
    S_BULK,    /* copying the payload of a bulk string */
    S_BULK_CR, /* after the payload, expecting CR */
    S_BULK_LF, /* after the payload's CR, expecting LF */
    S_INLINE,  /* inside an inline command, before LF */
    S_RAWLINE, /* inside a resp_read_line() line, before LF */
    S_ERROR,   /* a protocol error happened; nothing more is accepted */
};
/* [ch06-states] */


/**
 * Render a byte for an error message: 'x', '\\r', '\\xff'.
 *
 * \param c   the byte.
 * \param out scratch space for the rendering.
 * \return out or a static string.
 */
const char *resp_show(unsigned char c, char out[8]);

/**
 * Enter the error state with the message "byte <at>: <fmt...>", freeing
 * the value being built.
 *
 * \param p   the parser.
 * \param at  absolute offset of the offending byte.
 * \param fmt printf format of the message, then its arguments.
 * \return RESP_ERR.
 */
resp_status resp_fail(resp_parser *p, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Enter the error state for a failed allocation.
 *
 * \param p  the parser.
 * \param at offset of the byte being handled.
 * \return RESP_ERR.
 */
resp_status resp_oom(resp_parser *p, uint64_t at);

/**
 * Length of the run of bytes before the first stop1 or stop2.
 *
 * \param s     the bytes.
 * \param n     their count.
 * \param stop1 a byte value that ends the run.
 * \param stop2 another (may equal stop1).
 * \return the run length, n if neither byte occurs.
 */
size_t resp_run_until(const unsigned char *s, size_t n, int stop1, int stop2);

/**
 * Append bytes to the line being read.  A line may hold max_line bytes,
 * plus slack for a CR that resp_line_end() strips.
 *
 * \param p     the parser.
 * \param s     the bytes; s[0] is at absolute offset at.
 * \param n     their count.
 * \param slack extra bytes allowed (1 where a CR may end the line).
 * \param at    absolute offset of s[0].
 * \param what  what the line is, for the error ("inline command").
 * \return RESP_NEED_MORE, or RESP_ERR (too long, naming the first byte
 *         beyond max_line; or out of memory).
 */
resp_status resp_line_append(resp_parser *p, const unsigned char *s, size_t n,
                             size_t slack, uint64_t at, const char *what);

/**
 * The LF of an LF-terminated line is at offset at: drop one CR before it,
 * check the length again and NUL-terminate the line.
 *
 * \param p    the parser.
 * \param at   absolute offset of the LF.
 * \param what what the line is, for the error.
 * \return RESP_OK, or RESP_ERR.
 */
resp_status resp_line_end(resp_parser *p, uint64_t at, const char *what);

#endif
