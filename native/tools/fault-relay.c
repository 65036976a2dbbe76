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
 *                        [--delay-us N] [--only a2b|b2a] [--seed N]
 *   R is a fraction (0.01) or a percentage (1%), applied to each frame independently,
 *   in each direction (or only the one --only names).
 *   --reorder: the frame is held back until 1-3 later frames of its direction went out
 *   (or 2 ms, or the delay, passed), so it arrives out of order.
 *   --delay-us: every frame leaves this long after it arrived (a queue of at most
 *   MAX_QUEUED frames per direction; beyond that frames are dropped and counted).
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

#define MAX_FRAME 65536
#define MAX_QUEUED 8192     /* frames waiting per direction (delay and reorder) */
#define RX_BATCH 64
#define REORDER_HOLD_NS 2000000ull

struct frame {
  uint64_t due_ns;     /* leaves at or after this time */
  uint32_t gap;        /* reordered: leaves after this many later frames */
  uint32_t len;
  uint8_t *data;
};

struct counters {
  uint64_t received, sent, dropped, duplicated, reordered, corrupted, delayed, overflow, tx_errors;
};

struct dir {
  const char *name;
  int in_fd, out_fd;
  bool faults;             /* --only: the other direction passes untouched */
  struct frame q[MAX_QUEUED];   /* ring: delayed frames in arrival order */
  uint32_t head, len;
  struct frame held[16];   /* reordered frames waiting for their gap */
  uint32_t nheld;
  struct counters c;
};

static double loss, duplicate, reorder, corrupt;
static uint64_t delay_ns;
static uint64_t rng_state;
static volatile sig_atomic_t stop, report;
static struct dir dirs[2];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fast, and reproducible with --seed */
static uint64_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

static bool chance(double p) {
  return p > 0 && (double)(rnd() >> 11) / 9007199254740992.0 < p;
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
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx};
  if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) die("bind");
  int one = 1;
  /* What this socket sends must not come back as received (kernel >= 4.20). */
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) die("PACKET_IGNORE_OUTGOING");
  int buf = 32 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
  return fd;
}

static void emit(struct dir *d, const uint8_t *data, uint32_t len) {
  for (int tries = 0;; tries++) {
    if (send(d->out_fd, data, len, 0) == (ssize_t)len) {
      d->c.sent++;
      return;
    }
    /* a full socket buffer: wait for room briefly rather than add losses of our own */
    if ((errno == EAGAIN || errno == ENOBUFS) && tries < 100) {
      struct pollfd p = {.fd = d->out_fd, .events = POLLOUT};
      poll(&p, 1, 1);
      continue;
    }
    d->c.tx_errors++;
    return;
  }
}

/* A frame leaves: reordered frames held behind it count it towards their gap. */
static void depart(struct dir *d, struct frame *f, bool may_reorder) {
  if (may_reorder && d->nheld < 16 && chance(reorder)) {
    f->gap = 1 + (uint32_t)(rnd() % 3);
    f->due_ns = now_ns() + (delay_ns > REORDER_HOLD_NS ? delay_ns : REORDER_HOLD_NS);
    d->held[d->nheld++] = *f;
    d->c.reordered++;
    return;
  }
  emit(d, f->data, f->len);
  free(f->data);
  for (uint32_t i = 0; i < d->nheld;) {
    if (--d->held[i].gap == 0) {
      struct frame h = d->held[i];
      d->held[i] = d->held[--d->nheld];
      emit(d, h.data, h.len);
      free(h.data);
    } else {
      i++;
    }
  }
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
    d->c.received++;
    if (len > MAX_FRAME || len < ETH_HLEN) {
      d->c.dropped++;
      continue;
    }
    if (d->faults && chance(loss)) {
      d->c.dropped++;
      continue;
    }
    int copies = d->faults && chance(duplicate) ? 2 : 1;
    if (copies == 2) d->c.duplicated++;
    for (int k = 0; k < copies; k++) {
      struct frame f = {.due_ns = now_ns() + (d->faults ? delay_ns : 0), .len = (uint32_t)len};
      f.data = malloc((size_t)len);
      if (!f.data) die("malloc");
      memcpy(f.data, buf, (size_t)len);
      if (k == 0 && d->faults && chance(corrupt)) {
        /* a bit flipped past the Ethernet header: the frame still reaches its host,
         * whose IP/TCP/UDP checksum must catch it */
        uint32_t at = ETH_HLEN + (uint32_t)(rnd() % (uint64_t)(len - ETH_HLEN));
        f.data[at] ^= (uint8_t)(1u << (rnd() % 8));
        d->c.corrupted++;
      }
      if (d->faults && delay_ns) {
        if (d->len == MAX_QUEUED) {
          d->c.overflow++;
          free(f.data);
          continue;
        }
        d->q[(d->head + d->len++) % MAX_QUEUED] = f;
        d->c.delayed++;
      } else {
        depart(d, &f, d->faults);
      }
    }
  }
}

/* Sends what is due; returns ns until the next frame is due (or -1: nothing waits). */
static int64_t release(struct dir *d, uint64_t now) {
  while (d->len && d->q[d->head % MAX_QUEUED].due_ns <= now) {
    struct frame f = d->q[d->head % MAX_QUEUED];
    d->head++;
    d->len--;
    depart(d, &f, true);
  }
  for (uint32_t i = 0; i < d->nheld;) {   /* held too long: no later frame came */
    if (d->held[i].due_ns <= now) {
      struct frame h = d->held[i];
      d->held[i] = d->held[--d->nheld];
      emit(d, h.data, h.len);
      free(h.data);
    } else {
      i++;
    }
  }
  int64_t next = -1;
  if (d->len) next = (int64_t)(d->q[d->head % MAX_QUEUED].due_ns - now);
  for (uint32_t i = 0; i < d->nheld; i++) {
    int64_t w = (int64_t)(d->held[i].due_ns - now);
    if (next < 0 || w < next) next = w;
  }
  return next;
}

static void print_counters(void) {
  for (int i = 0; i < 2; i++) {
    const struct counters *c = &dirs[i].c;
    printf("{\"dir\":\"%s\",\"received\":%llu,\"sent\":%llu,\"dropped\":%llu,\"duplicated\":%llu,"
           "\"reordered\":%llu,\"corrupted\":%llu,\"delayed\":%llu,\"overflow\":%llu,\"txErrors\":%llu}\n",
           dirs[i].name, (unsigned long long)c->received, (unsigned long long)c->sent,
           (unsigned long long)c->dropped, (unsigned long long)c->duplicated,
           (unsigned long long)c->reordered, (unsigned long long)c->corrupted,
           (unsigned long long)c->delayed, (unsigned long long)c->overflow,
           (unsigned long long)c->tx_errors);
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
          "                   [--only a2b|b2a] [--seed N]      (R: 0.01 or 1%%)\n");
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
    if (!strcmp(a, "--loss")) loss = parse_rate(a, v);
    else if (!strcmp(a, "--dup")) duplicate = parse_rate(a, v);
    else if (!strcmp(a, "--reorder")) reorder = parse_rate(a, v);
    else if (!strcmp(a, "--corrupt")) corrupt = parse_rate(a, v);
    else if (!strcmp(a, "--delay-us")) delay_ns = strtoull(v, NULL, 10) * 1000ull;
    else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--only")) only = v;
    else usage();
  }
  if (!ifs[1]) usage();
  if (only && strcmp(only, "a2b") && strcmp(only, "b2a")) usage();
  if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) seed = (uint64_t)now_ns();
  rng_state = seed | 1;

  int fa = open_port(ifs[0]), fb = open_port(ifs[1]);
  dirs[0] = (struct dir){.name = "a2b", .in_fd = fa, .out_fd = fb, .faults = !only || !strcmp(only, "a2b")};
  dirs[1] = (struct dir){.name = "b2a", .in_fd = fb, .out_fd = fa, .faults = !only || !strcmp(only, "b2a")};

  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  static uint8_t buf[MAX_FRAME];
  fprintf(stderr, "fault-relay: %s <-> %s loss %g dup %g reorder %g corrupt %g delay %llu us seed %llu\n",
          ifs[0], ifs[1], loss, duplicate, reorder, corrupt, (unsigned long long)(delay_ns / 1000),
          (unsigned long long)seed);
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
    int timeout_ms = wait < 0 ? 200 : (int)(wait / 1000000);
    struct timespec ts = {.tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000L};
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
