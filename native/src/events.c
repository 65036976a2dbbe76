/* The batch of events handed to JS in one call per poll. */
#include <stdlib.h>
#include <string.h>

#include "gazelle.h"
#include "lwip/pbuf.h"

static struct gz_event *events;
static size_t len, cap;
static uint32_t generation = 1;

struct gz_event *gz_events_push(uint8_t type, uint32_t id) {
  if (len == cap) {
    size_t n = cap ? cap * 2 : 256;
    struct gz_event *p = realloc(events, n * sizeof(*events));
    if (!p) return NULL;
    events = p;
    cap = n;
  }
  struct gz_event *ev = &events[len++];
  ev->type = type;
  ev->id = id;
  ev->a = 0;
  ev->b = 0;
  ev->data = NULL;
  ev->tail = NULL;
  ev->len = 0;
  return ev;
}

size_t gz_events_count(void) { return len; }

/* Chains are linked here, not with pbuf_cat: it walks the whole chain for its last
 * pbuf (quadratic over a poll's segments of a bulk transfer) and keeps a 16-bit
 * tot_len, which wraps past 64 KiB (so does the tot_len of a chain LwIP hands over
 * once out-of-order segments fill in). The event keeps its own tail and length and
 * copies pbuf by pbuf. */
uint32_t gz_event_add_data(struct gz_event *ev, struct pbuf *p) {
  if (ev->data) ev->tail->next = p;
  else ev->data = p;
  uint32_t added = 0;
  struct pbuf *q = p;
  for (;; q = q->next) {
    added += q->len;
    if (!q->next) break;
  }
  ev->tail = q;
  ev->len += added;
  return added;
}

size_t gz_event_data_len(const struct gz_event *ev) { return ev->len; }

void gz_event_copy_data(const struct gz_event *ev, void *dst) {
  uint8_t *out = dst;
  for (const struct pbuf *q = ev->data; q; q = q->next) {
    memcpy(out, q->payload, q->len);
    out += q->len;
  }
}

void gz_event_copy_part(const struct gz_event *ev, struct gz_event_cursor *c, void *dst, size_t n) {
  uint8_t *out = dst;
  if (!c->q) {
    c->q = ev->data;
    c->off = 0;
  }
  while (n && c->q) {
    size_t take = c->q->len - c->off;
    if (take > n) take = n;
    memcpy(out, (const uint8_t *)c->q->payload + c->off, take);
    out += take;
    n -= take;
    c->off += take;
    if (c->off == c->q->len) {
      c->q = c->q->next;
      c->off = 0;
    }
  }
}

struct gz_event *gz_events_at(size_t index) {
  return &events[index];
}

uint32_t gz_events_generation(void) { return generation; }

void gz_events_clear(void) {
  for (size_t i = 0; i < len; i++) {
    if (events[i].data) pbuf_free(events[i].data);
  }
  len = 0;
  if (++generation == 0) generation = 1;
}

void gz_events_free(void) {
  gz_events_clear();
  free(events);
  events = NULL;
  cap = 0;
}
