/* LwIP's memory: every pbuf, segment and pcb LwIP allocates (mem_malloc, and memp
 * through it: MEMP_MEM_MALLOC) comes from here instead of the C library. Blocks are
 * carved from chunks by size class and kept on a free list per class once freed:
 * allocation and release are a pointer pop and push, pools grow a chunk at a time with
 * the connections and windows in use (no reservation sized for the largest
 * configuration, as static memp pools would need), and memory is not handed back to
 * the system while the stack runs. With glibc's allocator, a sender's 9 KB segment
 * buffers went through its slow path and brk/munmap, page faults included: a sixth of
 * a bulk sender's time.
 * LwIP runs on one thread (the stack's), so there is no locking. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gazelle.h"

#define HEADER 16 /* keeps blocks 16-byte aligned; holds the class */
#define CHUNK_BYTES (256 * 1024)
#define LARGE ((uint32_t)-1)

/* Usable sizes, ~1.5x apart: LwIP asks for pcbs and segments (< 256 B), ACK and
 * header pbufs (~100-200 B) and payload pbufs up to the MSS plus headers (1.5 KB at a
 * 1500 MTU, 9 KB at 9000, 64 KB at most on memif: pbuf lengths are 16-bit). */
static const uint32_t class_size[] = {
    48,   96,   176,  256,  384,   576,   848,   1264,  1552,  1888,
    2832, 4240, 6352, 9088, 13616, 20416, 30624, 45936, 65664,
};
#define CLASSES (sizeof(class_size) / sizeof(class_size[0]))

struct block {
  struct block *next;
};

struct chunk {
  struct chunk *next;
};

static struct block *free_list[CLASSES];
static struct chunk *chunks;
static struct gz_mem_counters counters;

static unsigned class_of(size_t size) {
  unsigned lo = 0, hi = CLASSES;
  while (lo < hi) { /* the smallest class that fits */
    unsigned mid = (lo + hi) / 2;
    if (class_size[mid] >= size) hi = mid;
    else lo = mid + 1;
  }
  return lo; /* CLASSES: too large for any */
}

/* A chunk of blocks of class c onto its free list. */
static int grow(unsigned c) {
  size_t block = HEADER + class_size[c];
  size_t n = CHUNK_BYTES / block;
  if (n < 4) n = 4;
  struct chunk *ch = malloc(HEADER + n * block);
  if (!ch) return -1;
  ch->next = chunks;
  chunks = ch;
  uint8_t *at = (uint8_t *)ch + HEADER;
  for (size_t i = 0; i < n; i++, at += block) {
    *(uint32_t *)at = c;
    struct block *b = (struct block *)(at + HEADER);
    b->next = free_list[c];
    free_list[c] = b;
  }
  counters.reserved_bytes += HEADER + n * block;
  counters.chunks++;
  return 0;
}

void *gz_mem_malloc(size_t size) {
  unsigned c = class_of(size);
  if (c == CLASSES) { /* not from LwIP's usual sizes: the C library serves it */
    uint8_t *p = malloc(HEADER + size);
    if (!p) return NULL;
    *(uint32_t *)p = LARGE;
    counters.in_use++;
    return p + HEADER;
  }
  if (!free_list[c] && grow(c) != 0) return NULL;
  struct block *b = free_list[c];
  free_list[c] = b->next;
  counters.in_use++;
  return b;
}

void *gz_mem_calloc(size_t count, size_t size) {
  if (size && count > SIZE_MAX / size) return NULL;
  void *p = gz_mem_malloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

void gz_mem_free(void *p) {
  if (!p) return;
  uint8_t *h = (uint8_t *)p - HEADER;
  uint32_t c = *(uint32_t *)h;
  counters.in_use--;
  if (c == LARGE) {
    free(h);
    return;
  }
  struct block *b = p;
  b->next = free_list[c];
  free_list[c] = b;
}

void gz_mem_release(void) {
  if (counters.in_use) return; /* LwIP still holds blocks (a later stack frees them) */
  while (chunks) {
    struct chunk *next = chunks->next;
    free(chunks);
    chunks = next;
  }
  memset(free_list, 0, sizeof(free_list));
  counters.reserved_bytes = 0;
  counters.chunks = 0;
}

void gz_mem_counters(struct gz_mem_counters *c) { *c = counters; }
