/* The LwIP network interface over the DPDK port: received mbufs become pbufs
 * without a copy (a custom pbuf in the mbuf's private area), and frames LwIP
 * sends are copied into one mbuf each and queued on the port's tx buffer. */
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "gazelle.h"
#include "xdp.h"
#include "lwip/etharp.h"
#include "lwip/igmp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

struct rx_pbuf {
  struct pbuf_custom custom;
  struct rte_mbuf *mbuf;
};

static struct netif netif;
static bool netif_added;
static bool lwip_ready;
static bool tx_cksum_offload;
static bool tx_lends; /* frames go out as external buffers (tx_lend) */

static void rx_pbuf_free(struct pbuf *p) {
  struct rx_pbuf *rp = (struct rx_pbuf *)p;
  rte_pktmbuf_free(rp->mbuf);
}

/* A received mbuf as a pbuf, without a copy: a custom pbuf in its private area, which
 * returns the mbuf when LwIP (or the event that carries the data) frees it. */
static struct pbuf *rx_pbuf(struct rte_mbuf *m) {
  struct rx_pbuf *rp = rte_mbuf_to_priv(m);
  rp->custom.custom_free_function = rx_pbuf_free;
  rp->mbuf = m;
  return pbuf_alloced_custom(PBUF_RAW, m->data_len, PBUF_REF, &rp->custom, rte_pktmbuf_mtod(m, void *),
                             m->data_len);
}

/* A frame in a chain of mbufs (memif above a 9000 MTU) as a chain of custom pbufs,
 * still without a copy: each segment is cut loose to be freed on its own. A frame
 * too large for LwIP's 16-bit lengths, or one whose headers do not fit its first
 * segment, is dropped. */
static struct pbuf *rx_chain(struct rte_mbuf *m) {
  if (m->pkt_len > 0xFFFF || m->data_len < RTE_ETHER_HDR_LEN + 60 + 60) {
    rte_pktmbuf_free(m);
    return NULL;
  }
  struct pbuf *head = NULL;
  while (m) {
    struct rte_mbuf *next = m->next;
    m->next = NULL;
    m->nb_segs = 1;
    m->pkt_len = m->data_len;
    struct pbuf *q = rx_pbuf(m); /* cannot fail: the pbuf lives in the mbuf */
    if (head) pbuf_cat(head, q);
    else head = q;
    m = next;
  }
  return head;
}

/* A frame larger than one mbuf (memif above a 9000 MTU): copied into a chain. */
static struct rte_mbuf *tx_chain(struct pbuf *p) {
  struct rte_mbuf *head = NULL, *tail = NULL;
  uint32_t off = 0;
  while (off < p->tot_len) {
    struct rte_mbuf *m = gz_port_alloc();
    if (!m) {
      rte_pktmbuf_free(head);
      return NULL;
    }
    uint16_t n = (uint16_t)RTE_MIN((uint32_t)rte_pktmbuf_tailroom(m), (uint32_t)(p->tot_len - off));
    pbuf_copy_partial(p, rte_pktmbuf_append(m, n), n, (u16_t)off);
    off += n;
    if (!head) {
      head = m;
    } else {
      tail->next = m;
      head->nb_segs++;
      head->pkt_len += n;
    }
    tail = m;
  }
  return head;
}

/* A sent frame's pbuf lent to the port: the mbuf points into it (an external buffer)
 * and holds a reference until the port is done with it. */
struct tx_loan {
  struct rte_mbuf_ext_shared_info shinfo;
  struct pbuf *p;
};

static void tx_loan_end(void *addr, void *opaque) {
  struct tx_loan *loan = opaque;
  pbuf_free(loan->p);
  gz_mem_free(loan);
}

/* Frames at least this large are lent, not copied (attaching costs about what copying
 * a few hundred bytes does). */
#define TX_LOAN_MIN 1024
/* A lent frame's pieces (its pbufs); a longer chain is copied. */
#define GZ_TX_LEND_MAX_PIECES 64

/* A frame sent without copying it into mbufs: the port copies it out in tx_burst anyway
 * (gz_port_tx_copies). Each pbuf of the frame becomes an mbuf pointing into it (an
 * external buffer), all of them sharing one loan that holds a reference to the frame's
 * first pbuf (and so its chain) until the port is done with the last. LwIP is built for
 * this: while the pbuf is referenced here, tcp_output_segment_busy() keeps a
 * retransmission from rewriting it. NULL: copy instead. */
static struct rte_mbuf *tx_lend(struct pbuf *p) {
  struct rte_mbuf *ms[GZ_TX_LEND_MAX_PIECES];
  unsigned n = 0;
  for (struct pbuf *q = p; q; q = q->next) {
    if (q->len == 0) continue;
    if (n == GZ_TX_LEND_MAX_PIECES || !(ms[n] = gz_port_alloc())) {
      while (n) rte_pktmbuf_free(ms[--n]);
      return NULL;
    }
    n++;
  }
  struct tx_loan *loan = n ? gz_mem_malloc(sizeof(*loan)) : NULL;
  if (!loan) {
    while (n) rte_pktmbuf_free(ms[--n]);
    return NULL;
  }
  loan->p = p;
  pbuf_ref(p);
  loan->shinfo.free_cb = tx_loan_end;
  loan->shinfo.fcb_opaque = loan;
  rte_mbuf_ext_refcnt_set(&loan->shinfo, (uint16_t)n);
  unsigned i = 0;
  for (struct pbuf *q = p; q; q = q->next) {
    if (q->len == 0) continue;
    struct rte_mbuf *m = ms[i];
    rte_pktmbuf_attach_extbuf(m, q->payload, RTE_BAD_IOVA, q->len, &loan->shinfo);
    m->data_len = q->len;
    m->pkt_len = q->len;
    if (i++ > 0) {
      ms[i - 2]->next = m;
      ms[0]->nb_segs++;
      ms[0]->pkt_len += q->len;
    }
  }
  return ms[0];
}

/* Lent: a frame in one pbuf of at least TX_LOAN_MIN, and a frame too large for one mbuf
 * (memif above a 9000 MTU: a copy would be a chain of mbufs anyway). Not while faults
 * are injected: a corrupted frame would corrupt its retransmission. */
static bool lend(const struct pbuf *p) {
  if (!tx_lends || gz_loop.faults_on) return false;
  return p->next == NULL ? p->len >= TX_LOAN_MIN : p->tot_len > GZ_MBUF_MTU + RTE_ETHER_HDR_LEN;
}

/* Hands a frame to the port, lent or copied into mbufs: ERR_OK, or ERR_MEM when there is
 * no mbuf to spare. */
static err_t frame_out(struct pbuf *p) {
  if (lend(p)) {
    struct rte_mbuf *lent = tx_lend(p);
    if (lent) {
      gz_port_tx(lent);
      return ERR_OK;
    }
  }
  struct rte_mbuf *m = gz_port_alloc();
  if (!m) return ERR_MEM;
  if (p->tot_len > rte_pktmbuf_tailroom(m)) {
    rte_pktmbuf_free(m);
    m = tx_chain(p);
    if (!m) return ERR_MEM;
  } else {
    pbuf_copy_partial(p, rte_pktmbuf_append(m, p->tot_len), p->tot_len, 0);
  }
  if (tx_cksum_offload) gz_port_request_cksum(m);
  gz_port_tx(m);
  return ERR_OK;
}

/* Frames LwIP sent while the pool had no mbuf to spare for sending (gz_port_alloc keeps
 * what receiving needs): held as pbufs, in order, and handed out once mbufs are free
 * again (gz_netif_tx_flush, each flush). A burst (10,000 connections closing at once)
 * then waits in LwIP's memory instead of being lost and resent at each connection's
 * RTO. A held TCP segment is busy for LwIP (its pbuf is referenced): not rewritten. */
static struct {
  struct pbuf **q;
  uint32_t head, len, cap; /* cap: a power of two */
} held;

static err_t hold(struct pbuf *p) {
  if (held.len == held.cap) {
    uint32_t cap = held.cap ? held.cap * 2 : 1024;
    struct pbuf **q = malloc(cap * sizeof(*q));
    if (!q) return ERR_MEM;
    for (uint32_t i = 0; i < held.len; i++) q[i] = held.q[(held.head + i) & (held.cap - 1)];
    free(held.q);
    held.q = q;
    held.head = 0;
    held.cap = cap;
  }
  pbuf_ref(p);
  held.q[(held.head + held.len++) & (held.cap - 1)] = p;
  return ERR_OK;
}

void gz_netif_tx_flush(void) {
  while (held.len) {
    struct pbuf *p = held.q[held.head & (held.cap - 1)];
    if (frame_out(p) == ERR_MEM) return;
    held.head++;
    held.len--;
    pbuf_free(p);
  }
}

unsigned gz_netif_tx_deferred(void) { return held.len; }

static void drop_held(void) {
  for (; held.len; held.len--, held.head++) pbuf_free(held.q[held.head & (held.cap - 1)]);
  free(held.q);
  memset(&held, 0, sizeof(held));
}

static err_t linkoutput(struct netif *nif, struct pbuf *p) {
  if (unlikely(gz_neigh_intercept(p->payload, p->len))) return ERR_OK; /* af_xdp: the kernel resolves */
  if (held.len) return hold(p); /* behind frames already held: in order */
  err_t e = frame_out(p);
  return e == ERR_MEM ? hold(p) : e;
}

static err_t igmp_filter(struct netif *nif, const ip4_addr_t *group, enum netif_mac_filter_action a) {
  return ERR_OK; /* the port is all-multicast */
}

static err_t netif_setup(struct netif *nif) {
  nif->name[0] = 'g';
  nif->name[1] = 'z';
  nif->output = etharp_output;
  nif->linkoutput = linkoutput;
  nif->hwaddr_len = ETH_HWADDR_LEN;
  nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP;
  netif_set_igmp_mac_filter(nif, igmp_filter);
  return ERR_OK;
}

int gz_netif_open(uint32_t ip, uint32_t netmask, uint32_t gw, const uint8_t mac[6], uint16_t mtu,
                  bool cksum_offload, struct gz_error *err) {
  gz_isn_rekey(); /* each stack its own secret for its sequence numbers */
  if (!lwip_ready) {
    lwip_init();
    lwip_ready = true;
  }
  ip4_addr_t a, m, g;
  ip4_addr_set_u32(&a, lwip_htonl(ip));
  ip4_addr_set_u32(&m, lwip_htonl(netmask));
  ip4_addr_set_u32(&g, lwip_htonl(gw));
  memset(&netif, 0, sizeof(netif));
  if (!netif_add(&netif, &a, &m, &g, NULL, netif_setup, ethernet_input))
    return gz_fail(err, "ERR_GAZELLE_DEVICE", "netif_add failed");
  netif_added = true;
  memcpy(netif.hwaddr, mac, 6);
  netif.mtu = mtu;
  tx_cksum_offload = cksum_offload;
  tx_lends = gz_port_tx_copies() && !cksum_offload; /* offload requests write the headers */
  /* Received checksums are always checked: a corrupt frame is counted and dropped. */
  NETIF_SET_CHECKSUM_CTRL(&netif, cksum_offload ? NETIF_CHECKSUM_CHECK_IP | NETIF_CHECKSUM_CHECK_UDP |
                                                      NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_ICMP |
                                                      NETIF_CHECKSUM_GEN_ICMP
                                                : NETIF_CHECKSUM_ENABLE_ALL);
  netif_set_default(&netif);
  netif_set_up(&netif);
  netif_set_link_up(&netif);
  etharp_gratuitous(&netif);
  return 0;
}

void gz_netif_skip_checksums(void) { NETIF_SET_CHECKSUM_CTRL(&netif, NETIF_CHECKSUM_DISABLE_ALL); }

void gz_netif_close(void) {
  drop_held();
  if (!netif_added) return;
  etharp_cleanup_netif(&netif);
  netif_remove(&netif);
  netif_added = false;
}

void gz_netif_poll_loopback(void) {
  if (netif_added) netif_poll(&netif);
}

void gz_netif_input(void **mbufs, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    struct rte_mbuf *m = mbufs[i];
    struct pbuf *p = m->nb_segs == 1 ? rx_pbuf(m) : rx_chain(m);
    if (!p) {
      gz_loop.rx_dropped++;
      continue;
    }
    if (netif.input(p, &netif) != ERR_OK) {
      gz_loop.rx_dropped++;
      pbuf_free(p);
    }
  }
}
