/* The af_xdp device's host side: the XDP program on the interface (xdp_prog.c), the
 * ports the stack takes from the kernel (xdp_ports.c), the ephemeral range reserved in
 * the kernel (xdp_reserve.c) and next-hop MACs learnt from the kernel's neighbour table
 * (xdp_neigh.c). Runs on the stack's thread, like the rest of the core. */
#ifndef GAZELLE_XDP_H
#define GAZELLE_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gazelle.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tcp_pcb;
struct udp_pcb;

/* ---- before the port opens (xdp_prog.c) ---- */
/* Removes the program a stack that died left on the interface (note says so, "" if
 * nothing was left), refuses one another live stack or another program owns, then
 * checks that the kernel takes AF_XDP sockets and that the program at prog_path loads
 * and attaches (ERR_GAZELLE_XDP_PROGRAM / ERR_GAZELLE_XDP_UNSUPPORTED with the kernel's
 * words; the verifier's whole log stays in gz_xdp_load_log()). */
int gz_xdp_prepare(const char *ifname, const char *prog_path, char *note, size_t note_len,
                   struct gz_error *err);
/* libbpf's messages while the program was last loaded (verifier log included). */
const char *gz_xdp_load_log(void);

/* ---- once the port is open: the PMD attached the program and inserted its sockets ---- */
struct gz_xdp_params {
  const char *ifname;
  uint32_t ip, netmask;                /* the stack's address, host order */
  bool take_all;                       /* every frame of the queue, no bifurcation */
  uint16_t ephemeral_lo, ephemeral_hi; /* bifurcation: the stack's ephemeral ports */
};
struct gz_xdp_info {
  bool active, take_all, zero_copy, native; /* native: driver-mode XDP (else generic) */
  uint32_t prog_id, sockets;
  uint16_t ephemeral_lo, ephemeral_hi;
  bool reserved; /* the range is in ip_local_reserved_ports */
};
int gz_xdp_start(const struct gz_xdp_params *p, struct gz_error *err);
/* After the port closed (the PMD removed the program): ports back to the kernel. */
void gz_xdp_stop(void);
/* The AF_XDP socket of a one-queue port (readable while frames wait): -1 if not one. */
int gz_xdp_socket_fd(void);
/* After the port closed: releases the AF_XDP sockets DPDK 22.11 leaves open. */
void gz_xdp_release_sockets(void);
bool gz_xdp_active(void);
void gz_xdp_get_info(struct gz_xdp_info *info);
void gz_xdp_stats(gz_stat_fn fn, void *ctx);

/* ---- program maps (xdp_prog.c), used by xdp_ports.c ---- */
int gz_xdp_ports_map_fd(void);
/* Frames the program sent to the stack and passed to the kernel, all CPUs. */
void gz_xdp_prog_counts(uint64_t *to_stack, uint64_t *to_kernel);

/* ---- ports (xdp_ports.c): hooks of tcp_sock.c and udp_sock.c ----
 * Bind like tcp_bind/udp_bind; with bifurcation on, port 0 takes a free port of the
 * ephemeral range, and a port outside it is claimed from the kernel: a kernel socket
 * holds it (ERR_USE if the kernel uses it) and the program steers it to the stack. */
int8_t gz_xdp_tcp_bind(struct tcp_pcb *pcb, uint32_t ip, uint16_t port);
int8_t gz_xdp_udp_bind(struct udp_pcb *pcb, uint32_t ip, uint16_t port);
int gz_ports_start(uint32_t ip, uint16_t lo, uint16_t hi, struct gz_error *err);
void gz_ports_stop(void);
/* Gives back claims no LwIP pcb uses any more (listener closed, TIME-WAIT over). */
void gz_ports_sweep(void);
unsigned gz_ports_claimed(void);

/* ---- ip_local_reserved_ports (xdp_reserve.c) ---- */
/* Adds [lo, hi] for this process (and drops ranges of stacks that died); 0 or -errno. */
int gz_reserve_ports(uint16_t lo, uint16_t hi);
/* Takes this process's range out again (ports other live stacks reserved stay). */
void gz_unreserve_ports(void);
/* Range-list text ("8080,61000-65535") <-> a 65536-bit map; pure, unit-testable. */
int gz_ports_parse(const char *text, uint8_t bits[8192]);
size_t gz_ports_format(const uint8_t bits[8192], char *out, size_t len);

/* ---- neighbours (xdp_neigh.c) ---- */
int gz_neigh_start(int ifindex, struct gz_error *err);
void gz_neigh_stop(void);
/* netif.c's linkoutput: true if the frame was LwIP asking ARP for a next hop, which the
 * kernel resolves instead (its reply would go to the kernel, not to the stack). */
bool gz_neigh_intercept(const void *frame, size_t len);
/* Reads what the kernel reported; returns true while a lookup is outstanding. */
bool gz_neigh_poll(void);
unsigned gz_neigh_entries(void);

/* A process's start time (clock ticks after boot, /proc/PID/stat field 22); 0: gone. */
uint64_t gz_pid_start_time(uint32_t pid);

#ifdef __cplusplus
}
#endif
#endif
