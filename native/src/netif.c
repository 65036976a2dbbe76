/* The LwIP network interface over the DPDK port: received mbufs become pbufs
 * without a copy (a custom pbuf in the mbuf's private area), and frames LwIP
 * sends are copied into one mbuf each and queued on the port's tx buffer. */
#include <string.h>

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

static void rx_pbuf_free(struct pbuf *p) {
  struct rx_pbuf *rp = (struct rx_pbuf *)p;
  rte_pktmbuf_free(rp->mbuf);
}

/* Copies a frame into an mbuf for the port: ERR_OK, ERR_MEM (no mbuf to spare) or
 * ERR_BUF (larger than an mbuf). */
static err_t frame_out(struct pbuf *p) {
  struct rte_mbuf *m = gz_port_alloc();
  if (!m) return ERR_MEM;
  if (p->tot_len > rte_pktmbuf_tailroom(m)) {
    rte_pktmbuf_free(m);
    return ERR_BUF;
  }
  char *dst = rte_pktmbuf_append(m, p->tot_len);
  pbuf_copy_partial(p, dst, p->tot_len, 0);
  if (tx_cksum_offload) gz_port_request_cksum(m);
  gz_port_tx(m);
  return ERR_OK;
}

/* Frames LwIP sent while the pool had no mbuf to spare for sending (gz_port_alloc keeps
 * what receiving needs): held as pbufs, in order, and copied out once mbufs are free
 * again (gz_netif_tx_flush, each flush). A burst (10,000 connections closing at once)
 * then waits in LwIP's memory instead of being lost and resent at each connection's
 * RTO. A held TCP segment is busy for LwIP (its pbuf is referenced): not rewritten. */
static struct {
  struct pbuf **q;
  uint32_t head, len, cap;   /* cap: a power of two */
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
  if (unlikely(gz_neigh_intercept(p->payload, p->len))) return ERR_OK;   /* af_xdp: the kernel resolves */
  if (held.len) return hold(p);   /* behind frames already held: in order */
  err_t e = frame_out(p);
  return e == ERR_MEM ? hold(p) : e;
}

static err_t igmp_filter(struct netif *nif, const ip4_addr_t *group, enum netif_mac_filter_action a) {
  return ERR_OK;   /* the port is all-multicast */
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

int gz_netif_open(uint32_t ip, uint32_t netmask, uint32_t gw, const uint8_t mac[6],
                  uint16_t mtu, bool cksum_offload, struct gz_error *err) {
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
  /* Received checksums are always checked: a corrupt frame is counted and dropped. */
  NETIF_SET_CHECKSUM_CTRL(&netif, cksum_offload
                                      ? NETIF_CHECKSUM_CHECK_IP | NETIF_CHECKSUM_CHECK_UDP |
                                            NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_ICMP |
                                            NETIF_CHECKSUM_GEN_ICMP
                                      : NETIF_CHECKSUM_ENABLE_ALL);
  netif_set_default(&netif);
  netif_set_up(&netif);
  netif_set_link_up(&netif);
  etharp_gratuitous(&netif);
  return 0;
}

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
    struct pbuf *p;
    bool zero_copy = m->nb_segs == 1;
    if (zero_copy) {
      struct rx_pbuf *rp = rte_mbuf_to_priv(m);
      rp->custom.custom_free_function = rx_pbuf_free;
      rp->mbuf = m;
      p = pbuf_alloced_custom(PBUF_RAW, m->data_len, PBUF_REF, &rp->custom,
                              rte_pktmbuf_mtod(m, void *), m->data_len);
    } else {   /* a chained (jumbo) frame: copy it into one pbuf */
      p = pbuf_alloc(PBUF_RAW, (u16_t)m->pkt_len, PBUF_RAM);
      if (p) {
        uint16_t off = 0;
        for (struct rte_mbuf *s = m; s; s = s->next) {
          pbuf_take_at(p, rte_pktmbuf_mtod(s, void *), s->data_len, off);
          off += s->data_len;
        }
      }
      rte_pktmbuf_free(m);
    }
    if (!p) {
      gz_loop.rx_dropped++;
      if (zero_copy) rte_pktmbuf_free(m);
      continue;
    }
    if (netif.input(p, &netif) != ERR_OK) {
      gz_loop.rx_dropped++;
      pbuf_free(p);
    }
  }
}
