/* ch11_pinned.c - chapter 11's server whose idle threads pin the old copy.
 *
 * Chapter 11 opens with a full sync while a serving thread is idle.  This
 * file puts back the server that forgets to say so: src/server_loop.c
 * compiled unchanged except that its timer tick's
 * dataset_reader_quiesce() does nothing.  A loop's reader then keeps the
 * generation it last read until one of its clients sends a command, so
 * the retired dataset stays in memory for as long as the thread is quiet.
 * `make broken-ch11_pinned` links it with chapter 11's suites in place of
 * the library's server_loop.o.  Never built into the library.
 */
#include "dataset.h"

#define dataset_reader_quiesce(r) ((void)(r))
#include "server_loop.c"
#undef dataset_reader_quiesce
