/* pcap capture of the frames the port receives and queues for transmission. Frames
 * are copied into a memory buffer as pcap records (nanosecond timestamps); JS drains
 * it to the file from the event loop, so no file I/O happens on the data path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>

#include "gazelle.h"

struct pcap_record {
  uint32_t ts_sec, ts_nsec, incl_len, orig_len;
};

static struct {
  uint8_t *buf;
  size_t cap, len;
  uint64_t packets, bytes, dropped, limit;
  uint32_t snaplen;
} cap;

int gz_capture_start(size_t buffer_bytes, uint64_t limit, uint32_t snaplen) {
  if (buffer_bytes != cap.cap) {
    uint8_t *b = realloc(cap.buf, buffer_bytes);
    if (!b) return -ENOMEM;
    cap.buf = b;
    cap.cap = buffer_bytes;
  }
  cap.len = 0;
  cap.packets = cap.bytes = cap.dropped = 0;
  cap.limit = limit;
  cap.snaplen = snaplen;
  gz_loop.capture_on = true;
  return 0;
}

void gz_capture_stop(void) { gz_loop.capture_on = false; }

void gz_capture_frame(const void *mbuf) {
  const struct rte_mbuf *m = mbuf;
  uint32_t incl = m->pkt_len < cap.snaplen ? m->pkt_len : cap.snaplen;
  if (cap.len + sizeof(struct pcap_record) + incl > cap.cap) {
    cap.dropped++; /* JS has not drained the buffer in time */
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct pcap_record r = {(uint32_t)ts.tv_sec, (uint32_t)ts.tv_nsec, incl, m->pkt_len};
  memcpy(cap.buf + cap.len, &r, sizeof(r));
  uint8_t *dst = cap.buf + cap.len + sizeof(r);
  for (uint32_t left = incl; m && left; m = m->next) {
    uint32_t n = m->data_len < left ? m->data_len : left;
    memcpy(dst, rte_pktmbuf_mtod(m, const void *), n);
    dst += n;
    left -= n;
  }
  cap.len += sizeof(r) + incl;
  cap.packets++;
  cap.bytes += incl;
  if (cap.limit && cap.packets >= cap.limit) gz_loop.capture_on = false;
}

size_t gz_capture_take(void *dst, size_t max) {
  size_t n = cap.len;
  if (n > max) { /* whole records only */
    n = 0;
    while (n < cap.len) {
      const struct pcap_record *r = (const void *)(cap.buf + n);
      size_t next = n + sizeof(*r) + r->incl_len;
      if (next > max) break;
      n = next;
    }
  }
  memcpy(dst, cap.buf, n);
  memmove(cap.buf, cap.buf + n, cap.len - n);
  cap.len -= n;
  return n;
}

void gz_capture_status(struct gz_capture_stats *st) {
  st->on = gz_loop.capture_on;
  st->packets = cap.packets;
  st->bytes = cap.bytes;
  st->dropped = cap.dropped;
  st->limit = cap.limit;
  st->buffered = cap.len;
}

void gz_capture_free(void) {
  gz_loop.capture_on = false;
  free(cap.buf);
  memset(&cap, 0, sizeof(cap));
}
