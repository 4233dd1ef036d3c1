/* ch03_dead_reader.c - chapter 3's epochs, forgetting a reader that died.
 *
 * Chapter 3 shows its stuck-reader test failing against the epoch domain as
 * it first was: a slot belonged to nobody, so a thread that exited inside a
 * read section left its slot announcing an old epoch for ever.  This file
 * makes that failure real: it compiles src/ebr.c unchanged except that the
 * process-wide pthread key is created without its destructor, so
 * thread_exit() never runs and a dead thread's section is never closed.
 * `make broken-ch03_dead_reader` links it with chapter 3's suites in place
 * of the library's ebr.o.
 *
 * Why it is wrong: the writer may free nothing retired after the epoch a
 * slot announces.  A thread that can no longer call ebr_exit() announces
 * that epoch until the process ends, and every write's garbage piles up
 * behind it (and ebr_synchronize() would never return).
 * Never built into the library; only for docs/transcripts.
 */
#include <pthread.h>                /* declared before the macro below */

/* Chapter 3's suites use ebr.c's test hook (src/ebr_private.h), which the
 * test programs normally get from a hooked copy of ebr.o. */
#define EBR_TEST_HOOKS

/* the bug: the key gets no destructor (the argument is evaluated only to
 * keep thread_exit() referenced, so the file still compiles with -Werror) */
#define pthread_key_create(key, destructor) \
    ((void)(destructor), pthread_key_create((key), NULL))
#include "ebr.c"
