/* What the XDP program (xdp_steer.c) and the stack (native/src/xdp_*.c) share: the
 * layout of its maps' keys and values. Fixed-size fields only: both sides compile it. */
#ifndef GZ_XDP_STEER_H
#define GZ_XDP_STEER_H

#include <linux/types.h>

#define GZ_XDP_PROG_NAME "gz_steer" /* the program's name, as the kernel reports it */
#define GZ_XDP_MAX_QUEUES 64
#define GZ_XDP_MAX_PORTS 8192
#define GZ_XDP_PORT_KEY(proto, port) (((__u32)(proto) << 16) | (__u32)(port))

/* gz_config[0]: written by the owning stack once its socket is in xsks_map. */
struct gz_xdp_config {
  __u32 active;       /* 0: pass everything to the kernel */
  __u32 take_all;     /* 1: every frame of the queue goes to the stack */
  __u32 ip;           /* the stack's address (network order) */
  __u32 broadcast;    /* its subnet's broadcast address (network order) */
  __u16 ephemeral_lo; /* the stack's ephemeral port range (host order), */
  __u16 ephemeral_hi; /* reserved in the kernel with ip_local_reserved_ports */
  __u32 owner_pid;    /* the stack's process and its start time (clock ticks */
  __u64 owner_start;  /* after boot, /proc/PID/stat field 22): the program of a */
};                    /* dead owner is removed by the next stack */

struct gz_xdp_frag_key {
  __u32 saddr;
  __u16 id;
  __u8 protocol;
  __u8 pad;
};

enum { GZ_XDP_STAT_STACK = 0, GZ_XDP_STAT_KERNEL = 1, GZ_XDP_STATS = 2 };

#endif
