/* The port of LwIP to this process (sys_arch.c in LwIP's ports): its clock for the
 * timers (NO_SYS) and the checksum routine LWIP_CHKSUM names. */
#include <time.h>

#include <rte_ip.h>

#include "gazelle.h"
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
