/* Next-hop MACs of a bifurcated af_xdp stack, from the kernel's neighbour table.
 * The stack shares the interface's address and MAC with the kernel, and the XDP program
 * passes every ARP frame to the kernel (it cannot copy one frame to both sides): an
 * ARP reply to a request LwIP sent would reach the kernel, never LwIP. So LwIP's
 * requests stop here: the kernel is asked over rtnetlink (its entry if it has one, else
 * it resolves the address itself, NTF_USE), and what it reports becomes a static entry
 * in LwIP's ARP table, kept current from the kernel's neighbour events (a changed MAC
 * replaces it, a failed or deleted entry removes it; LwIP asks again when it needs it). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "xdp.h"

#define FAST_MS 1           /* while a lookup is outstanding */
#define SLOW_MS 20          /* otherwise: neighbour changes */
#define REVALIDATE_MS 30000 /* a stale entry of ours is confirmed by the kernel this often */
#define MAX_WANTED ARP_TABLE_SIZE

struct wanted {
  uint32_t ip;    /* network order */
  bool added;     /* a static entry is in LwIP's table */
  bool asked;     /* waiting for the kernel's answer to our lookup */
  bool resolving; /* waiting for the kernel's ARP exchange */
  bool stale;     /* the kernel has not confirmed the address lately */
};

static struct {
  bool on;
  int fd;
  int ifindex;
  struct wanted w[MAX_WANTED];
  unsigned n;
  unsigned next_evict;
  uint32_t last_revalidate;
} nb = {.fd = -1};

static struct wanted *find(uint32_t ip) {
  for (unsigned i = 0; i < nb.n; i++)
    if (nb.w[i].ip == ip) return &nb.w[i];
  return NULL;
}

static void drop_static(struct wanted *w) {
  if (!w->added) return;
  ip4_addr_t a;
  ip4_addr_set_u32(&a, w->ip);
  etharp_remove_static_entry(&a);
  w->added = false;
}

static void forget(struct wanted *w) {
  drop_static(w);
  *w = nb.w[--nb.n];
}

/* One rtnetlink neighbour request for ip on our interface. */
static void send_request(uint16_t type, uint16_t flags, uint8_t ntf, uint32_t ip) {
  struct {
    struct nlmsghdr h;
    struct ndmsg nd;
    struct rtattr dst;
    uint32_t addr;
  } req;
  memset(&req, 0, sizeof(req));
  req.h.nlmsg_len = sizeof(req);
  req.h.nlmsg_type = type;
  req.h.nlmsg_flags = NLM_F_REQUEST | flags;
  req.h.nlmsg_seq = ip; /* an error reply names the address by its seq */
  req.nd.ndm_family = AF_INET;
  req.nd.ndm_ifindex = nb.ifindex;
  req.nd.ndm_state = NUD_NONE;
  req.nd.ndm_flags = ntf;
  req.dst.rta_len = RTA_LENGTH(sizeof(uint32_t));
  req.dst.rta_type = NDA_DST;
  req.addr = ip;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  sendto(nb.fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel));
}

static void neigh_timer(void *arg);

static void ask(struct wanted *w) {
  w->asked = true;
  send_request(RTM_GETNEIGH, 0, 0, w->ip);
  /* The answer is queued before sendto returns; read it at the next poll, outside
   * LwIP's ARP code that called us. */
  sys_untimeout(neigh_timer, NULL);
  sys_timeout(FAST_MS, neigh_timer, NULL);
}

/* The kernel has no usable entry: make it resolve the address (it sends the ARP request,
 * the reply comes to it, and its event reaches us). */
static void resolve(struct wanted *w) {
  w->asked = false;
  w->resolving = true;
  send_request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, NTF_USE, w->ip);
}

bool gz_neigh_intercept(const void *frame, size_t len) {
  if (!nb.on || len < 42) return false;
  const uint8_t *f = frame;
  if (f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 1) return false; /* ARP request */
  uint32_t target, sender;
  memcpy(&sender, f + 28, 4);
  memcpy(&target, f + 38, 4);
  if (target == sender) return true; /* a gratuitous ARP: the kernel announces the address */
  struct wanted *w = find(target);
  if (!w) {
    if (nb.n == MAX_WANTED) { /* full: give up the oldest added entry */
      forget(&nb.w[nb.next_evict % nb.n]);
      nb.next_evict++;
    }
    w = &nb.w[nb.n++];
    *w = (struct wanted){.ip = target};
  }
  ask(w);
  return true;
}

static const uint16_t VALID = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;

static void on_neigh(const struct nlmsghdr *h) {
  const struct ndmsg *nd = NLMSG_DATA(h);
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)) || nd->ndm_family != AF_INET || nd->ndm_ifindex != nb.ifindex)
    return;
  uint32_t ip = 0;
  const uint8_t *mac = NULL;
  int len = (int)RTM_PAYLOAD(h);
  for (const struct rtattr *a = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
       RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 4) memcpy(&ip, RTA_DATA(a), 4);
    if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) mac = RTA_DATA(a);
  }
  struct wanted *w = find(ip);
  if (!w) return;
  if (h->nlmsg_type == RTM_DELNEIGH) {
    forget(w); /* LwIP asks again when it needs the address */
  } else if ((nd->ndm_state & VALID) && mac) {
    ip4_addr_t a;
    struct eth_addr e;
    ip4_addr_set_u32(&a, ip);
    memcpy(e.addr, mac, 6);
    if (etharp_add_static_entry(&a, &e) == ERR_OK) w->added = true; /* sends what LwIP queued */
    w->asked = w->resolving = false;
    w->stale = (nd->ndm_state & NUD_STALE) != 0;
  } else if (w->asked && !(nd->ndm_state & NUD_INCOMPLETE)) {
    resolve(w); /* no address known (none, or failed): the kernel tries again */
  } else if (nd->ndm_state & NUD_FAILED) {
    forget(w); /* no answer, or an address we used stopped answering */
  }
}

bool gz_neigh_poll(void) {
  if (!nb.on) return false;
  char buf[16384] __attribute__((aligned(4)));
  for (int rounds = 0; rounds < 64; rounds++) {
    ssize_t n = recv(nb.fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) break;
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == RTM_NEWNEIGH || h->nlmsg_type == RTM_DELNEIGH) {
        on_neigh(h);
      } else if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        struct wanted *w = find(h->nlmsg_seq);
        if (e->error == -ENOENT && w && w->asked && e->msg.nlmsg_type == RTM_GETNEIGH) resolve(w);
      }
    }
  }
  for (unsigned i = 0; i < nb.n; i++)
    if (nb.w[i].asked || nb.w[i].resolving) return true;
  return false;
}

/* The kernel confirms an address only when it sends there itself: a MAC that changed
 * without a gratuitous ARP would stay in a stale entry (and in LwIP's static one) while
 * only the stack talks to that neighbour. So the stack's stale entries are handed to the
 * kernel's unicast probe now and then (NTF_USE: STALE -> DELAY -> PROBE); a new MAC, or
 * a failure, comes back as an event. */
static void revalidate(void) {
  uint32_t now = sys_now();
  if (now - nb.last_revalidate < REVALIDATE_MS) return;
  nb.last_revalidate = now;
  for (unsigned i = 0; i < nb.n; i++) {
    struct wanted *w = &nb.w[i];
    if (!w->added || !w->stale) continue;
    w->stale = false;
    send_request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, NTF_USE, w->ip);
  }
}

static void neigh_timer(void *arg) {
  bool waiting = gz_neigh_poll();
  revalidate();
  sys_timeout(waiting ? FAST_MS : SLOW_MS, neigh_timer, NULL);
}

unsigned gz_neigh_entries(void) {
  unsigned n = 0;
  for (unsigned i = 0; i < nb.n; i++) n += nb.w[i].added;
  return n;
}

int gz_neigh_start(int ifindex, struct gz_error *err) {
  if (nb.on) gz_neigh_stop();
  nb.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nb.fd < 0) return gz_fail(err, "ERR_GAZELLE_DEVICE_SETUP", "netlink socket: %s", strerror(errno));
  struct sockaddr_nl me = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_NEIGH};
  if (bind(nb.fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
    int e = errno;
    close(nb.fd);
    nb.fd = -1;
    return gz_fail(err, "ERR_GAZELLE_DEVICE_SETUP", "netlink neighbour events: %s", strerror(e));
  }
  int size = 1 << 20;
  setsockopt(nb.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  nb.ifindex = ifindex;
  nb.n = 0;
  nb.on = true;
  sys_timeout(SLOW_MS, neigh_timer, NULL);
  return 0;
}

void gz_neigh_stop(void) {
  if (!nb.on) return;
  sys_untimeout(neigh_timer, NULL);
  while (nb.n) forget(&nb.w[nb.n - 1]);
  close(nb.fd);
  nb.fd = -1;
  nb.on = false;
}
