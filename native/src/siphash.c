/* SipHash-2-4 (Aumasson and Bernstein): a keyed hash fast on short inputs, for what
 * the stack must not let a peer predict: SYN cookies, ephemeral port choice (RFC 6056)
 * and initial sequence numbers (RFC 6528). Keys come from the kernel's CSPRNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazelle.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND       \
  do {                 \
    v0 += v1;          \
    v1 = ROTL(v1, 13); \
    v1 ^= v0;          \
    v0 = ROTL(v0, 32); \
    v2 += v3;          \
    v3 = ROTL(v3, 16); \
    v3 ^= v2;          \
    v0 += v3;          \
    v3 = ROTL(v3, 21); \
    v3 ^= v0;          \
    v2 += v1;          \
    v1 = ROTL(v1, 17); \
    v1 ^= v2;          \
    v2 = ROTL(v2, 32); \
  } while (0)

static uint64_t le64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8); /* x86-64: little-endian */
  return v;
}

uint64_t gz_siphash(const struct gz_sipkey *key, const void *data, size_t len) {
  const uint8_t *in = data;
  uint64_t k0 = key->k[0], k1 = key->k[1];
  uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
  uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
  size_t full = len & ~(size_t)7;
  for (size_t i = 0; i < full; i += 8) {
    uint64_t m = le64(in + i);
    v3 ^= m;
    SIPROUND;
    SIPROUND;
    v0 ^= m;
  }
  uint64_t b = (uint64_t)len << 56;
  for (size_t i = 0; i < (len & 7); i++) b |= (uint64_t)in[full + i] << (8 * i);
  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

void gz_sipkey_random(struct gz_sipkey *key) {
  int rc = gz_random_bytes(key->k, sizeof(key->k));
  if (rc != 0) { /* no safe key without it, and callers have no error path */
    fprintf(stderr, "gazelle: no random numbers (getrandom, /dev/urandom): %s\n", strerror(-rc));
    abort();
  }
}
