/* The ephemeral ranges of bifurcated af_xdp stacks, reserved in the kernel with
 * net.ipv4.ip_local_reserved_ports (per network namespace) so that the kernel never
 * picks one of their ports for its own connections on the address they share.
 *
 * The sysctl is one list for the whole namespace, so several stacks, and whatever an
 * administrator reserved, share it. A state file per namespace, locked while it is
 * changed, says which ports gazelle added ("managed") and which live stack wants which
 * range ("holder PID START LO HI"). Each change recomputes
 *     sysctl = (what is there, minus what gazelle added) + ranges of live holders
 * so the administrator's ports are never removed, and a stack that died (its pid gone
 * or reused) loses its range at the next change by any stack. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xdp.h"

#define SYSCTL "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define STATE_DIR "/run/gazelle/xdp"
#define MAX_HOLDERS 64
#define BITS 8192

struct holder {
  uint32_t pid;
  uint64_t start;
  uint16_t lo, hi;
};

static bool held; /* this process has a range in the state file */

int gz_ports_parse(const char *text, uint8_t bits[BITS]) {
  memset(bits, 0, BITS);
  const char *p = text;
  while (*p) {
    while (*p == ',' || *p == ' ' || *p == '\n' || *p == '\t') p++;
    if (!*p) break;
    char *end;
    unsigned long a = strtoul(p, &end, 10), b = a;
    if (end == p || a > 65535) return -EINVAL;
    p = end;
    if (*p == '-') {
      b = strtoul(p + 1, &end, 10);
      if (end == p + 1 || b > 65535 || b < a) return -EINVAL;
      p = end;
    }
    for (unsigned long i = a; i <= b; i++) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  }
  return 0;
}

static bool has(const uint8_t *bits, unsigned port) { return bits[port >> 3] & (1u << (port & 7)); }

size_t gz_ports_format(const uint8_t bits[BITS], char *out, size_t len) {
  size_t n = 0;
  out[0] = 0;
  for (unsigned port = 0; port < 65536; port++) {
    if (!has(bits, port)) continue;
    unsigned last = port;
    while (last < 65535 && has(bits, last + 1)) last++;
    int w = last == port ? snprintf(out + n, len - n, "%s%u", n ? "," : "", port)
                         : snprintf(out + n, len - n, "%s%u-%u", n ? "," : "", port, last);
    if (w < 0 || (size_t)w >= len - n) return 0;
    n += (size_t)w;
    port = last;
  }
  return n;
}

static int read_text(int fd_or_neg, const char *path, char *buf, size_t len) {
  int fd = fd_or_neg >= 0 ? fd_or_neg : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  if (fd_or_neg >= 0) lseek(fd, 0, SEEK_SET);
  ssize_t n = read(fd, buf, len - 1);
  int e = errno;
  if (fd_or_neg < 0) close(fd);
  if (n < 0) return -e;
  buf[n] = 0;
  return 0;
}

static int write_sysctl(const uint8_t *bits) {
  static char text[400000];
  gz_ports_format(bits, text, sizeof(text) - 1);
  strcat(text, "\n");
  int fd = open(SYSCTL, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  return n < 0 ? -e : 0;
}

static int state_path(char *out, size_t len) {
  struct stat st;
  if (stat("/proc/self/ns/net", &st) != 0) return -errno;
  mkdir("/run/gazelle", 0755);
  if (mkdir(STATE_DIR, 0700) != 0 && errno != EEXIST) return -errno;
  snprintf(out, len, "%s/reserved-%lu", STATE_DIR, (unsigned long)st.st_ino);
  return 0;
}

/* Reads the state, adds (self) or drops this process's range, rewrites sysctl and state. */
static int update(const struct holder *self) {
  static uint8_t current[BITS], managed[BITS], want[BITS];
  static char text[400000];
  char path[128];
  int rc = state_path(path, sizeof(path));
  if (rc) return rc;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  if (flock(fd, LOCK_EX) != 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  struct holder holders[MAX_HOLDERS];
  unsigned n = 0;
  memset(managed, 0, BITS);
  if (read_text(fd, path, text, sizeof(text)) == 0) {
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
      struct holder h;
      unsigned lo, hi;
      unsigned long long start;
      if (strncmp(line, "managed ", 8) == 0) {
        gz_ports_parse(line + 8, managed);
      } else if (sscanf(line, "holder %u %llu %u %u", &h.pid, &start, &lo, &hi) == 4 && lo <= hi &&
                 hi <= 65535) {
        h.start = start;
        h.lo = (uint16_t)lo;
        h.hi = (uint16_t)hi;
        bool live = h.pid != (uint32_t)getpid() && gz_pid_start_time(h.pid) == h.start;
        if (live && n < MAX_HOLDERS) holders[n++] = h;
      }
    }
  }
  if (self && n < MAX_HOLDERS) holders[n++] = *self;

  rc = read_text(-1, SYSCTL, text, sizeof(text));
  if (rc == 0) rc = gz_ports_parse(text, current);
  if (rc == 0) {
    memset(want, 0, BITS);
    for (unsigned i = 0; i < n; i++)
      for (unsigned p = holders[i].lo; p <= holders[i].hi; p++) want[p >> 3] |= (uint8_t)(1u << (p & 7));
    bool changed = false;
    for (unsigned i = 0; i < BITS; i++) {
      uint8_t admin = current[i] & (uint8_t)~managed[i];
      want[i] &= (uint8_t)~admin; /* the administrator's ports are not ours */
      uint8_t next = admin | want[i];
      changed |= next != current[i];
      current[i] = next;
    }
    if (changed) rc = write_sysctl(current);
  }
  if (rc == 0) {
    if (n == 0) {
      unlink(path);
    } else {
      size_t len = (size_t)snprintf(text, sizeof(text), "managed ");
      len += gz_ports_format(want, text + len, sizeof(text) - len - 1);
      text[len++] = '\n';
      for (unsigned i = 0; i < n && len < sizeof(text) - 64; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "holder %u %llu %u %u\n", holders[i].pid,
                                (unsigned long long)holders[i].start, holders[i].lo, holders[i].hi);
      if (ftruncate(fd, 0) != 0 || pwrite(fd, text, len, 0) != (ssize_t)len) rc = -errno;
    }
  }
  flock(fd, LOCK_UN);
  close(fd);
  return rc;
}

int gz_reserve_ports(uint16_t lo, uint16_t hi) {
  struct holder self = {(uint32_t)getpid(), gz_pid_start_time((uint32_t)getpid()), lo, hi};
  int rc = update(&self);
  if (rc == 0) held = true;
  return rc;
}

void gz_unreserve_ports(void) {
  if (!held) return;
  update(NULL);
  held = false;
}
