/* The port of LwIP to this process (sys_arch.c in LwIP's ports): its clock for the
 * timers (NO_SYS), the checksum routine LWIP_CHKSUM names, its random numbers
 * (LWIP_RAND) and the initial sequence numbers of TCP connections (LWIP_HOOK_TCP_ISN). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <rte_ip.h>

#include "gazelle.h"
#include "gazelle_hooks.h"
#include "lwip/sys.h"

uint64_t gz_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* LwIP's clock for its timers (NO_SYS). */
u32_t sys_now(void) { return (u32_t)(gz_now_ns() / 1000000ull); }

/* LWIP_CHKSUM: the one's-complement sum, in memory byte order, DPDK-vectorised. */
uint16_t gz_raw_cksum(const void *data, int len) { return rte_raw_cksum(data, (size_t)len); }

/* ---- random numbers: the kernel's CSPRNG ---- */

int gz_random_bytes(void *buf, size_t len) {
  uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOSYS) break;
    if (n < 0) return -errno;
    p += n;
    len -= (size_t)n;
  }
  if (len == 0) return 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(fd);
      return -e;
    }
    p += n;
    len -= (size_t)n;
  }
  close(fd);
  return 0;
}

/* LWIP_RAND (initial ephemeral ports, IGMP report delays...): words of a pool filled
 * from the kernel's CSPRNG, so a system call serves 64 of them. */
uint32_t gz_random_u32(void) {
  static uint32_t pool[64];
  static unsigned left;
  if (left == 0) {
    int rc = gz_random_bytes(pool, sizeof(pool));
    if (rc != 0) { /* no way to return an error to LwIP, and no safe fallback */
      fprintf(stderr, "gazelle: no random numbers (getrandom, /dev/urandom): %s\n", strerror(-rc));
      abort();
    }
    left = sizeof(pool) / sizeof(pool[0]);
  }
  return pool[--left];
}

/* ---- TCP initial sequence numbers (RFC 6528) ---- */

/* ISN = M + F(local ip, local port, remote ip, remote port, secret): M a clock ticking
 * every 4 microseconds, F a keyed hash (SipHash-2-4) under a secret drawn when the
 * stack opens. A connection's ISN cannot be guessed from another's (LwIP's own is 6510
 * plus a tick count: the next is easy to predict, which blind spoofing and injection
 * into others' connections rely on), while the ISNs of one 4-tuple still grow with the
 * clock, as RFC 793 wants, so a new incarnation's segments stay ahead of an old one's. */
static struct gz_sipkey isn_secret;

void gz_isn_rekey(void) { gz_sipkey_random(&isn_secret); }

u32_t gz_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip, u16_t remote_port) {
  uint8_t tuple[12];
  uint32_t lip = ip4_addr_get_u32(ip_2_ip4(local_ip)), rip = ip4_addr_get_u32(ip_2_ip4(remote_ip));
  memcpy(tuple, &lip, 4);
  memcpy(tuple + 4, &rip, 4);
  memcpy(tuple + 8, &local_port, 2);
  memcpy(tuple + 10, &remote_port, 2);
  uint32_t f = (uint32_t)gz_siphash(&isn_secret, tuple, sizeof(tuple));
  uint32_t m = (uint32_t)(gz_now_ns() / 4000u);
  return m + f;
}
