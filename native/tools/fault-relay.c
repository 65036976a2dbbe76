/* fault-relay: a two-port Ethernet relay that loses, duplicates, reorders, delays and
 * corrupts frames at given rates, for tests and benchmarks on kernels without netem.
 *
 * It bridges two interfaces (veth ends, or the kernel side of tap devices) over
 * AF_PACKET raw sockets: every frame that arrives on one is sent out of the other,
 * after the faults. Both the kernel's TCP and the stack's then meet the same wire.
 * Offloads must be off on the kernel interfaces that feed it (ethtool -K IF tso off
 * gso off gro off tx off): a TSO super-frame or a partial checksum cannot be relayed.
 *
 * usage: fault-relay A B [--loss R] [--dup R] [--reorder R] [--corrupt R]
 *                        [--delay-us N] [--only a2b|b2a] [--seed N] [--drop-fins N]
 *   R is a fraction (0.01) or a percentage (1%), applied to each frame independently,
 *   in each direction (or only the one --only names). The faults are the stack's own
 *   (native/src/fault_line.h): a reordered frame is held back behind 1-3 later frames
 *   of its direction (2 ms at most); a delayed one leaves --delay-us after it arrived.
 *   --drop-fins N: the first transmission of each of the first N TCP segments that
 *   carry a FIN (IPv4) is lost, its retransmissions pass: a deterministic tail loss
 *   (the last segment of a response, sent with the close) for tests.
 * Prints one JSON line of counters per direction on SIGUSR1 and at exit (SIGTERM/SIGINT).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/fault_line.h"

#define MAX_FRAME 65536
#define RX_BATCH 64

struct frame {
  uint32_t len;
  uint8_t data[];
};

struct dir {
  const char *name;
  int in_fd, out_fd;
  struct fault_line line;
  uint64_t received, sent, tx_errors;
  bool faulty;                          /* the faults apply in this direction */
  uint64_t fin_keys[256], fins_dropped; /* --drop-fins: the FINs lost so far (ports, seq) */
};

static struct fl_rates rates;
static uint64_t drop_fins; /* --drop-fins N */
static volatile sig_atomic_t stop, report;
static struct dir dirs[2];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "fault-relay: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double parse_rate(const char *opt, const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (end == s) goto bad;
  if (*end == '%') {
    v /= 100;
    end++;
  }
  if (*end || v < 0 || v > 1) goto bad;
  return v;
bad:
  fprintf(stderr, "fault-relay: %s takes a fraction (0.01) or a percentage (1%%), got %s\n", opt, s);
  exit(2);
}

static int open_port(const char *ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) die("socket(AF_PACKET)");
  unsigned idx = if_nametoindex(ifname);
  if (!idx) {
    fprintf(stderr, "fault-relay: no interface %s\n", ifname);
    exit(1);
  }
  struct sockaddr_ll sll = {
      .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx};
  if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) die("bind");
  int one = 1;
  /* What this socket sends must not come back as received (kernel >= 4.20). */
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
    die("PACKET_IGNORE_OUTGOING");
  int buf = 32 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
  return fd;
}

static void emit(struct dir *d, struct frame *f) {
  for (int tries = 0;; tries++) {
    if (send(d->out_fd, f->data, f->len, 0) == (ssize_t)f->len) {
      d->sent++;
      break;
    }
    /* a full socket buffer: wait for room briefly rather than add losses of our own */
    if ((errno == EAGAIN || errno == ENOBUFS) && tries < 100) {
      struct pollfd p = {.fd = d->out_fd, .events = POLLOUT};
      poll(&p, 1, 1);
      continue;
    }
    d->tx_errors++;
    break;
  }
  free(f);
}

/* --drop-fins: whether this frame is the first transmission of a FIN segment still to
 * lose (a resend, the same ports and sequence number, passes). */
static bool drop_fin(struct dir *d, const uint8_t *f, size_t len) {
  if (!d->faulty || d->fins_dropped >= drop_fins || len < ETH_HLEN + 20) return false;
  if (f[12] != 0x08 || f[13] != 0x00) return false; /* IPv4 */
  const uint8_t *ip = f + ETH_HLEN;
  size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
  if (ip[9] != 6 || len < ETH_HLEN + ihl + 20) return false; /* TCP */
  const uint8_t *tcp = ip + ihl;
  if (!(tcp[13] & 0x01)) return false; /* FIN */
  uint32_t ports, seq;
  memcpy(&ports, tcp, 4);
  memcpy(&seq, tcp + 4, 4);
  uint64_t key = ((uint64_t)ports << 32) | seq;
  for (uint64_t i = 0; i < d->fins_dropped; i++)
    if (d->fin_keys[i] == key) return false;
  d->fin_keys[d->fins_dropped++] = key;
  return true;
}

static void receive(struct dir *d, uint8_t *buf) {
  for (int n = 0; n < RX_BATCH; n++) {
    struct sockaddr_ll from;
    socklen_t fl = sizeof(from);
    ssize_t len = recvfrom(d->in_fd, buf, MAX_FRAME, MSG_TRUNC, (struct sockaddr *)&from, &fl);
    if (len < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      die("recvfrom");
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    d->received++;
    if (len > MAX_FRAME || len < ETH_HLEN) continue;
    if (drop_fin(d, buf, (size_t)len)) continue;
    bool corrupt;
    int copies = fl_decide(&d->line, &corrupt);
    for (int k = 0; k < copies; k++) {
      struct frame *f = malloc(sizeof(*f) + (size_t)len);
      if (!f) die("malloc");
      f->len = (uint32_t)len;
      memcpy(f->data, buf, (size_t)len);
      if (k == 0 && corrupt) fl_corrupt(&d->line, f->data, ETH_HLEN, f->len);
      if (!fl_push(&d->line, f, now_ns())) free(f);
    }
  }
}

/* Sends what is due; returns ns until the next frame is due (or -1: nothing waits). */
static int64_t release(struct dir *d, uint64_t now) {
  for (struct frame *f; (f = fl_pop(&d->line, now)) != NULL;) emit(d, f);
  return fl_next_due(&d->line, now);
}

static void print_counters(void) {
  for (int i = 0; i < 2; i++) {
    const struct dir *d = &dirs[i];
    const struct fl_counters *c = &d->line.c;
    printf(
        "{\"dir\":\"%s\",\"received\":%llu,\"sent\":%llu,\"dropped\":%llu,\"duplicated\":%llu,"
        "\"reordered\":%llu,\"corrupted\":%llu,\"delayed\":%llu,\"overflow\":%llu,\"txErrors\":%llu,"
        "\"finsDropped\":%llu}\n",
        d->name, (unsigned long long)d->received, (unsigned long long)d->sent, (unsigned long long)c->dropped,
        (unsigned long long)c->duplicated, (unsigned long long)c->reordered, (unsigned long long)c->corrupted,
        (unsigned long long)c->delayed, (unsigned long long)c->overflow, (unsigned long long)d->tx_errors,
        (unsigned long long)d->fins_dropped);
  }
  fflush(stdout);
}

static void on_signal(int sig) {
  if (sig == SIGUSR1) report = 1;
  else stop = 1;
}

static void usage(void) {
  fprintf(stderr,
          "usage: fault-relay A B [--loss R] [--dup R] [--reorder R] [--corrupt R] [--delay-us N]\n"
          "                   [--only a2b|b2a] [--seed N] [--drop-fins N]      (R: 0.01 or 1%%)\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *ifs[2] = {NULL, NULL};
  const char *only = NULL;
  uint64_t seed = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (a[0] != '-') {
      if (ifs[0] && ifs[1]) usage();
      ifs[ifs[0] ? 1 : 0] = a;
      continue;
    }
    if (!v) usage();
    i++;
    if (!strcmp(a, "--loss")) rates.drop = parse_rate(a, v);
    else if (!strcmp(a, "--dup")) rates.duplicate = parse_rate(a, v);
    else if (!strcmp(a, "--reorder")) rates.reorder = parse_rate(a, v);
    else if (!strcmp(a, "--corrupt")) rates.corrupt = parse_rate(a, v);
    else if (!strcmp(a, "--delay-us")) rates.delay_ns = strtoull(v, NULL, 10) * 1000ull;
    else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--only")) only = v;
    else if (!strcmp(a, "--drop-fins")) drop_fins = strtoull(v, NULL, 10);
    else usage();
  }
  if (!ifs[1]) usage();
  if (only && strcmp(only, "a2b") && strcmp(only, "b2a")) usage();
  if (drop_fins > sizeof(dirs[0].fin_keys) / sizeof(dirs[0].fin_keys[0])) usage();
  if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) seed = now_ns();

  int fa = open_port(ifs[0]), fb = open_port(ifs[1]);
  const struct fl_rates none = {0};
  dirs[0] = (struct dir){.name = "a2b", .in_fd = fa, .out_fd = fb};
  dirs[1] = (struct dir){.name = "b2a", .in_fd = fb, .out_fd = fa};
  dirs[0].faulty = !only || !strcmp(only, "a2b");
  dirs[1].faulty = !only || !strcmp(only, "b2a");
  fl_init(&dirs[0].line, dirs[0].faulty ? &rates : &none, seed);
  fl_init(&dirs[1].line, dirs[1].faulty ? &rates : &none, seed * 31 + 7);

  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  static uint8_t buf[MAX_FRAME];
  fprintf(stderr, "fault-relay: %s <-> %s loss %g dup %g reorder %g corrupt %g delay %llu us seed %llu\n",
          ifs[0], ifs[1], rates.drop, rates.duplicate, rates.reorder, rates.corrupt,
          (unsigned long long)(rates.delay_ns / 1000), (unsigned long long)seed);
  while (!stop) {
    if (report) {
      report = 0;
      print_counters();
    }
    uint64_t now = now_ns();
    int64_t wait = -1;
    for (int i = 0; i < 2; i++) {
      int64_t w = release(&dirs[i], now);
      if (w >= 0 && (wait < 0 || w < wait)) wait = w;
    }
    struct pollfd p[2] = {{.fd = fa, .events = POLLIN}, {.fd = fb, .events = POLLIN}};
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 200000000L};
    if (wait >= 0) ts = (struct timespec){.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
    int r = ppoll(p, 2, &ts, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("ppoll");
    }
    if (p[0].revents & POLLIN) receive(&dirs[0], buf);
    if (p[1].revents & POLLIN) receive(&dirs[1], buf);
  }
  print_counters();
  return 0;
}
