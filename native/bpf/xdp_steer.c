/* The XDP program of the af_xdp device: decides, frame by frame, whether the stack or
 * the kernel gets it. Kernel first: only IPv4 TCP/UDP addressed to the stack's address
 * whose destination port the stack claimed (gz_ports: listening and bound ports) or
 * that falls in its ephemeral range (reserved in the kernel, so the kernel never uses
 * it) go to the stack's AF_XDP socket; ARP, ICMP, IPv6 and every other port pass to
 * the kernel, which shares the interface's address and MAC with the stack.
 * With take_all set, every frame of the queue goes to the stack (a dedicated NIC).
 *
 * The stack finds the maps through the program attached to its interface (by id: no
 * bpffs, no pins), and the owner's pid in gz_config tells a later stack whether a
 * program left attached belongs to a process that died. Until the owner has written
 * gz_config (all zero) and after its socket is gone (xsks_map empty), everything
 * passes to the kernel: a crashed stack leaves the host's networking working.
 *
 * Built at set-up: clang -O2 -target bpf (native/binding.gyp). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp_steer.h"

/* The AF_XDP sockets, one per queue: the PMD inserts them (key = queue index). */
struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, GZ_XDP_MAX_QUEUES);
  __type(key, __u32);
  __type(value, __u32);
} xsks_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct gz_xdp_config);
} gz_config SEC(".maps");

/* Key: GZ_XDP_PORT_KEY(protocol, port in host order); value: unused (presence). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, GZ_XDP_MAX_PORTS);
  __type(key, __u32);
  __type(value, __u8);
} gz_ports SEC(".maps");

/* Fragments after the first carry no ports: the first one's verdict, by (source, id). */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 1024);
  __type(key, struct gz_xdp_frag_key);
  __type(value, __u8);
} gz_frags SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, GZ_XDP_STATS);
  __type(key, __u32);
  __type(value, __u64);
} gz_stats SEC(".maps");

static __always_inline void count(__u32 which) {
  __u64 *n = bpf_map_lookup_elem(&gz_stats, &which);
  if (n) *n += 1;
}

static __always_inline int to_stack(struct xdp_md *ctx) {
  count(GZ_XDP_STAT_STACK);
  /* No socket on this queue (its stack is gone): the kernel gets the frame. */
  return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

static __always_inline int to_kernel(void) {
  count(GZ_XDP_STAT_KERNEL);
  return XDP_PASS;
}

static __always_inline int stack_port(const struct gz_xdp_config *cfg, __u8 proto, __u16 port, int unicast) {
  if (unicast && port >= cfg->ephemeral_lo && port <= cfg->ephemeral_hi) return 1;
  __u32 key = GZ_XDP_PORT_KEY(proto, port);
  return bpf_map_lookup_elem(&gz_ports, &key) != NULL;
}

SEC("xdp")
int gz_steer(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  __u32 zero = 0;
  const struct gz_xdp_config *cfg = bpf_map_lookup_elem(&gz_config, &zero);
  if (!cfg || !cfg->active) return to_kernel();
  if (cfg->take_all) return to_stack(ctx);

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return to_kernel();
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->ihl < 5) return to_kernel();
  if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP) return to_kernel();
  /* Multicast and broadcast datagrams reach the stack only on UDP ports it bound. */
  int unicast = ip->daddr == cfg->ip;
  if (!unicast) {
    int group = (bpf_ntohl(ip->daddr) >> 28) == 0xe || ip->daddr == 0xffffffff || ip->daddr == cfg->broadcast;
    if (!group || ip->protocol != IPPROTO_UDP) return to_kernel();
  }

  __u16 frag = bpf_ntohs(ip->frag_off);
  struct gz_xdp_frag_key fk = {.saddr = ip->saddr, .id = ip->id, .protocol = ip->protocol};
  if (frag & 0x1fff) { /* a later fragment: goes where its first fragment went */
    return bpf_map_lookup_elem(&gz_frags, &fk) ? to_stack(ctx) : to_kernel();
  }

  void *l4 = (void *)ip + ip->ihl * 4;
  __u16 dport;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) > end) return to_kernel();
    dport = bpf_ntohs(tcp->dest);
  } else {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > end) return to_kernel();
    dport = bpf_ntohs(udp->dest);
  }
  if (!stack_port(cfg, ip->protocol, dport, unicast)) return to_kernel();
  if (frag & 0x2000) { /* more fragments follow: send them the same way */
    __u8 one = 1;
    bpf_map_update_elem(&gz_frags, &fk, &one, BPF_ANY);
  }
  return to_stack(ctx);
}

char _license[] SEC("license") = "Dual MIT/GPL";
