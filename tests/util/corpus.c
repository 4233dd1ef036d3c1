/* corpus.c - where the tests find the RDB corpus (chapter 7).
 *
 * See corpus.h: one default (tests/data/rdb, inside the repository), one
 * override (RDB_CORPUS), and one way to say where the corpus was looked for
 * when it is not there.
 */
#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *corpus_dir(void)
{
    const char *env = getenv("RDB_CORPUS");
    return env != NULL && *env != '\0' ? env : CORPUS_DEFAULT_DIR;
}

char *corpus_path(char *out, size_t outsz, const char *rel)
{
    snprintf(out, outsz, "%s/%s", corpus_dir(), rel);
    return out;
}

char *corpus_where(char *out, size_t outsz)
{
    const char *dir = corpus_dir();
    const char *env = getenv("RDB_CORPUS");
    const char *from = env != NULL && *env != '\0' ? "from RDB_CORPUS"
                                                  : "the default";
    char cwd[1024];
    if (dir[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
        snprintf(out, outsz, "%s (%s; relative to the working directory %s)",
                 dir, from, cwd);
    else
        snprintf(out, outsz, "%s (%s)", dir, from);
    return out;
}
