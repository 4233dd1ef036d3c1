/* inline_quote.h - exercise 6.2: split an inline command the way Redis does.
 *
 * The parser of chapter 6 splits inline commands on white space only, so
 * `SET k "hello world"` gives four arguments, two of them with quote
 * characters in them.  Redis (and redis-cli) split with quoting rules:
 *
 *  - arguments are separated by white space (space, tab, CR, LF, VT, FF);
 *  - a double quote starts a quoted part, in which \\xHH is the byte with
 *    that hex value (two hex digits), \\n \\r \\t \\b \\a are the control
 *    characters, and a backslash before any other character stands for
 *    that character (so \\" is a quote and \\\\ a backslash);
 *  - a single quote starts a quoted part in which only \\' is special;
 *  - a quote may start in the middle of an argument (a"b c" is `ab c`), but
 *    a closing quote must be followed by white space or the end of the line;
 *  - a quote that is never closed is an error.
 */
#ifndef EX06_INLINE_QUOTE_H
#define EX06_INLINE_QUOTE_H

#include <stddef.h>

/** The arguments of one inline command. */
typedef struct inline_args {
    size_t argc;  /**< number of arguments */
    char **argv;  /**< argc malloc'ed strings, each NUL-terminated */
    size_t *lens; /**< their lengths (a "\x00" argument holds a NUL) */
} inline_args;

/**
 * Split a line with Redis's quoting rules.
 *
 * \param line   the line without its line ending.
 * \param len    its length.
 * \param out    receives the arguments (argc 0 for a blank line); free with
 *               inline_args_free().  Zeroed on failure.
 * \param err    on failure receives a message naming the byte offset in the
 *               line and the problem.
 * \param errlen size of err.
 * \return 0, or -1 on unbalanced quotes, a closing quote followed by
 *         something other than white space, or out of memory.
 */
int inline_split_quoted(const char *line, size_t len, inline_args *out,
                        char *err, size_t errlen);

/**
 * Free the arguments and zero the struct.
 *
 * \param a the arguments; may be NULL.
 */
void inline_args_free(inline_args *a);

#endif
