/* The ports a bifurcated af_xdp stack takes from the kernel on the address they share.
 * - Its ephemeral range: reserved in the kernel (xdp_reserve.c), steered as a whole by
 *   the program; port 0 binds pick from it, skipping what kernel sockets held at start.
 * - Any other port it binds (listen, UDP bind, connect from a given port): claimed one
 *   by one. A kernel socket bound to address:port holds it for the stack, so the kernel
 *   neither gives it to another program nor has it already (that is EADDRINUSE), and
 *   the program's gz_ports map steers it. A claim lives as long as an LwIP pcb uses the
 *   port (accepted connections and TIME-WAIT outlive their listener); a sweep gives the
 *   rest back. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "../bpf/xdp_steer.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "xdp.h"

#define SWEEP_MS 500

struct claim {
  uint8_t proto;
  uint16_t port;
  int holder; /* the kernel socket that keeps the port for us */
};

static struct {
  bool on;
  uint32_t ip; /* host order */
  uint16_t lo, hi;
  uint16_t next_tcp, next_udp;
  uint8_t kernel_used[8192]; /* ports kernel sockets held when the stack started */
  struct claim *claims;
  unsigned nclaims, cap;
} ports;

static bool bit(const uint8_t *bits, uint16_t port) { return bits[port >> 3] & (1u << (port & 7)); }
static void set_bit(uint8_t *bits, uint16_t port) { bits[port >> 3] |= (uint8_t)(1u << (port & 7)); }

/* Local ports of the kernel's sockets in this network namespace (/proc/net/tcp, udp). */
static void scan_kernel_ports(const char *path, uint8_t *bits) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[512];
  if (!fgets(line, sizeof(line), f)) goto out; /* header */
  while (fgets(line, sizeof(line), f)) {
    unsigned ip, port;
    if (sscanf(line, " %*u: %x:%x", &ip, &port) == 2) set_bit(bits, (uint16_t)port);
  }
out:
  fclose(f);
}

/* ---- claims ---- */

static struct claim *find_claim(uint8_t proto, uint16_t port) {
  for (unsigned i = 0; i < ports.nclaims; i++)
    if (ports.claims[i].proto == proto && ports.claims[i].port == port) return &ports.claims[i];
  return NULL;
}

static int hold_in_kernel(uint8_t proto, uint16_t port) {
  int s = socket(AF_INET, (proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(ports.ip);
  if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0) return s;
  int e = errno;
  if (e == EADDRINUSE && proto == IPPROTO_TCP) {
    /* Only connections in TIME-WAIT may hold it (no listener): like SO_REUSEADDR. */
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0) return s;
    e = errno;
  }
  close(s);
  return -e;
}

/* Takes port from the kernel for the stack; 0, or -EADDRINUSE if the kernel uses it.
 * A port of the ephemeral range given explicitly is claimed too: a kernel socket may
 * have bound it before the range was reserved. */
static int claim(uint8_t proto, uint16_t port) {
  if (!ports.on || find_claim(proto, port)) return 0;
  if (ports.nclaims == ports.cap) {
    unsigned cap = ports.cap ? ports.cap * 2 : 16;
    struct claim *c = realloc(ports.claims, cap * sizeof(*c));
    if (!c) return -ENOMEM;
    ports.claims = c;
    ports.cap = cap;
  }
  int holder = hold_in_kernel(proto, port);
  if (holder < 0) return holder;
  uint32_t key = GZ_XDP_PORT_KEY(proto, port);
  uint8_t one = 1;
  if (bpf_map_update_elem(gz_xdp_ports_map_fd(), &key, &one, BPF_ANY) != 0) {
    int e = errno;
    close(holder);
    return e == E2BIG ? -ENOSPC : -e;
  }
  ports.claims[ports.nclaims++] = (struct claim){proto, port, holder};
  return 0;
}

static void release(unsigned i) {
  struct claim *c = &ports.claims[i];
  uint32_t key = GZ_XDP_PORT_KEY(c->proto, c->port);
  bpf_map_delete_elem(gz_xdp_ports_map_fd(), &key);
  close(c->holder);
  ports.claims[i] = ports.claims[--ports.nclaims];
}

static void mark_tcp_list(struct tcp_pcb *pcb, uint8_t *bits) {
  for (; pcb; pcb = pcb->next) set_bit(bits, pcb->local_port);
}

static void mark_listeners(uint8_t *bits) {
  for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next) set_bit(bits, l->local_port);
}

void gz_ports_sweep(void) {
  static uint8_t tcp_used[8192], udp_used[8192];
  if (!ports.nclaims) return;
  memset(tcp_used, 0, sizeof(tcp_used));
  memset(udp_used, 0, sizeof(udp_used));
  mark_tcp_list(tcp_bound_pcbs, tcp_used);
  mark_listeners(tcp_used);
  mark_tcp_list(tcp_active_pcbs, tcp_used);
  mark_tcp_list(tcp_tw_pcbs, tcp_used);
  for (struct udp_pcb *u = udp_pcbs; u; u = u->next) set_bit(udp_used, u->local_port);
  for (unsigned i = ports.nclaims; i-- > 0;) {
    struct claim *c = &ports.claims[i];
    if (!bit(c->proto == IPPROTO_TCP ? tcp_used : udp_used, c->port)) release(i);
  }
}

static void sweep_timer(void *arg) {
  gz_ports_sweep();
  sys_timeout(SWEEP_MS, sweep_timer, NULL);
}

unsigned gz_ports_claimed(void) { return ports.nclaims; }

/* ---- binding ---- */

/* The next port of the range after *next that bind() accepts; ERR_USE if none is left. */
static err_t bind_ephemeral(uint16_t *next, err_t (*try_bind)(void *pcb, const ip_addr_t *a, u16_t port),
                            void *pcb, const ip_addr_t *addr) {
  uint32_t size = (uint32_t)ports.hi - ports.lo + 1;
  for (uint32_t i = 0; i < size; i++) {
    uint16_t port = *next;
    *next = port == ports.hi ? ports.lo : (uint16_t)(port + 1);
    if (bit(ports.kernel_used, port)) continue;
    if (try_bind(pcb, addr, port) == ERR_OK) return ERR_OK;
  }
  return ERR_USE;
}

static err_t tcp_try(void *pcb, const ip_addr_t *a, u16_t port) { return tcp_bind(pcb, a, port); }
static err_t udp_try(void *pcb, const ip_addr_t *a, u16_t port) { return udp_bind(pcb, a, port); }

int8_t gz_xdp_tcp_bind(struct tcp_pcb *pcb, uint32_t ip, uint16_t port) {
  ip_addr_t addr;
  ip_addr_set_ip4_u32(&addr, lwip_htonl(ip));
  if (!ports.on) return tcp_bind(pcb, &addr, port);
  if (port == 0) return bind_ephemeral(&ports.next_tcp, tcp_try, pcb, &addr);
  if (claim(IPPROTO_TCP, port) != 0) return ERR_USE;
  return tcp_bind(pcb, &addr, port); /* a claim LwIP refuses goes at the next sweep */
}

int8_t gz_xdp_udp_bind(struct udp_pcb *pcb, uint32_t ip, uint16_t port) {
  ip_addr_t addr;
  ip_addr_set_ip4_u32(&addr, lwip_htonl(ip));
  if (!ports.on) return udp_bind(pcb, &addr, port);
  if (port == 0) return bind_ephemeral(&ports.next_udp, udp_try, pcb, &addr);
  if (claim(IPPROTO_UDP, port) != 0) return ERR_USE;
  return udp_bind(pcb, &addr, port);
}

/* ---- life ---- */

int gz_ports_start(uint32_t ip, uint16_t lo, uint16_t hi, struct gz_error *err) {
  if (ports.on) gz_ports_stop();
  memset(ports.kernel_used, 0, sizeof(ports.kernel_used));
  scan_kernel_ports("/proc/net/tcp", ports.kernel_used);
  scan_kernel_ports("/proc/net/udp", ports.kernel_used);
  int rc = gz_reserve_ports(lo, hi);
  if (rc != 0) {
    return gz_fail(err, rc == -EACCES || rc == -EPERM ? "ERR_GAZELLE_NOT_ROOT" : "ERR_GAZELLE_DEVICE_SETUP",
                   "reserving ports %u-%u in net.ipv4.ip_local_reserved_ports: %s", lo, hi, strerror(-rc));
  }
  ports.on = true;
  ports.ip = ip;
  ports.lo = lo;
  ports.hi = hi;
  /* Start anywhere in the range: a restarted stack does not reuse its last ports at once. */
  uint32_t r = 0;
  if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) r = (uint32_t)getpid();
  ports.next_tcp = (uint16_t)(lo + r % ((uint32_t)hi - lo + 1));
  ports.next_udp = ports.next_tcp;
  sys_timeout(SWEEP_MS, sweep_timer, NULL);
  return 0;
}

void gz_ports_stop(void) {
  if (!ports.on) return;
  sys_untimeout(sweep_timer, NULL);
  while (ports.nclaims) release(ports.nclaims - 1);
  free(ports.claims);
  ports.claims = NULL;
  ports.cap = 0;
  gz_unreserve_ports();
  ports.on = false;
}
