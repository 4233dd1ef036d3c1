/* corpus.h - where the tests find the RDB corpus (chapter 7).
 *
 * The corpus of real dump files lives in the repository, in tests/data/rdb/
 * (its README says where each file came from and under which license), so a
 * fresh clone tests itself with nothing beside it.  The tests run from the
 * repository root, which is where `make` runs them; RDB_CORPUS=dir points
 * them at another copy (a larger private corpus, say) without a rebuild.
 * Every corpus test builds its paths here, so the default lives in one place
 * and a missing corpus is reported the same way everywhere: with the
 * directory that was tried, never as a silent skip.
 */
#ifndef TEST_CORPUS_H
#define TEST_CORPUS_H

#include <stddef.h>

/** The in-repository corpus, relative to the repository root. */
#define CORPUS_DEFAULT_DIR "tests/data/rdb"

/**
 * The corpus directory: $RDB_CORPUS when it is set and not empty, otherwise
 * CORPUS_DEFAULT_DIR.
 *
 * \return a string owned by the environment or a literal; do not free it.
 *         Thread-safe as long as nobody changes RDB_CORPUS meanwhile.
 */
const char *corpus_dir(void);

/**
 * Path of a file inside the corpus: corpus_dir() + "/" + rel.
 *
 * \param out    destination buffer; always NUL-terminated.
 * \param outsz  size of out (a path that does not fit is truncated).
 * \param rel    path relative to the corpus, e.g. "valkey/encodings.rdb".
 * \return out.  Thread-safe (writes only to out).
 */
char *corpus_path(char *out, size_t outsz, const char *rel);

/**
 * Describe where the corpus was looked for, for error messages: the
 * directory, where it came from (RDB_CORPUS or the default) and, when the
 * directory is relative, the working directory it was resolved against,
 * e.g. "tests/data/rdb (the default; working directory /home/me/src)".
 *
 * \param out    destination buffer; always NUL-terminated.
 * \param outsz  size of out.
 * \return out.  Thread-safe (writes only to out).
 */
char *corpus_where(char *out, size_t outsz);

#endif
