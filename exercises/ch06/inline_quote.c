/* inline_quote.c - exercise 6.2: Redis's inline quoting rules (see
 * inline_quote.h).
 *
 * A small state machine works well: outside quotes, in double quotes, in
 * single quotes.  Build each argument in a growable buffer; append it to
 * out when white space (outside quotes) or the end of the line ends it.
 */
#include "inline_quote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inline_split_quoted(const char *line, size_t len, inline_args *out,
                        char *err, size_t errlen)
{
    (void)line; (void)len;
    memset(out, 0, sizeof *out);
    snprintf(err, errlen, "exercise 6.2: implement inline_split_quoted() in "
             "exercises/ch06/inline_quote.c");
    return -1;
}

void inline_args_free(inline_args *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->argc; i++) free(a->argv[i]);
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof *a);
}
