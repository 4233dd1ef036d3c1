/* crc64.h - the CRC-64 that ends every RDB file since version 5.
 * Chapter 7.
 *
 * Redis uses the "Jones" CRC-64: polynomial 0xad93d23594c935a9, processed
 * reflected (least significant bit first), initial value 0, no final xor.
 * Its check value, the CRC of the nine bytes "123456789", is
 * 0xe9c6d914c4b8d9ca.  The checksum stored after the EOF opcode is this CRC
 * of every byte before it, magic included, written little-endian.
 *
 * The implementation is table driven, eight bytes per step ("slicing by
 * 8"): a reader that checks the CRC as bytes stream past must not become the
 * bottleneck of loading a multi-gigabyte snapshot.
 */
#ifndef CRC64_H
#define CRC64_H

#include <stddef.h>
#include <stdint.h>

/**
 * Continue a CRC-64 (Jones) over more bytes.
 *
 * \param crc  the CRC of the bytes so far (0 to start).
 * \param data the next bytes (may be NULL when len is 0).
 * \param len  how many.
 * \return the CRC of all the bytes.
 *
 * Thread-safety: safe from any thread (the tables are built once, under
 * pthread_once).
 */
uint64_t crc64_update(uint64_t crc, const void *data, size_t len);

#endif
