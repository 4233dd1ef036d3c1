/* learn_stub.h - what a body you have not written yet does: say so, stop.
 *
 * `make learn CH=N` (tests/util/learn.py) replaces each body marked
 * "learn:" in chapter N's files by a call to learn_unwritten(), so the file
 * compiles and every test that reaches the missing body fails, naming the
 * function and the chapter section that explains it.  Aborting (rather than
 * returning a made-up value) keeps a half-written program from limping on
 * into confusing failures further away.
 */
#ifndef LEARN_STUB_H
#define LEARN_STUB_H

#include <stdio.h>
#include <stdlib.h>

/* A stubbed file still holds the static helpers its real bodies call (they
 * are yours to use); until your code calls them, they are unused, which
 * -Werror would refuse.  These pragmas apply to the rest of the file. */
#pragma GCC diagnostic ignored "-Wunused-function"
#ifdef __clang__
#pragma clang diagnostic ignored "-Wunneeded-internal-declaration"
#endif

/** Report that @p fn is still a stub and abort.
 *  @param fn       the function's name
 *  @param chapter  the chapter that introduces it
 *  @param section  the heading of that chapter's section that explains it */
static inline _Noreturn void learn_unwritten(const char *fn, int chapter,
                                             const char *section)
{
    fprintf(stderr, "learn: %s() is yours to write: see chapter %d, section '%s'\n",
            fn, chapter, section);
    fflush(stderr);
    abort();
}

#endif
