/* Fault injection (createStack option `faults`, GAZELLE_FAULTS, gazellectl set faults):
 * received and sent frames go through a fault line each (fault_line.h) that drops,
 * duplicates, corrupts, delays and reorders them at the rates set, and counts what it
 * did. Off, it costs the port one predictable branch per burst and per frame. */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "fault_line.h"
#include "gazelle.h"

static struct fault_line rx_line, tx_line;

static bool any(const struct gz_fault_rates *r) {
  return r->drop > 0 || r->duplicate > 0 || r->reorder > 0 || r->corrupt > 0 || r->delay_us > 0;
}

static void to_fl(const struct gz_fault_rates *r, struct fl_rates *out) {
  out->drop = r->drop;
  out->duplicate = r->duplicate;
  out->reorder = r->reorder;
  out->corrupt = r->corrupt;
  out->delay_ns = (uint64_t)r->delay_us * 1000ull;
}

static void drain(struct fault_line *l, bool tx) {
  for (void *m; (m = fl_pop(l, UINT64_MAX)) != NULL;) {
    if (tx) gz_port_tx_now(m);
    else rte_pktmbuf_free(m);
  }
}

void gz_faults_set(const struct gz_fault_rates *rx, const struct gz_fault_rates *tx, uint64_t seed) {
  /* What the lines hold leaves now: sent frames go out, received ones are dropped
   * (they would arrive out of any order that matters). Counters restart. */
  drain(&tx_line, true);
  drain(&rx_line, false);
  struct fl_rates r;
  to_fl(rx, &r);
  fl_init(&rx_line, &r, seed);
  to_fl(tx, &r);
  fl_init(&tx_line, &r, seed * 31 + 7);
  gz_loop.faults_on = any(rx) || any(tx);
}

void gz_faults_reset(void) {
  static const struct gz_fault_rates none;
  gz_faults_set(&none, &none, 1);
}

/* Software checksums for a frame marked for offload: a corrupted frame must carry the
 * checksum of what it was, or the corruption would go unnoticed. */
static void checksum_now(struct rte_mbuf *m) {
  if (!(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM)) return;
  struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  void *l4 = (uint8_t *)ip + m->l3_len;
  if (m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) {
    ((struct rte_tcp_hdr *)l4)->cksum = 0;
    ((struct rte_tcp_hdr *)l4)->cksum = rte_ipv4_udptcp_cksum(ip, l4);
  } else if (m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM) {
    ((struct rte_udp_hdr *)l4)->dgram_cksum = 0;
    ((struct rte_udp_hdr *)l4)->dgram_cksum = rte_ipv4_udptcp_cksum(ip, l4);
  }
  m->ol_flags &=
      ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV4);
}

/* One frame into a line: dropped, or queued once or twice (maybe corrupted). */
static void admit(struct fault_line *l, struct rte_mbuf *m, bool tx, uint64_t now) {
  bool corrupt;
  int copies = fl_decide(l, &corrupt);
  struct rte_mbuf *copy = copies == 2 ? gz_port_copy(m) : NULL;
  if (copies == 0) {
    rte_pktmbuf_free(m);
    return;
  }
  if (corrupt) {
    if (tx) checksum_now(m);
    fl_corrupt(l, rte_pktmbuf_mtod(m, uint8_t *), RTE_ETHER_HDR_LEN, m->data_len);
  }
  if (!fl_push(l, m, now)) rte_pktmbuf_free(m);
  if (copy && !fl_push(l, copy, now)) rte_pktmbuf_free(copy);
}

unsigned gz_faults_rx(void **mbufs, unsigned got, unsigned max) {
  uint64_t now = gz_now_ns();
  for (unsigned i = 0; i < got; i++) admit(&rx_line, mbufs[i], false, now);
  unsigned n = 0;
  for (void *m; n < max && (m = fl_pop(&rx_line, now)) != NULL;) mbufs[n++] = m;
  return n;
}

void gz_faults_tx(void *mbuf) {
  uint64_t now = gz_now_ns();
  admit(&tx_line, mbuf, true, now);
  for (void *m; (m = fl_pop(&tx_line, now)) != NULL;) gz_port_tx_now(m);
}

void gz_faults_tx_release(void) {
  uint64_t now = gz_now_ns();
  for (void *m; (m = fl_pop(&tx_line, now)) != NULL;) gz_port_tx_now(m);
}

unsigned gz_faults_held(void) { return fl_count(&rx_line) + fl_count(&tx_line); }

static void copy_counters(const struct fl_counters *c, struct gz_fault_counters *out) {
  out->frames = c->frames;
  out->dropped = c->dropped;
  out->duplicated = c->duplicated;
  out->reordered = c->reordered;
  out->delayed = c->delayed;
  out->corrupted = c->corrupted;
}

void gz_faults_counters(struct gz_fault_counters *rx, struct gz_fault_counters *tx) {
  copy_counters(&rx_line.c, rx);
  copy_counters(&tx_line.c, tx);
}
