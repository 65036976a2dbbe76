/* A fault line: what netem does to a link, for frames of any kind (opaque pointers: an
 * mbuf in the stack's fault injection, a buffer in tools/fault-relay). For each frame
 * it decides loss, duplication and corruption; the frames that go on wait out a delay
 * (in order), and some are held back behind 1-3 later frames (reordering).
 * Header-only so the relay, which does not link the addon, shares it. One thread. */
#ifndef GAZELLE_FAULT_LINE_H
#define GAZELLE_FAULT_LINE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FL_QUEUE 8192u                /* frames waiting out the delay */
#define FL_HELD 16u                   /* frames held back for reordering */
#define FL_REORDER_HOLD_NS 2000000ull /* a held frame leaves after this at most */

struct fl_rates {
  double drop, duplicate, reorder, corrupt; /* probabilities per frame, 0..1 */
  uint64_t delay_ns;                        /* every frame waits this long */
};

struct fl_counters {
  uint64_t frames, dropped, duplicated, reordered, delayed, corrupted, overflow;
};

struct fl_item {
  void *p;
  uint64_t due; /* leaves at or after this time (ns) */
  uint32_t gap; /* held: leaves after this many later frames (0: ready) */
};

struct fault_line {
  struct fl_rates r;
  struct fl_counters c;
  struct fl_item q[FL_QUEUE];
  uint32_t head, len;
  struct fl_item held[FL_HELD];
  uint32_t nheld;
  uint64_t rng;
};

static inline void fl_init(struct fault_line *l, const struct fl_rates *r, uint64_t seed) {
  memset(l, 0, sizeof(*l));
  l->r = *r;
  l->rng = seed | 1;
}

/* xorshift64*: cheap, reproducible from the seed */
static inline uint64_t fl_rand(struct fault_line *l) {
  l->rng ^= l->rng >> 12;
  l->rng ^= l->rng << 25;
  l->rng ^= l->rng >> 27;
  return l->rng * 2685821657736338717ull;
}

static inline bool fl_chance(struct fault_line *l, double p) {
  return p > 0 && (double)(fl_rand(l) >> 11) / 9007199254740992.0 < p;
}

/* The fate of a new frame: copies to pass on (0: dropped, 1, or 2: duplicated), and
 * whether to corrupt the first. */
static inline int fl_decide(struct fault_line *l, bool *corrupt) {
  l->c.frames++;
  *corrupt = false;
  if (fl_chance(l, l->r.drop)) {
    l->c.dropped++;
    return 0;
  }
  if (fl_chance(l, l->r.corrupt)) {
    *corrupt = true;
    l->c.corrupted++;
  }
  if (fl_chance(l, l->r.duplicate)) {
    l->c.duplicated++;
    return 2;
  }
  return 1;
}

/* Flips one bit of buf[from, len): past the link header, so the frame still reaches
 * its host, whose checksums must catch it. */
static inline void fl_corrupt(struct fault_line *l, uint8_t *buf, uint32_t from, uint32_t len) {
  if (len <= from) return;
  uint32_t at = from + (uint32_t)(fl_rand(l) % (len - from));
  buf[at] ^= (uint8_t)(1u << (fl_rand(l) % 8));
}

/* Queues a frame that goes on; false if the queue is full (the caller frees it). */
static inline bool fl_push(struct fault_line *l, void *p, uint64_t now) {
  if (l->len == FL_QUEUE) {
    l->c.overflow++;
    return false;
  }
  if (l->r.delay_ns) l->c.delayed++;
  struct fl_item *it = &l->q[(l->head + l->len++) % FL_QUEUE];
  it->p = p;
  it->due = now + l->r.delay_ns;
  it->gap = 0;
  return true;
}

static inline void *fl_take_held(struct fault_line *l, uint32_t i) {
  void *p = l->held[i].p;
  l->held[i] = l->held[--l->nheld];
  return p;
}

/* The next frame to leave now, or NULL. */
static inline void *fl_pop(struct fault_line *l, uint64_t now) {
  for (uint32_t i = 0; i < l->nheld; i++) { /* held frames whose turn came */
    if (l->held[i].gap == 0 || l->held[i].due <= now) return fl_take_held(l, i);
  }
  while (l->len && l->q[l->head % FL_QUEUE].due <= now) {
    struct fl_item it = l->q[l->head++ % FL_QUEUE];
    l->len--;
    if (l->nheld < FL_HELD && fl_chance(l, l->r.reorder)) {
      it.gap = 1 + (uint32_t)(fl_rand(l) % 3);
      it.due = now + (l->r.delay_ns > FL_REORDER_HOLD_NS ? l->r.delay_ns : FL_REORDER_HOLD_NS);
      l->held[l->nheld++] = it;
      l->c.reordered++;
      continue;
    }
    for (uint32_t i = 0; i < l->nheld; i++) {
      if (l->held[i].gap) l->held[i].gap--;
    }
    return it.p;
  }
  return NULL;
}

/* Frames the line holds. */
static inline uint32_t fl_count(const struct fault_line *l) { return l->len + l->nheld; }

/* ns until the next frame is due (0: one is ready), or -1 when the line is empty. */
static inline int64_t fl_next_due(const struct fault_line *l, uint64_t now) {
  int64_t next = -1;
  if (l->len) {
    uint64_t due = l->q[l->head % FL_QUEUE].due;
    next = due > now ? (int64_t)(due - now) : 0;
  }
  for (uint32_t i = 0; i < l->nheld; i++) {
    uint64_t due = l->held[i].gap == 0 ? now : l->held[i].due;
    int64_t w = due > now ? (int64_t)(due - now) : 0;
    if (next < 0 || w < next) next = w;
  }
  return next;
}

#endif
