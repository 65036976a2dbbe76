/* The UDP socket table: LwIP udp_pcbs behind small integer ids that JS holds.
 * Received datagrams go into the event batch (zero-copy: the pbufs still point
 * into the mbufs) with their source address; sends copy the JS buffers into one
 * pbuf, and LwIP fragments what exceeds the MTU. Functions return 0 (or a
 * count) on success and -errno on failure, so JS can name the error like Node. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gazelle.h"
#include "xdp.h"
#include "lwip/igmp.h"
#include "lwip/ip4.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/udp.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/udp.h"

/* Linux's defaults (net.core.rmem_default / wmem_default, ip_default_ttl). */
#define DEFAULT_BUFFER 212992
#define DEFAULT_TTL 64
#define DEFAULT_MULTICAST_TTL 1
/* Sends are refused (JS queues them) while the port's tx backlog holds more
 * frames than this: half of it, the rest stays for TCP. */
#define TX_BACKLOG_LIMIT (GZ_TX_BACKLOG / 2)
#define MAX_DATAGRAM 65507 /* 65535 - IP header - UDP header */

struct membership {
  uint32_t group;
};

struct udp_sock {
  struct udp_pcb *pcb;
  bool live;
  bool broadcast;       /* SO_BROADCAST: may send to broadcast addresses */
  bool blocked;         /* a send was refused: JS waits for GZ_EV_UDP_WRITABLE */
  bool touched;         /* in the touched list (sent since the last flush) */
  uint32_t recv_buffer; /* bytes of datagrams one batch may hold for this socket */
  uint32_t send_buffer; /* bytes this socket may send between two flushes */
  uint32_t batch_gen;   /* batch generation batch_bytes counts for */
  uint32_t batch_bytes;
  uint32_t sent_bytes; /* since the last flush */
  struct membership *groups;
  uint32_t ngroups;
  struct gz_udp_counters counters;
};

static struct udp_sock *socks;
static uint32_t capacity;
static uint32_t live;
static struct gz_ids ids;
static uint32_t *touched;
static uint32_t touched_len, touched_cap;
static uint64_t rx_dropped_total; /* datagrams over a socket's receive buffer */

static struct udp_sock *sock(uint32_t id) { return id < capacity && socks[id].live ? &socks[id] : NULL; }

static void ip_from_host(ip_addr_t *out, uint32_t ip) { ip_addr_set_ip4_u32(out, lwip_htonl(ip)); }

static uint32_t ip_to_host(const ip_addr_t *ip) { return lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(ip))); }

static int from_lwip(err_t e) {
  switch (e) {
    case ERR_OK: return 0;
    case ERR_USE: return -EADDRINUSE;
    case ERR_RTE: return -ENETUNREACH;
    case ERR_MEM:
    case ERR_BUF: return -EAGAIN; /* out of pbufs or mbufs for now: retried after a poll */
    case ERR_VAL:
    case ERR_ARG: return -EINVAL;
    default: return -EIO;
  }
}

/* ---- receiving ---- */

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port) {
  uint32_t id = GZ_ARG_ID(arg);
  struct udp_sock *s = sock(id);
  if (!s) {
    pbuf_free(p);
    return;
  }
  uint32_t gen = gz_events_generation();
  if (s->batch_gen != gen) {
    s->batch_gen = gen;
    s->batch_bytes = 0;
  }
  struct gz_event *ev = NULL;
  if (s->batch_bytes + p->tot_len <= s->recv_buffer) ev = gz_events_push(GZ_EV_UDP_MESSAGE, id);
  if (!ev) { /* JS would hold more than its receive buffer, or no memory: drop, like a full socket */
    s->counters.rx_dropped++;
    rx_dropped_total++;
    pbuf_free(p);
    return;
  }
  gz_event_add_data(ev, p);
  ev->b = (double)ip_to_host(addr) * 65536.0 + port;
  s->batch_bytes += p->tot_len;
  s->counters.rx_datagrams++;
  s->counters.rx_bytes += p->tot_len;
}

/* ---- the table ---- */

int gz_udp_open(bool reuse_addr) {
  int64_t id = gz_ids_take(&ids);
  if (id < 0) return -ENOMEM;
  if ((uint32_t)id >= capacity) {
    uint32_t n = capacity ? capacity * 2 : 64;
    while (n <= (uint32_t)id) n *= 2;
    struct udp_sock *p = realloc(socks, n * sizeof(*socks));
    if (!p) {
      gz_ids_release(&ids, (uint32_t)id);
      return -ENOMEM;
    }
    memset(&p[capacity], 0, (n - capacity) * sizeof(*p));
    socks = p;
    capacity = n;
  }
  struct udp_pcb *pcb = udp_new();
  if (!pcb) {
    gz_ids_release(&ids, (uint32_t)id);
    return -ENOMEM;
  }
  struct udp_sock *s = &socks[id];
  memset(s, 0, sizeof(*s));
  s->pcb = pcb;
  s->live = true;
  s->recv_buffer = s->send_buffer = DEFAULT_BUFFER;
  pcb->ttl = DEFAULT_TTL;
  udp_set_multicast_ttl(pcb, DEFAULT_MULTICAST_TTL);
  udp_set_flags(pcb, UDP_FLAGS_MULTICAST_LOOP);
  if (reuse_addr) ip_set_option(pcb, SOF_REUSEADDR);
  udp_recv(pcb, on_recv, GZ_ID_ARG(id));
  live++;
  return (int)id;
}

int gz_udp_bind(uint32_t id, uint32_t ip, uint16_t port) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  int rc = from_lwip(gz_xdp_udp_bind(s->pcb, ip, port)); /* udp_bind, with af_xdp's port sharing */
  return rc < 0 ? rc : s->pcb->local_port;
}

int gz_udp_connect(uint32_t id, uint32_t ip, uint16_t port) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  ip_addr_t addr;
  ip_from_host(&addr, ip);
  return from_lwip(udp_connect(s->pcb, &addr, port));
}

int gz_udp_disconnect(uint32_t id) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  udp_disconnect(s->pcb);
  return 0;
}

int gz_udp_address(uint32_t id, struct gz_udp_address *a) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  a->local_ip = ip_to_host(&s->pcb->local_ip);
  a->local_port = s->pcb->local_port;
  a->connected = udp_is_flag_set(s->pcb, UDP_FLAGS_CONNECTED);
  a->remote_ip = a->connected ? ip_to_host(&s->pcb->remote_ip) : 0;
  a->remote_port = a->connected ? s->pcb->remote_port : 0;
  return 0;
}

static void leave_all(struct udp_sock *s) {
  struct netif *nif = netif_default;
  for (uint32_t i = 0; i < s->ngroups; i++) {
    ip4_addr_t g;
    ip4_addr_set_u32(&g, lwip_htonl(s->groups[i].group));
    if (nif) igmp_leavegroup_netif(nif, &g);
  }
  free(s->groups);
  s->groups = NULL;
  s->ngroups = 0;
}

int gz_udp_close(uint32_t id) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  leave_all(s);
  udp_recv(s->pcb, NULL, NULL);
  udp_remove(s->pcb);
  s->pcb = NULL;
  s->live = false;
  live--;
  gz_ids_release(&ids, id);
  return 0;
}

void gz_udp_recycle_ids(void) { gz_ids_recycle(&ids); }

void gz_udp_close_all(void) {
  for (uint32_t i = 0; i < capacity; i++) {
    if (!socks[i].live) continue;
    free(socks[i].groups); /* the netif and its IGMP groups go with the stack */
    udp_remove(socks[i].pcb);
  }
  free(socks);
  free(touched);
  socks = NULL;
  touched = NULL;
  capacity = live = touched_len = touched_cap = 0;
  gz_ids_reset(&ids);
}

unsigned gz_udp_count(void) { return live; }

/* ---- sending ---- */

static void touch(uint32_t id) {
  struct udp_sock *s = &socks[id];
  if (s->touched) return;
  if (touched_len == touched_cap) {
    uint32_t n = touched_cap ? touched_cap * 2 : 64;
    uint32_t *p = realloc(touched, n * sizeof(*touched));
    if (!p) return; /* its budget then resets at its next touch */
    touched = p;
    touched_cap = n;
  }
  touched[touched_len++] = id;
  s->touched = true;
}

static bool is_broadcast(const ip_addr_t *dst) {
  struct netif *nif = netif_default;
  return nif && ip4_addr_isbroadcast(ip_2_ip4(dst), nif) != 0;
}

long gz_udp_send(uint32_t id, uint32_t ip, uint16_t port, const struct gz_iov *iov, unsigned n) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  size_t len = 0;
  for (unsigned i = 0; i < n; i++) len += iov[i].len;
  if (len > MAX_DATAGRAM) return -EMSGSIZE;
  bool connected = udp_is_flag_set(s->pcb, UDP_FLAGS_CONNECTED);
  ip_addr_t dst;
  if (connected) ip_addr_copy(dst, s->pcb->remote_ip);
  else ip_from_host(&dst, ip);
  if (!s->broadcast && is_broadcast(&dst)) return -EACCES;
  /* The socket's send buffer is what it may hand the port between two polls. */
  if ((s->sent_bytes && s->sent_bytes + len > s->send_buffer) || gz_port_tx_pending() > TX_BACKLOG_LIMIT) {
    s->blocked = true;
    touch(id);
    return -EAGAIN;
  }
  struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
  if (!p) return -ENOMEM;
  size_t off = 0;
  for (unsigned i = 0; i < n; i++) {
    pbuf_take_at(p, iov[i].data, (u16_t)iov[i].len, (u16_t)off);
    off += iov[i].len;
  }
  /* A port that offloads checksums cannot do it for fragments (port.c leaves their
   * L4 field alone): the UDP checksum of a datagram to be fragmented is LwIP's. */
  struct netif *nif = netif_default;
  bool fragmented = nif && len + UDP_HLEN + IP_HLEN > nif->mtu;
  u16_t chksum_flags = nif ? nif->chksum_flags : 0;
  if (fragmented) nif->chksum_flags |= NETIF_CHECKSUM_GEN_UDP;
  err_t e = connected ? udp_send(s->pcb, p) : udp_sendto(s->pcb, p, &dst, port);
  if (fragmented) nif->chksum_flags = chksum_flags;
  pbuf_free(p);
  int rc = from_lwip(e);
  if (rc == -EAGAIN) {
    s->blocked = true;
    touch(id);
  }
  if (rc < 0) {
    s->counters.tx_errors++;
    return rc;
  }
  s->sent_bytes += (uint32_t)len;
  s->counters.tx_datagrams++;
  s->counters.tx_bytes += len;
  touch(id);
  return (long)len;
}

/* After the poll's output went to the port: budgets start again, and sockets
 * that were refused hear that they may send (delivered with the next batch). */
void gz_udp_flush(void) {
  bool room = gz_port_tx_pending() <= TX_BACKLOG_LIMIT;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < touched_len; i++) {
    uint32_t id = touched[i];
    struct udp_sock *s = &socks[id];
    if (!s->live) {
      s->touched = false;
      continue;
    }
    s->sent_bytes = 0;
    if (s->blocked && room && gz_events_push(GZ_EV_UDP_WRITABLE, id)) s->blocked = false;
    if (s->blocked) {
      touched[kept++] = id; /* still refused: ask again at the next flush */
      continue;
    }
    s->touched = false;
  }
  touched_len = kept;
}

/* ---- options ---- */

int gz_udp_set_option(uint32_t id, enum gz_udp_option opt, uint32_t value) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  struct udp_pcb *pcb = s->pcb;
  switch (opt) {
    case GZ_UDP_BROADCAST: s->broadcast = value != 0; return 0;
    case GZ_UDP_TTL:
      if (value < 1 || value > 255) return -EINVAL;
      pcb->ttl = (u8_t)value;
      return 0;
    case GZ_UDP_MULTICAST_TTL:
      if (value > 255) return -EINVAL;
      udp_set_multicast_ttl(pcb, (u8_t)value);
      return 0;
    case GZ_UDP_MULTICAST_LOOP:
      if (value) udp_set_flags(pcb, UDP_FLAGS_MULTICAST_LOOP);
      else udp_clear_flags(pcb, UDP_FLAGS_MULTICAST_LOOP);
      return 0;
    case GZ_UDP_MULTICAST_IF: {
      ip4_addr_t a;
      ip4_addr_set_u32(&a, lwip_htonl(value));
      udp_set_multicast_netif_addr(pcb, &a);
      return 0;
    }
    case GZ_UDP_RECV_BUFFER:
      if (value == 0) return -EINVAL;
      s->recv_buffer = value;
      return 0;
    case GZ_UDP_SEND_BUFFER:
      if (value == 0) return -EINVAL;
      s->send_buffer = value;
      return 0;
  }
  return -EINVAL;
}

long gz_udp_get_option(uint32_t id, enum gz_udp_option opt) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  switch (opt) {
    case GZ_UDP_BROADCAST: return s->broadcast;
    case GZ_UDP_TTL: return s->pcb->ttl;
    case GZ_UDP_MULTICAST_TTL: return udp_get_multicast_ttl(s->pcb);
    case GZ_UDP_MULTICAST_LOOP: return udp_is_flag_set(s->pcb, UDP_FLAGS_MULTICAST_LOOP);
    case GZ_UDP_MULTICAST_IF: return (long)lwip_ntohl(ip4_addr_get_u32(udp_get_multicast_netif_addr(s->pcb)));
    case GZ_UDP_RECV_BUFFER: return s->recv_buffer;
    case GZ_UDP_SEND_BUFFER: return s->send_buffer;
  }
  return -EINVAL;
}

/* IGMP membership of one socket; the netif counts users per group, so the group
 * is left on the wire only when its last socket leaves. */
int gz_udp_membership(uint32_t id, uint32_t group, bool join) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  struct netif *nif = netif_default;
  if (!nif) return -ENODEV;
  ip4_addr_t g;
  ip4_addr_set_u32(&g, lwip_htonl(group));
  if (!ip4_addr_ismulticast(&g)) return -EINVAL;
  uint32_t i = 0;
  while (i < s->ngroups && s->groups[i].group != group) i++;
  bool member = i < s->ngroups;
  if (join) {
    if (member) return -EADDRINUSE;
    struct membership *p = realloc(s->groups, (s->ngroups + 1) * sizeof(*p));
    if (!p) return -ENOMEM;
    s->groups = p;
    err_t e = igmp_joingroup_netif(nif, &g);
    if (e != ERR_OK) return e == ERR_MEM ? -ENOBUFS : -EINVAL;
    s->groups[s->ngroups++].group = group;
    return 0;
  }
  if (!member) return -EADDRNOTAVAIL;
  igmp_leavegroup_netif(nif, &g);
  s->groups[i] = s->groups[--s->ngroups];
  return 0;
}

int gz_udp_counters(uint32_t id, struct gz_udp_counters *c) {
  struct udp_sock *s = sock(id);
  if (!s) return -EBADF;
  *c = s->counters;
  return 0;
}

void gz_udp_stats(gz_stat_fn fn, void *ctx) {
  fn(ctx, "udp", "sockets", live);
  fn(ctx, "udp", "rxBufferDrops", (double)rx_dropped_total);
}
