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
  ev->len = 0;
  return ev;
}

size_t gz_events_count(void) { return len; }

/* Chains are joined with pbuf_cat, whose 16-bit tot_len wraps past 64 KiB:
 * the event keeps its own length and copies segment by segment. */
void gz_event_add_data(struct gz_event *ev, struct pbuf *p) {
  if (ev->data) pbuf_cat(ev->data, p);
  else ev->data = p;
  ev->len += p->tot_len;
}

size_t gz_event_data_len(const struct gz_event *ev) { return ev->len; }

void gz_event_copy_data(const struct gz_event *ev, void *dst) {
  uint8_t *out = dst;
  for (const struct pbuf *q = ev->data; q; q = q->next) {
    memcpy(out, q->payload, q->len);
    out += q->len;
  }
}

struct gz_event *gz_events_at(size_t index) { return &events[index]; }

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
