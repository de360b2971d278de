/*
 * sha256.h - SHA-256 (FIPS 180-4) for artifact checksums.
 *
 * SQLite has no SHA-256 and none of seqtune's libraries (GSL, cJSON, OpenBLAS, MPI)
 * provides one, so the tracker carries this small implementation. It is tested
 * against the FIPS/NIST example vectors in tests/tracker/test_sha256.c.
 */
#ifndef TRK_SHA256_H
#define TRK_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct trk_sha256 {
    uint32_t h[8];
    uint64_t bytes;      /* total message length so far */
    uint8_t buf[64];     /* pending partial block */
    size_t fill;         /* bytes in buf */
} trk_sha256;

void trk_sha256_init(trk_sha256 *s);
void trk_sha256_update(trk_sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest; the context must be re-initialised before reuse. */
void trk_sha256_final(trk_sha256 *s, uint8_t out[32]);
/* One-shot digest of `len` bytes as 64 lowercase hex digits plus NUL. */
void trk_sha256_hex(const void *data, size_t len, char hex[65]);
/* Formats a 32-byte digest as 64 lowercase hex digits plus NUL. */
void trk_sha256_to_hex(const uint8_t digest[32], char hex[65]);

#endif
