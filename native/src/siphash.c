/* SipHash-2-4, written from the paper's description (section 2): four 64-bit state
 * words initialised from the key and four constants, two SipRounds per 8-byte message
 * word (the last one carries the message length in its top byte), four at the end. */
#include "siphash.h"

static uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static uint64_t load_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

struct sip_state {
  uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip_state *s) {
  s->v0 += s->v1;
  s->v1 = rotl(s->v1, 13);
  s->v1 ^= s->v0;
  s->v0 = rotl(s->v0, 32);
  s->v2 += s->v3;
  s->v3 = rotl(s->v3, 16);
  s->v3 ^= s->v2;
  s->v0 += s->v3;
  s->v3 = rotl(s->v3, 21);
  s->v3 ^= s->v0;
  s->v2 += s->v1;
  s->v1 = rotl(s->v1, 17);
  s->v1 ^= s->v2;
  s->v2 = rotl(s->v2, 32);
}

/* c = 2 compression rounds per message word. */
static void absorb(struct sip_state *s, uint64_t m) {
  s->v3 ^= m;
  sip_round(s);
  sip_round(s);
  s->v0 ^= m;
}

uint64_t gz_siphash24(const uint8_t key[16], const void *data, size_t len) {
  const uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
  /* "somepseudorandomlygeneratedbytes", as four ASCII words */
  struct sip_state s = {
      k0 ^ 0x736f6d6570736575ull,
      k1 ^ 0x646f72616e646f6dull,
      k0 ^ 0x6c7967656e657261ull,
      k1 ^ 0x7465646279746573ull,
  };
  const uint8_t *p = data;
  size_t whole = len & ~(size_t)7;
  for (size_t i = 0; i < whole; i += 8) absorb(&s, load_le64(p + i));
  /* The last word: the 0-7 bytes left, and len mod 256 in the top byte. */
  uint64_t last = (uint64_t)(len & 0xff) << 56;
  for (size_t i = 0; i < (len & 7); i++) last |= (uint64_t)p[whole + i] << (8 * i);
  absorb(&s, last);
  /* d = 4 finalisation rounds */
  s.v2 ^= 0xff;
  for (int r = 0; r < 4; r++) sip_round(&s);
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
