/* server_scan.h - the arguments of SCAN, HSCAN, SSCAN and ZSCAN, parsed once.
 * Chapter 11.
 *
 * The four cursor commands share one grammar (redis/redis src/db.c,
 * parseScanCursorOrReply() and scanGenericCommand()): a cursor that is an
 * unsigned decimal number, then any number of `MATCH pattern`, `COUNT n`
 * and (SCAN only) `TYPE name` pairs, in any order, the last of each
 * winning.  Redis reads the cursor with strtoul(), so "+5" is 5, "-1" is
 * 2^64 - 1 and an empty cursor is 0; a leading space, a trailing byte that
 * is not a digit, or a number past 2^64 - 1 is "ERR invalid cursor".  A
 * COUNT that is not an integer gets the usual integer error, one below 1
 * "ERR syntax error", and so does an unknown or incomplete option.  A
 * MATCH of exactly "*" is no filter at all.
 *
 * The functions are static inline so that each family file can use them
 * without another object file; they only parse, and write an error reply
 * through server_error() when the arguments are wrong.
 *
 * Thread-safety: pure functions of the context they are given.
 */
#ifndef SERVER_SCAN_H
#define SERVER_SCAN_H

#include "glob.h"
#include "server_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/** The parsed options of one cursor command. */
typedef struct server_scan_args {
    uint64_t cursor;   /**< where to resume; 0 starts */
    const char *match; /**< MATCH pattern, or NULL for none (or "*") */
    size_t match_len;  /**< its length */
    long long count;   /**< COUNT, default 10, >= 1 */
    const char *type;  /**< SCAN's TYPE name, or NULL; compared
                            case-insensitively with value_type_name() */
    size_t type_len;   /**< its length */
} server_scan_args;

/**
 * Parse argument i as a cursor, as Redis's parseScanCursorOrReply().
 * \param x   the context.
 * \param i   the argument index.
 * \param out receives the cursor.
 * \return SERVER_OK, SERVER_REPLIED after "ERR invalid cursor", or
 *         SERVER_NOMEM.
 */
static inline int server_scan_cursor(server_ctx *x, size_t i, uint64_t *out)
{
    const char *s = x->argv[i].str;
    char *end;
    errno = 0;
    unsigned long long c = strtoull(s, &end, 10);
    if (isspace((unsigned char)s[0]) ||
        *end != '\0' || errno == ERANGE)
        return server_error(x, "ERR invalid cursor");
    *out = (uint64_t)c;
    return SERVER_OK;
}

/**
 * Parse the options of a cursor command from argument `first` on:
 * a->count, a->match and a->type (a->cursor is left as it is).  HSCAN,
 * SSCAN and ZSCAN parse them only once the key was found, as Redis does:
 * a missing key answers an empty page whatever the options say.
 * \param x          the context.
 * \param first      the first option's index.
 * \param allow_type whether TYPE is an option (SCAN only).
 * \param a          receives the options (pointers into x->argv).
 * \return SERVER_OK, SERVER_REPLIED after an error reply, or SERVER_NOMEM.
 */
static inline int server_scan_options(server_ctx *x, size_t first,
                                      bool allow_type, server_scan_args *a)
{
    a->count = 10;
    a->match = NULL;
    a->match_len = 0;
    a->type = NULL;
    a->type_len = 0;
    for (size_t i = first; i < x->argc; i += 2) {
        bool pair = i + 1 < x->argc;
        if (pair && server_arg_is(x, i, "count")) {
            int rc = server_arg_ll(x, i + 1, &a->count);
            if (rc != SERVER_OK)
                return rc;
            if (a->count < 1)
                return server_syntax_error(x);
        } else if (pair && server_arg_is(x, i, "match")) {
            const resp_value *p = &x->argv[i + 1];
            bool all = p->len == 1 && p->str[0] == '*';
            a->match = all ? NULL : p->str;
            a->match_len = all ? 0 : p->len;
        } else if (pair && allow_type && server_arg_is(x, i, "type")) {
            a->type = x->argv[i + 1].str;
            a->type_len = x->argv[i + 1].len;
        } else {
            return server_syntax_error(x);
        }
    }
    return SERVER_OK;
}

/**
 * Parse a cursor command: the cursor at argument `at`, then the options
 * from at + 1 on (SCAN: at 1; HSCAN, SSCAN, ZSCAN: at 2, after the key).
 * Errors are checked in Redis's order: the cursor first, then the options
 * from left to right.
 * \param x         the context.
 * \param at        the cursor's argument index.
 * \param allow_type whether TYPE is an option (SCAN only).
 * \param a         receives the arguments (pointers into x->argv).
 * \return SERVER_OK, SERVER_REPLIED after an error reply, or SERVER_NOMEM.
 */
static inline int server_scan_parse(server_ctx *x, size_t at, bool allow_type,
                                    server_scan_args *a)
{
    *a = (server_scan_args){.count = 10};
    int rc = server_scan_cursor(x, at, &a->cursor);
    if (rc != SERVER_OK)
        return rc;
    return server_scan_options(x, at + 1, allow_type, a);
}

/**
 * Does an element pass the MATCH filter?
 * \param a the parsed arguments.
 * \param s the element's bytes (a key, a field, a member).
 * \param n their length.
 * \return true when there is no pattern or it matches.
 */
static inline bool server_scan_match(const server_scan_args *a, const void *s,
                                     size_t n)
{
    return a->match == NULL ||
           glob_match(a->match, a->match_len, (const char *)s, n, false);
}

#endif
