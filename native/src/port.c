/* One DPDK ethdev made from a vdev (memif, tap, af_packet), its mbuf pool,
 * and a tx buffer drained once per poll. */
#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_packet.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include "gazelle.h"
#include "xdp.h"
#include "lwip/pbuf.h"

#define TX_BURST 32
/* Bytes queued that make a burst too: a burst of 32 jumbo frames (memif up to 65000) is
 * a whole 2 MiB window, and the peer would get none of it (nor the ACKs among it) until
 * the sender had built all of it. */
#define TX_BURST_BYTES (64 * 1024)
#define TX_RETRIES 8
#define XDP_HEADROOM 256 /* XDP_PACKET_HEADROOM: the kernel's, inside each AF_XDP frame */

static struct {
  bool open;
  uint16_t id;
  char vdev[64];
  struct rte_mempool *pool;
  bool tx_cksum;
  bool rx_intr;
  int wake_fd;           /* net_af_packet: its packet socket stands in for an rx interrupt */
  int packet_fd;         /* net_af_packet: that socket (its ring's drops are rx_missed), or -1 */
  uint64_t packet_drops; /* frames the kernel dropped for a full rx ring, read so far */
  bool tx_kick_costly;   /* net_af_packet, net_af_xdp (copy mode): every tx_burst ends in a sendto() */
  bool tx_copies;        /* net_memif, net_af_packet: tx_burst copies every frame out */
  bool peer_polls;       /* net_memif: frames come from a polling peer through shared memory */
  bool probed;
  uint16_t queues; /* rx/tx queue pairs (af_xdp: one socket each) */
  uint16_t next_rxq;
  bool started; /* a probed (PCI) port: stopped at close, not removed */
  /* Frames waiting for the tx ring: a FIFO that survives a full ring, so a
   * slow peer delays frames instead of losing them (TCP's window bounds it). */
  struct rte_mbuf *tx[GZ_TX_BACKLOG];
  uint32_t tx_head, tx_len;
  uint32_t tx_bytes; /* queued since the last flush (TX_BURST_BYTES) */
  uint64_t tx_dropped;
  uint64_t tx_handed;     /* frames the tx ring took (latency: JS write -> tx) */
  unsigned rx_reserve;    /* mbufs sending must leave to receiving (gz_port_alloc) */
  uint64_t tx_nombuf;     /* mbufs refused to tx: the rest of the pool is receiving's */
  bool memif_client;      /* reconnects while its link is down (gz_port_maintain) */
  uint64_t reconnect_tsc; /* when gz_port_maintain may try again */
  uint64_t reconnects;    /* reconnection attempts */
  bool link_down_seen;    /* the link was down at gz_port_maintain's last check */
} port;

static unsigned pool_counter;

/* A memif client retries its connection while its link is down (gz_port_maintain):
 * every 250 ms while no server accepts on the socket, and 1 s after a start that did
 * connect, which is the time the handshake gets. The handshake runs on DPDK's
 * interrupt thread: a stop in the middle of it frees what that thread is using (a
 * client crashed in rx_burst, and its restarted server aborted, when a loaded
 * machine's handshake took longer than 250 ms). */
#define RECONNECT_MS 250
#define HANDSHAKE_MS 1000
static uint64_t tsc_after(unsigned ms) { return rte_rdtsc() + rte_get_tsc_hz() / 1000 * ms; }

/* The private area holds the LwIP custom pbuf that wraps the mbuf on rx. */
#define MBUF_PRIV RTE_ALIGN(sizeof(struct pbuf_custom) + sizeof(void *), RTE_MBUF_PRIV_ALIGN)
/* Frame bytes around the MTU that one mbuf makes room for. */
#define FRAME_EXTRA (RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 2 * RTE_VLAN_HLEN)

/* The largest MTU whose AF_XDP frame fits: DPDK 22.11's net_af_xdp uses each pool
 * element as one UMEM chunk (at most a page, no multi-buffer), and the kernel keeps
 * XDP_HEADROOM in front of the packet. */
uint32_t gz_port_af_xdp_max_mtu(void) {
  uint32_t mtu = 4096;
  while (mtu > RTE_ETHER_MIN_MTU &&
         rte_mempool_calc_obj_size(
             sizeof(struct rte_mbuf) + MBUF_PRIV + RTE_PKTMBUF_HEADROOM + XDP_HEADROOM + mtu + FRAME_EXTRA, 0,
             NULL) > (size_t)getpagesize())
    mtu -= 2;
  return mtu;
}

/* net_af_packet (DPDK 22.11) has no rx interrupt, but each of its queues is a packet
 * socket with an rx ring, and the kernel reports that socket readable while the ring
 * holds frames: waiting on it wakes a sleeping loop as soon as a frame arrives, as a
 * kernel socket would, instead of on the next timer tick. The PMD keeps the fd to
 * itself; it is the one AF_PACKET socket of this process bound to the interface named
 * in the vdev arguments ("iface=NAME"). -1 if there is none. */
static int packet_socket_fd(const char *vdev_args) {
  const char *at = strstr(vdev_args, "iface=");
  if (!at) return -1;
  char name[IF_NAMESIZE] = {0};
  size_t len = strcspn(at + 6, ",");
  if (len == 0 || len >= sizeof(name)) return -1;
  memcpy(name, at + 6, len);
  int ifindex = (int)if_nametoindex(name);
  if (ifindex == 0) return -1;
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  for (struct dirent *e; found < 0 && (e = readdir(dir)) != NULL;) {
    int fd = atoi(e->d_name);
    struct stat st;
    if (fd < 0 || fd == dirfd(dir) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int domain = 0;
    socklen_t dlen = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) != 0 || domain != AF_PACKET) continue;
    struct sockaddr_ll ll;
    socklen_t llen = sizeof(ll);
    memset(&ll, 0, sizeof(ll));
    if (getsockname(fd, (struct sockaddr *)&ll, &llen) == 0 && ll.sll_ifindex == ifindex) found = fd;
  }
  closedir(dir);
  return found;
}

static int port_fail(struct gz_error *err, const char *code, const char *what, int rc) {
  gz_fail(err, code, "%s failed for %s: %s", what, port.vdev, rte_strerror(rc < 0 ? -rc : rc));
  gz_port_close();
  return -1;
}

int gz_port_open(const struct gz_port_config *cfg, struct gz_error *err) {
  if (port.open) return gz_fail(err, "ERR_GAZELLE_STACK_OPEN", "a port is already open");
  memset(&port, 0, sizeof(port));
  port.wake_fd = -1;
  port.packet_fd = -1;
  snprintf(port.vdev, sizeof(port.vdev), "%s", cfg->vdev_name);

  /* A real NIC was probed by EAL (its -a argument): use it as it is. */
  port.probed = rte_eth_dev_get_port_by_name(cfg->vdev_name, &port.id) == 0;
  int rc = port.probed ? 0 : rte_vdev_init(cfg->vdev_name, cfg->vdev_args);
  if (rc < 0) {
    return gz_fail(err, "ERR_GAZELLE_DEVICE", "could not create device %s (%s): %s", cfg->vdev_name,
                   cfg->vdev_args, rte_strerror(-rc));
  }
  port.open = true;
  if (rte_eth_dev_get_port_by_name(cfg->vdev_name, &port.id) != 0)
    return port_fail(err, "ERR_GAZELLE_DEVICE", "port lookup", ENODEV);

  struct rte_eth_dev_info info;
  rc = rte_eth_dev_info_get(port.id, &info);
  if (rc != 0) return port_fail(err, "ERR_GAZELLE_DEVICE", "rte_eth_dev_info_get", rc);

  char pool_name[RTE_MEMPOOL_NAMESIZE];
  snprintf(pool_name, sizeof(pool_name), "gz_pool_%u", pool_counter++);
  uint16_t priv = MBUF_PRIV;
  /* One mbuf holds one whole frame, jumbo frames included; above a 9000 MTU (memif
   * only), frames are chains of 9 KB mbufs: 64 KB per mbuf would make the pool 7x
   * larger for the same count, and most frames (ACKs, requests) are small. */
  uint32_t room = (cfg->mtu > GZ_MBUF_MTU ? GZ_MBUF_MTU : cfg->mtu) + FRAME_EXTRA;
  uint32_t max_mtu = info.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
  bool af_xdp = strcmp(info.driver_name, "net_af_xdp") == 0;
  if (af_xdp) {
    /* The mbuf is the AF_XDP frame (one UMEM chunk, at most a page in DPDK 22.11, no
     * multi-buffer), and the kernel keeps its own headroom in front of the packet. */
    room += XDP_HEADROOM;
    if (gz_port_af_xdp_max_mtu() < max_mtu) max_mtu = gz_port_af_xdp_max_mtu();
  }
  if (cfg->mtu > max_mtu && strcmp(info.driver_name, "net_memif") != 0) {
    gz_fail(err, "ERR_GAZELLE_MTU", "MTU %u is above the largest %s takes (%u)%s", cfg->mtu, port.vdev,
            max_mtu, af_xdp ? ": AF_XDP frames in DPDK 22.11 are one page, without multi-buffer" : "");
    gz_port_close();
    return -1;
  }
  if (room < RTE_MBUF_DEFAULT_DATAROOM) room = RTE_MBUF_DEFAULT_DATAROOM;
  port.pool = rte_pktmbuf_pool_create(pool_name, cfg->mbufs, 256, priv,
                                      (uint16_t)(room + RTE_PKTMBUF_HEADROOM), (int)rte_socket_id());
  if (!port.pool) {
    return port_fail(err, "ERR_GAZELLE_NO_HUGEPAGES", "mbuf pool allocation (hugepages)", rte_errno);
  }

  uint64_t cksum =
      RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof(conf));
  /* net_memif advertises a 1514-byte frame yet carries larger ones (buffers are
   * chained): ethdev gets what the PMD claims, the netif the MTU asked for. */
  conf.rxmode.mtu = cfg->mtu;
  if (conf.rxmode.mtu > max_mtu && strcmp(info.driver_name, "net_memif") == 0) conf.rxmode.mtu = max_mtu;
  if ((info.tx_offload_capa & cksum) == cksum) {
    conf.txmode.offloads |= cksum;
    port.tx_cksum = true;
  }
  port.queues = cfg->queues ? cfg->queues : 1;
  conf.intr_conf.rxq = cfg->rx_intr && port.queues == 1 ? 1 : 0;

  rc = rte_eth_dev_configure(port.id, port.queues, port.queues, &conf);
  if (rc < 0 && conf.intr_conf.rxq) {
    conf.intr_conf.rxq = 0; /* this port cannot interrupt: poll it */
    rc = rte_eth_dev_configure(port.id, port.queues, port.queues, &conf);
  }
  port.rx_intr = conf.intr_conf.rxq == 1;
  if (rc < 0) return port_fail(err, "ERR_GAZELLE_DEVICE", "rte_eth_dev_configure", rc);

  uint16_t rxd = cfg->rx_desc, txd = cfg->tx_desc;
  rte_eth_dev_adjust_nb_rx_tx_desc(port.id, &rxd, &txd);
  port.rx_reserve = (unsigned)rxd * port.queues + 512;
  int socket = rte_eth_dev_socket_id(port.id);
  if (socket < 0) socket = (int)rte_socket_id();
  struct rte_eth_txconf txconf = info.default_txconf;
  txconf.offloads = conf.txmode.offloads;
  for (uint16_t q = 0; q < port.queues; q++) {
    rc = rte_eth_rx_queue_setup(port.id, q, rxd, (unsigned)socket, NULL, port.pool);
    if (rc < 0) return port_fail(err, "ERR_GAZELLE_DEVICE", "rx queue setup", rc);
    rc = rte_eth_tx_queue_setup(port.id, q, txd, (unsigned)socket, &txconf);
    if (rc < 0) return port_fail(err, "ERR_GAZELLE_DEVICE", "tx queue setup", rc);
  }

  rc = rte_eth_dev_start(port.id);
  if (rc < 0) return port_fail(err, "ERR_GAZELLE_DEVICE", "rte_eth_dev_start", rc);
  port.started = true;
  rte_eth_allmulticast_enable(port.id);
  port.tx_copies =
      strcmp(info.driver_name, "net_memif") == 0 || strcmp(info.driver_name, "net_af_packet") == 0;
  port.peer_polls = strcmp(info.driver_name, "net_memif") == 0;
  port.memif_client =
      strcmp(info.driver_name, "net_memif") == 0 && cfg->vdev_args && strstr(cfg->vdev_args, "role=client");
  /* The handshake the start began gets its time before any reconnection attempt. */
  port.reconnect_tsc = tsc_after(HANDSHAKE_MS);
  if (strcmp(info.driver_name, "net_af_packet") == 0) {
    port.tx_kick_costly = true;
    port.packet_fd = packet_socket_fd(cfg->vdev_args);
    if (cfg->rx_intr) port.wake_fd = port.packet_fd;
  }
  /* net_af_xdp has no rx interrupt either (its socket is readable while frames wait),
   * and a copy-mode socket transmits in sendto(). */
  if (af_xdp) {
    port.tx_kick_costly = true;
    if (cfg->rx_intr && port.queues == 1) port.wake_fd = gz_xdp_socket_fd();
  }
  return 0;
}

/* Frees what the tx backlog holds: at close, and while the link is down (frames have
 * nowhere to go: like a NIC, drop them rather than keep the poll loop spinning). */
static void drop_backlog(void) {
  for (; port.tx_len; port.tx_len--, port.tx_head++) {
    rte_pktmbuf_free(port.tx[port.tx_head & (GZ_TX_BACKLOG - 1)]);
    port.tx_dropped++;
  }
}

void gz_port_close(void) {
  if (!port.open) return;
  gz_faults_reset(); /* frames it holds are the pool's */
  gz_port_flush();
  drop_backlog();
  uint16_t id;
  if (rte_eth_dev_get_port_by_name(port.vdev, &id) == 0) {
    if (port.started) rte_eth_dev_stop(id);
    if (!port.probed) rte_eth_dev_close(id);
  }
  if (!port.probed) rte_vdev_uninit(port.vdev);
  if (port.pool) rte_mempool_free(port.pool);
  port.pool = NULL;
  port.wake_fd = -1;
  port.packet_fd = -1;
  port.open = false;
}

void gz_port_mac(uint8_t mac[6]) {
  struct rte_ether_addr a;
  rte_eth_macaddr_get(port.id, &a);
  memcpy(mac, a.addr_bytes, 6);
}

int gz_port_set_mac(const uint8_t mac[6]) {
  struct rte_ether_addr a;
  memcpy(a.addr_bytes, mac, 6);
  return rte_eth_dev_default_mac_addr_set(port.id, &a);
}

bool gz_port_link_up(void) {
  struct rte_eth_link link;
  if (rte_eth_link_get_nowait(port.id, &link) != 0) return false;
  return link.link_status == RTE_ETH_LINK_UP;
}

bool gz_port_tx_cksum_offload(void) { return port.tx_cksum; }

/* A memif client whose server went away stays disconnected: DPDK's PMD connects to the
 * socket only when the port starts. While the link is down, the port is stopped and
 * started again every 250 ms (1 s after a start that reached a server), which connects
 * anew: the link comes back within about half a second of a server listening on the
 * socket again (a restarted peer). Frames meanwhile wait in
 * the tx backlog or are dropped with it (gz_port_flush), as on a cable pulled out. */
void gz_port_maintain(void) {
  if (!port.memif_client || !port.started) return;
  if (rte_rdtsc() < port.reconnect_tsc) return;
  port.reconnect_tsc = tsc_after(RECONNECT_MS);
  /* Down at two checks in a row: a link that just went down may still be in DPDK's
   * disconnect on the interrupt thread, which a stop here would run a second time. */
  bool was_down = port.link_down_seen;
  port.link_down_seen = !gz_port_link_up();
  if (!port.link_down_seen || !was_down) return;
  port.reconnects++;
  /* Quiet: a failed attempt logs an error each time (the link's state is logged once,
   * by the stack's health monitor). */
  int types[2] = {rte_log_register("pmd.net.memif"), rte_log_register("lib.ethdev")};
  int levels[2];
  for (int i = 0; i < 2; i++) {
    levels[i] = rte_log_get_level(types[i]);
    rte_log_set_level(types[i], RTE_LOG_CRIT);
  }
  rte_eth_dev_stop(port.id);
  /* The start fails while no server listens (connect() refused): tried again soon.
   * When it connects, the handshake gets its time. */
  bool connected = rte_eth_dev_start(port.id) == 0;
  port.reconnect_tsc = tsc_after(connected ? HANDSHAKE_MS : RECONNECT_MS);
  for (int i = 0; i < 2; i++) rte_log_set_level(types[i], (uint32_t)levels[i]);
}

uint16_t gz_port_rx(void **mbufs, uint16_t n) {
  uint16_t got;
  if (likely(port.queues == 1)) {
    got = rte_eth_rx_burst(port.id, 0, (struct rte_mbuf **)mbufs, n);
  } else { /* every queue in turn, starting from a different one each time */
    got = 0;
    for (uint16_t i = 0; i < port.queues && got < n; i++) {
      uint16_t q = (uint16_t)((port.next_rxq + i) % port.queues);
      got += rte_eth_rx_burst(port.id, q, (struct rte_mbuf **)mbufs + got, (uint16_t)(n - got));
    }
    port.next_rxq = (uint16_t)((port.next_rxq + 1) % port.queues);
  }
  if (unlikely(gz_loop.capture_on)) {
    for (uint16_t i = 0; i < got && gz_loop.capture_on; i++) gz_capture_frame(mbufs[i]);
  }
  if (unlikely(gz_loop.faults_on)) got = (uint16_t)gz_faults_rx(mbufs, got, n);
  return got;
}

/* Frames waiting in the tx backlog must not take the mbufs receiving needs: two stacks
 * whose backlogs hold their whole pools wait on each other forever (neither can take
 * the frames that would let the other's ring drain; seen closing 10,000 connections at
 * once over memif). Past a large backlog, a tx mbuf comes only from what is above the
 * rx reserve; else the netif keeps the frame until there is one (netif.c, deferred). */
#define TX_BACKLOG_CHECK 1024

void *gz_port_alloc(void) {
  if (unlikely(port.tx_len >= TX_BACKLOG_CHECK) && rte_mempool_avail_count(port.pool) <= port.rx_reserve) {
    port.tx_nombuf++;
    return NULL;
  }
  return rte_pktmbuf_alloc(port.pool);
}

void *gz_port_copy(void *mbuf) { return rte_pktmbuf_copy(mbuf, port.pool, 0, UINT32_MAX); }

/* LwIP's limit on one connection's out-of-order queue (lwipopts.h): its segments pin
 * received mbufs, so it follows what the pool has free. */
uint16_t gz_ooseq_pbufs_limit(void) {
  unsigned free = port.pool ? rte_mempool_avail_count(port.pool) / 2 : 0;
  return (uint16_t)(free < 64 ? 64 : free > UINT16_MAX ? UINT16_MAX : free);
}

void gz_port_flush(void) {
  if (unlikely(gz_loop.faults_on)) gz_faults_tx_release();
  port.tx_bytes = 0;
  for (int stalls = 0; port.tx_len && stalls < TX_RETRIES;) {
    uint32_t first = port.tx_head & (GZ_TX_BACKLOG - 1);
    uint32_t n = port.tx_len;
    if (n > GZ_TX_BACKLOG - first) n = GZ_TX_BACKLOG - first; /* up to the wrap */
    if (n > UINT16_MAX) n = UINT16_MAX;
    uint16_t sent = rte_eth_tx_burst(port.id, 0, port.tx + first, (uint16_t)n);
    port.tx_head += sent;
    port.tx_len -= sent;
    port.tx_handed += sent;
    if (sent < n) stalls++; /* ring full: retry a little, then leave it for the next poll */
  }
  if (port.tx_len && !gz_port_link_up()) drop_backlog();
}

unsigned gz_port_tx_pending(void) {
  return port.tx_len + gz_netif_tx_deferred() + (gz_loop.faults_on ? gz_faults_held() : 0);
}

/* The PMD copies frames into its ring and then kicks the kernel with one sendto() per
 * tx_burst: one kick per poll instead of one per answered socket saves a system call
 * per request under load (the frames wait for the poll's last JS call, no longer). */
bool gz_port_tx_kick_costly(void) { return port.tx_kick_costly; }

/* memif and af_packet copy each frame out of its mbuf inside tx_burst, then free it:
 * an mbuf may point at memory that is not the pool's (an external buffer). Not so for
 * af_xdp (an mbuf of its pool is a UMEM frame) or a NIC (DMA needs the IOVA). */
bool gz_port_tx_copies(void) { return port.tx_copies; }

/* memif's frames are written into shared memory by a peer process that polls too: no
 * kernel work on this core (softirq, a relay's copy) delivers them, so spinning longer
 * on the ring only waits for the peer, it never holds its frames up. */
bool gz_port_peer_polls(void) { return port.peer_polls; }

/* net_af_packet, net_af_xdp: a sleeping loop waits on the queue's socket (wake_fd). */
bool gz_port_socket_wake(void) { return port.wake_fd >= 0; }

uint64_t gz_port_tx_handed(void) { return port.tx_handed; }

/* Checksums of IPv4/TCP/UDP are left to the port: the IP header checksum is
 * zeroed and the L4 field holds the pseudo-header sum, as DPDK requires. */
void gz_port_request_cksum(void *mbuf) {
  struct rte_mbuf *m = mbuf;
  if (m->data_len < sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr)) return;
  struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
  if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) return;
  struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
  if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) {
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip); /* fragments: software, no L4 offload */
    return;
  }
  m->l2_len = sizeof(*eth);
  m->l3_len = rte_ipv4_hdr_len(ip);
  m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
  ip->hdr_checksum = 0;
  uint8_t *l4 = (uint8_t *)ip + m->l3_len;
  if (ip->next_proto_id == IPPROTO_TCP) {
    m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
    ((struct rte_tcp_hdr *)l4)->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
  } else if (ip->next_proto_id == IPPROTO_UDP) {
    m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
    ((struct rte_udp_hdr *)l4)->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
  }
}

void gz_port_tx(void *mbuf) {
  if (unlikely(gz_loop.faults_on)) gz_faults_tx(mbuf);
  else gz_port_tx_now(mbuf);
}

void gz_port_tx_now(void *mbuf) {
  if (unlikely(gz_loop.capture_on)) gz_capture_frame(mbuf);
  if (port.tx_len == GZ_TX_BACKLOG) {
    gz_port_flush();
    if (port.tx_len == GZ_TX_BACKLOG) { /* the peer is not draining at all */
      rte_pktmbuf_free(mbuf);
      port.tx_dropped++;
      return;
    }
  }
  port.tx[(port.tx_head + port.tx_len) & (GZ_TX_BACKLOG - 1)] = mbuf;
  port.tx_len++;
  port.tx_bytes += ((struct rte_mbuf *)mbuf)->pkt_len;
  if (port.tx_len >= TX_BURST || port.tx_bytes >= TX_BURST_BYTES) gz_port_flush();
}

int gz_port_rx_intr_fd(void) {
  if (port.wake_fd >= 0) return port.wake_fd;
  if (!port.rx_intr) return -1;
  /* Ports without interrupt support log an error here: asking is the only test. */
  int logtype = rte_log_register("lib.ethdev");
  int level = rte_log_get_level(logtype);
  rte_log_set_level(logtype, RTE_LOG_CRIT);
  int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port.id, 0);
  rte_log_set_level(logtype, (uint32_t)level);
  return fd < 0 ? -1 : fd;
}

int gz_port_rx_intr_enable(bool on) {
  if (port.wake_fd >= 0) return 0; /* a socket is always armed */
  return on ? rte_eth_dev_rx_intr_enable(port.id, 0) : rte_eth_dev_rx_intr_disable(port.id, 0);
}

/* Frames the kernel dropped because the packet socket's rx ring was full (the PMD of
 * DPDK 22.11 does not report them): a process that does not poll for a while (busy in
 * JS, descheduled) loses what arrives meanwhile, and its peers retransmit. Reading the
 * statistics resets them, so they are summed here. */
static uint64_t packet_drops(void) {
  if (port.packet_fd < 0) return 0;
  struct tpacket_stats st;
  socklen_t len = sizeof(st);
  if (getsockopt(port.packet_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
    port.packet_drops += st.tp_drops;
  return port.packet_drops;
}

void gz_port_counters(struct gz_port_counters *c) {
  memset(c, 0, sizeof(*c));
  if (!port.open) return;
  struct rte_eth_stats st;
  if (rte_eth_stats_get(port.id, &st) == 0) {
    c->rx_packets = st.ipackets;
    c->tx_packets = st.opackets;
    c->rx_bytes = st.ibytes;
    c->tx_bytes = st.obytes;
    c->rx_missed = st.imissed + packet_drops();
    c->rx_errors = st.ierrors;
    c->tx_errors = st.oerrors;
    c->rx_nombuf = st.rx_nombuf;
  }
  c->tx_dropped = port.tx_dropped;
  c->tx_nombuf = port.tx_nombuf;
  c->reconnects = port.reconnects;
  c->tx_backlog = port.tx_len;
  c->pool_size = port.pool->size;
  c->pool_free = rte_mempool_avail_count(port.pool);
  c->pool_in_use = rte_mempool_in_use_count(port.pool);
}
