/* Small integer ids for a socket table: a freed id comes back only one whole batch
 * after the one it was freed in, so an event still waiting for JS never reaches a new
 * socket that took the same id (events received while JS ran a batch, before the id
 * was freed, wait for the next batch: gz_stack_receive_between). */
#include <stdlib.h>

#include "gazelle.h"

static bool push(uint32_t **arr, uint32_t *len, uint32_t *cap, uint32_t id) {
  if (*len == *cap) {
    uint32_t n = *cap ? *cap * 2 : 64;
    uint32_t *p = realloc(*arr, n * sizeof(**arr));
    if (!p) return false;
    *arr = p;
    *cap = n;
  }
  (*arr)[(*len)++] = id;
  return true;
}

int64_t gz_ids_take(struct gz_ids *t) {
  if (t->free_len) return t->free_ids[--t->free_len];
  if (t->next == UINT32_MAX) return -1;
  return t->next++;
}

void gz_ids_release(struct gz_ids *t, uint32_t id) {
  /* Without room to remember it, the id is simply never reused. */
  push(&t->released, &t->released_len, &t->released_cap, id);
}

void gz_ids_recycle(struct gz_ids *t) {
  for (uint32_t i = 0; i < t->waiting_len; i++) push(&t->free_ids, &t->free_len, &t->free_cap, t->waiting[i]);
  /* the released wait one batch more (the arrays swap: no copy) */
  uint32_t *w = t->waiting, wcap = t->waiting_cap;
  t->waiting = t->released;
  t->waiting_cap = t->released_cap;
  t->waiting_len = t->released_len;
  t->released = w;
  t->released_cap = wcap;
  t->released_len = 0;
}

void gz_ids_reset(struct gz_ids *t) {
  free(t->free_ids);
  free(t->released);
  free(t->waiting);
  *t = (struct gz_ids){0};
}
