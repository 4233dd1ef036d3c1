/* ch12_badinput.h - chapter 12: the bad-input table's row counts.
 *
 * The bad-input table is split by target, one suite per file
 * (tests/ch12_badinput_<target>.c), each a static array of rows.  Each file
 * exports the size of its table here, so that the summary suite
 * (tests/ch12_badinput.c) can print the rows per target and check the
 * whole table has at least CH12_BADINPUT_MIN rows: a table that shrinks
 * by accident fails a test.
 */
#ifndef CH12_BADINPUT_H
#define CH12_BADINPUT_H

#include <stddef.h>

/** The fewest rows the whole table may have. */
#define CH12_BADINPUT_MIN 70

/** (a) bytes a master sends down the replication link. */
extern const size_t ch12_badinput_link_rows;
/** (b) bytes a client sends that are not RESP. */
extern const size_t ch12_badinput_proto_rows;
/** (c) malformed RDB files. */
extern const size_t ch12_badinput_rdb_rows;
/** (d) write commands the applier must refuse. */
extern const size_t ch12_badinput_apply_rows;
/** (e) well-framed requests the server must refuse. */
extern const size_t ch12_badinput_request_rows;

#endif
