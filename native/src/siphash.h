/* SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed
 * hash of a short message under a 128-bit secret key. Without the key, its outputs
 * cannot be predicted from others. Self-contained (no DPDK, no LwIP): tests build it alone. */
#ifndef GAZELLE_SIPHASH_H
#define GAZELLE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The 64-bit tag of data under key (16 bytes), as the paper defines it (the bytes of
 * key and data read as little-endian words). */
uint64_t gz_siphash24(const uint8_t key[16], const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
