/* LwIP configuration for gazelle-node: NO_SYS, raw API, one stack per process,
 * driven from the Node event loop. Pools come from malloc, so memory grows with use;
 * the MEMP_NUM_* below only satisfy LwIP's sanity checks. How many TCP connections a
 * stack keeps is a runtime option (createStack maxConnections: tcp_set_pcb_limit). */
#ifndef GAZELLE_LWIPOPTS_H
#define GAZELLE_LWIPOPTS_H

#ifndef GZ_MAX_LISTEN
#define GZ_MAX_LISTEN 64
#endif
#ifndef GZ_MAX_UDP
#define GZ_MAX_UDP 256
#endif

#define NO_SYS                          1
#define LWIP_SOCKET                     0
#define LWIP_NETCONN                    0
#define LWIP_NETIF_API                  0
#define SYS_LIGHTWEIGHT_PROT            0
#define LWIP_TIMERS                     1

/* Memory: heap and pools both come from gz_mem_malloc (native/src/lwip_mem.c): size
 * classes carved from chunks that grow with use, kept on free lists, never a C library
 * call on the data path. Static memp pools would reserve the largest configuration up
 * front (and could not follow a runtime connection limit). */
#define MEM_LIBC_MALLOC                 1
#define MEMP_MEM_MALLOC                 1
#define mem_clib_malloc                 gz_mem_malloc
#define mem_clib_free                   gz_mem_free
#define mem_clib_calloc                 gz_mem_calloc
#define MEM_ALIGNMENT                   8
/* Only sets mem_size_t to 32 bits (the heap is gz_mem_malloc's): a 64 KiB segment's
 * pbuf with its headers is more than 16 bits count. */
#define MEM_SIZE                        (1024 * 1024)
#define MEMP_NUM_TCP_PCB                1000000
#define MEMP_NUM_TCP_PCB_LISTEN         GZ_MAX_LISTEN
#define MEMP_NUM_UDP_PCB                GZ_MAX_UDP
#define MEMP_NUM_TCP_SEG                (1 << 20)
#define MEMP_NUM_REASSDATA              64
#define MEMP_NUM_FRAG_PBUF              256
#define MEMP_NUM_ARP_QUEUE              4096
#define MEMP_NUM_SYS_TIMEOUT            (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)
#define PBUF_POOL_SIZE                  4096
#define PBUF_POOL_BUFSIZE               2048
#define LWIP_SUPPORT_CUSTOM_PBUF        1   /* zero-copy rx: pbufs that point into mbufs */

/* Link and IP */
#define LWIP_ARP                        1
#define ETHARP_SUPPORT_STATIC_ENTRIES   1
#define ARP_TABLE_SIZE                  64
#define ARP_QUEUEING                    1
/* Frames held per neighbour while its ARP reply is pending. LwIP's default of 3 drops
 * the rest of a first burst: SYNs of a connection burst (500 at once) then wait out TCP's
 * initial retransmission timeout, and datagrams are lost. */
#define ARP_QUEUE_LEN                   1024
#define ETH_PAD_SIZE                    0
#define LWIP_IPV4                       1
#define LWIP_IPV6                       0
#define IP_FORWARD                      0
#define IP_REASSEMBLY                   1
#define IP_FRAG                         1
/* Fragments held for reassembly, all datagrams together: a 64 KiB datagram is 45 of
 * them at MTU 1500, and several may be in flight. */
#define IP_REASS_MAX_PBUFS              512
#define LWIP_ICMP                       1
#define LWIP_RAW                        0
#define LWIP_IGMP                       1
#define LWIP_DHCP                       0
#define LWIP_AUTOIP                     0
#define LWIP_DNS                        0
#define LWIP_UDP                        1
#define LWIP_NETIF_STATUS_CALLBACK      0
#define LWIP_NETIF_LINK_CALLBACK        0
#define LWIP_SINGLE_NETIF               1
#define LWIP_HAVE_LOOPIF                0
/* Datagrams to the stack's own address and multicast loopback (IP_MULTICAST_LOOP,
 * on by default as in Linux) go through the netif's loop queue, drained each poll. */
#define LWIP_NETIF_LOOPBACK             1
#define LWIP_LOOPBACK_MAX_PBUFS         8192

/* TCP: large windows for bulk transfer over memif. */
#define LWIP_TCP                        1
/* The largest MSS: a memif link may run frames up to 65535 bytes, the most LwIP's 16-bit
 * lengths hold (options.mtu allows 65000). LwIP lowers it to the netif's MTU - 40 per
 * connection (TCP_CALCULATE_EFF_SEND_MSS). The sanity checks in init.c want
 * TCP_SNDLOWAT 4 MSS below 64 KiB, a rule for 16-bit send buffers (these are 32-bit
 * with window scaling, and the raw API never reads TCP_SNDLOWAT): they are off, and the
 * ones that still hold are checked below. */
#define TCP_MSS                         65481
#define LWIP_DISABLE_TCP_SANITY_CHECKS  1
#define GZ_MIN_MSS                      1460
#define LWIP_WND_SCALE                  1
#define TCP_RCV_SCALE                   7
#define TCP_WND                         (2 * 1024 * 1024)
#define TCP_SND_BUF                     (2 * 1024 * 1024)
#define TCP_SND_QUEUELEN                (4 * TCP_SND_BUF / GZ_MIN_MSS)
#define TCP_SNDLOWAT                    (0xFFFF - 4 * GZ_MIN_MSS - 1)
#define TCP_SNDQUEUELOWAT               (TCP_SND_QUEUELEN / 2)
#if TCP_SND_BUF < 2 * TCP_MSS || TCP_SND_QUEUELEN < 2 * (TCP_SND_BUF / GZ_MIN_MSS) || \
    TCP_SNDLOWAT >= TCP_SND_BUF || TCP_SNDQUEUELOWAT >= TCP_SND_QUEUELEN || TCP_WND < TCP_MSS
#error "lwipopts.h: TCP buffer sizes out of LwIP's bounds (init.c lwip_sanity_check)"
#endif
/* Out-of-order segments are kept (a loss costs one retransmission, not a window) and
 * SACKed (the sender resends only the holes). Each pins its received mbuf (zero-copy
 * rx), so what one connection may hold follows the pool: half of the mbufs free now
 * (at least 64). A 2 MiB window is ~1400 segments at MTU 1500. */
#define TCP_QUEUE_OOSEQ                 1
#define LWIP_TCP_SACK_OUT               1
#define TCP_OOSEQ_PBUFS_LIMIT(pcb)      gz_ooseq_pbufs_limit()
/* A listener's backlog bounds its half-open connections (JS accepts the established
 * ones at once). node's default is 511; the binding caps it at 4096 like Linux's
 * somaxconn. When the half-open queue is full (a SYN flood), SYN cookies answer: no
 * state is kept until the client's ACK proves the address (tcp_secrets.c keys them). */
#define TCP_LISTEN_BACKLOG              1
#define TCP_DEFAULT_LISTEN_BACKLOG      511
#define TCP_SYNCOOKIES                  1
#define LWIP_TCP_KEEPALIVE              1
/* What tcp_write may allocate ahead for later writes to fill: one 9000-MTU segment,
 * not a whole 64 KiB one per small write. */
#define TCP_OVERSIZE                    8960
#define TCP_CALCULATE_EFF_SEND_MSS      1
#define LWIP_TCP_TIMESTAMPS             0
/* LwIP's fast timer (delayed ACKs, FINs to retry; it visits only the pcbs with work:
 * patch 0004) and slow timer (keepalive, FIN-WAIT-2, TIME-WAIT; every pcb, each 2nd
 * tick). Retransmissions have their own precise timer (patch 0002). A delayed ACK waits
 * up to one tick: it must stay well under the 200 ms minimum RTO, or a peer that sent
 * one segment retransmits it before the ACK leaves (seen at 250 ms: a probe and a
 * timeout for each of 10,000 echoed connections). */
#define TCP_TMR_INTERVAL                100
/* TIME-WAIT lasts 2 x TCP_MSL: 60 s, as Linux's. Ephemeral ports: Linux's default
 * range, chosen by RFC 6056 algorithm 4 (patch 0004, keys: tcp_secrets.c). */
#define TCP_MSL                         30000UL
#define TCP_LOCAL_PORT_RANGE_START      32768
#define TCP_LOCAL_PORT_RANGE_END        60999
#define TCP_SYNMAXRTX                   6
#define TCP_MAXRTX                      12
#define LWIP_TCP_PCB_NUM_EXT_ARGS       0
#define LWIP_CALLBACK_API               1
#define SO_REUSE                        1
#define SO_REUSE_RXTOALL                1   /* multicast/broadcast reach every reuseAddr socket */

/* Checksums: computed with DPDK's rte_raw_cksum, switched per netif so a port
 * with hardware offload skips the work. Checksum-on-copy would bypass the
 * per-netif switch, so it stays off. */
#define LWIP_CHECKSUM_CTRL_PER_NETIF    1
#define LWIP_CHECKSUM_ON_COPY           0
#define CHECKSUM_GEN_IP                 1
#define CHECKSUM_GEN_UDP                1
#define CHECKSUM_GEN_TCP                1
#define CHECKSUM_GEN_ICMP               1
#define CHECKSUM_CHECK_IP               1
#define CHECKSUM_CHECK_UDP              1
#define CHECKSUM_CHECK_TCP              1
#define CHECKSUM_CHECK_ICMP             1
#define LWIP_CHKSUM                     gz_raw_cksum

/* Hooks (prototypes in gazelle_hooks.h, code in src/lwip_arch.c): RFC 6528 initial
 * sequence numbers instead of LwIP's predictable ones. */
#define LWIP_HOOK_FILENAME              "gazelle_hooks.h"
#define LWIP_HOOK_TCP_ISN               gz_tcp_isn
#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>
uint16_t gz_raw_cksum(const void *data, int len);
uint16_t gz_ooseq_pbufs_limit(void);
void *gz_mem_malloc(size_t size);
void *gz_mem_calloc(size_t count, size_t size);
void gz_mem_free(void *p);
#endif

/* Statistics: exported through stack.stats(); 32-bit counters. */
#define LWIP_STATS                      1
#define LWIP_STATS_LARGE                1
#define LWIP_STATS_DISPLAY              0
#define LINK_STATS                      1
#define ETHARP_STATS                    1
#define IP_STATS                        1
#define IPFRAG_STATS                    1
#define ICMP_STATS                      1
#define IGMP_STATS                      1
#define UDP_STATS                       1
#define TCP_STATS                       1
#define MEM_STATS                       1
#define MEMP_STATS                      1
#define SYS_STATS                       0

#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1
#define LWIP_DEBUG                      0
#define LWIP_NOASSERT                   1

#endif
