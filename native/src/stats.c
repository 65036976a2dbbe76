/* Walks every counter the stack keeps (port, mbuf pool, LwIP, poll loop) so the
 * binding can hand them to JS as { group: { name: value } }. */
#include "gazelle.h"
#include "xdp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"

static void proto(gz_stat_fn fn, void *ctx, const char *group, const struct stats_proto *p) {
  fn(ctx, group, "xmit", p->xmit);
  fn(ctx, group, "recv", p->recv);
  fn(ctx, group, "drop", p->drop);
  fn(ctx, group, "chkerr", p->chkerr);
  fn(ctx, group, "lenerr", p->lenerr);
  fn(ctx, group, "memerr", p->memerr);
  fn(ctx, group, "rterr", p->rterr);
  fn(ctx, group, "proterr", p->proterr);
  fn(ctx, group, "opterr", p->opterr);
  fn(ctx, group, "err", p->err);
}

void gz_stats_visit(gz_stat_fn fn, void *ctx) {
  struct gz_port_counters c;
  gz_port_counters(&c);
  fn(ctx, "port", "rxPackets", (double)c.rx_packets);
  fn(ctx, "port", "txPackets", (double)c.tx_packets);
  fn(ctx, "port", "rxBytes", (double)c.rx_bytes);
  fn(ctx, "port", "txBytes", (double)c.tx_bytes);
  fn(ctx, "port", "rxMissed", (double)c.rx_missed);
  fn(ctx, "port", "rxErrors", (double)c.rx_errors);
  fn(ctx, "port", "txErrors", (double)c.tx_errors);
  fn(ctx, "port", "txDropped", (double)c.tx_dropped);
  fn(ctx, "port", "txNoMbuf", (double)c.tx_nombuf);
  fn(ctx, "port", "reconnects", (double)c.reconnects);
  fn(ctx, "port", "txBacklog", c.tx_backlog);
  fn(ctx, "port", "rxNoMbuf", (double)c.rx_nombuf);
  fn(ctx, "port", "rxDropped", (double)gz_loop.rx_dropped);
  fn(ctx, "port", "linkUp", gz_port_link_up() ? 1 : 0);
  fn(ctx, "mempool", "size", c.pool_size);
  fn(ctx, "mempool", "inUse", c.pool_in_use);
  fn(ctx, "mempool", "free", c.pool_free);
  struct gz_mem_counters m;
  gz_mem_counters(&m);
  fn(ctx, "lwipMemory", "reservedBytes", (double)m.reserved_bytes);
  fn(ctx, "lwipMemory", "chunks", (double)m.chunks);
  fn(ctx, "lwipMemory", "inUse", (double)m.in_use);

  proto(fn, ctx, "link", &lwip_stats.link);
  proto(fn, ctx, "etharp", &lwip_stats.etharp);
  proto(fn, ctx, "ip", &lwip_stats.ip);
  proto(fn, ctx, "ipFrag", &lwip_stats.ip_frag);
  proto(fn, ctx, "icmp", &lwip_stats.icmp);
  proto(fn, ctx, "udp", &lwip_stats.udp);
  proto(fn, ctx, "tcp", &lwip_stats.tcp);
  fn(ctx, "igmp", "xmit", lwip_stats.igmp.xmit);
  fn(ctx, "igmp", "recv", lwip_stats.igmp.recv);
  fn(ctx, "igmp", "drop", lwip_stats.igmp.drop);

  fn(ctx, "poll", "polls", (double)gz_loop.poll.polls);
  fn(ctx, "poll", "busyPolls", (double)gz_loop.poll.busy_polls);
  fn(ctx, "poll", "rxBursts", (double)gz_loop.poll.rx_bursts);
  fn(ctx, "poll", "events", (double)gz_loop.poll.events);
  fn(ctx, "poll", "batches", (double)gz_loop.poll.batches);
  fn(ctx, "poll", "sleeps", (double)gz_loop.poll.sleeps);
  fn(ctx, "poll", "wakeups", (double)gz_loop.poll.wakeups);
  fn(ctx, "poll", "rxBetween", (double)gz_loop.poll.rx_between);
  fn(ctx, "tcp", "sockets", gz_tcp_count());
  fn(ctx, "tcp", "pcbs", tcp_pcb_count()); /* connections LwIP keeps, TIME-WAIT included */
  fn(ctx, "tcp", "timeWait", tcp_tw_count());
  /* loss recovery (LwIP patches 0001, 0002) */
  fn(ctx, "tcp", "recoveries", tcp_recovery_stats.recoveries);
  fn(ctx, "tcp", "fastRetransmits", tcp_recovery_stats.fast_rexmits);
  fn(ctx, "tcp", "timeouts", tcp_recovery_stats.timeouts);
  fn(ctx, "tcp", "lossProbes", tcp_recovery_stats.loss_probes);
  fn(ctx, "tcp", "spuriousRecoveries", tcp_recovery_stats.undos); /* undone: DSACKs (patch 0005) */
  /* SYN cookies (LwIP patch 0003) */
  fn(ctx, "tcp", "synCookiesSent", tcp_syncookie_stats.sent);
  fn(ctx, "tcp", "synCookiesAccepted", tcp_syncookie_stats.accepted);
  fn(ctx, "tcp", "synCookiesRejected", tcp_syncookie_stats.rejected);
  struct gz_fault_counters frx, ftx;
  gz_faults_counters(&frx, &ftx);
  fn(ctx, "faults", "active", gz_loop.faults_on ? 1 : 0);
  fn(ctx, "faults", "rxDropped", (double)frx.dropped);
  fn(ctx, "faults", "rxDuplicated", (double)frx.duplicated);
  fn(ctx, "faults", "rxReordered", (double)frx.reordered);
  fn(ctx, "faults", "rxDelayed", (double)frx.delayed);
  fn(ctx, "faults", "rxCorrupted", (double)frx.corrupted);
  fn(ctx, "faults", "txDropped", (double)ftx.dropped);
  fn(ctx, "faults", "txDuplicated", (double)ftx.duplicated);
  fn(ctx, "faults", "txReordered", (double)ftx.reordered);
  fn(ctx, "faults", "txDelayed", (double)ftx.delayed);
  fn(ctx, "faults", "txCorrupted", (double)ftx.corrupted);
  gz_udp_stats(fn, ctx);
  gz_xdp_stats(fn, ctx);
}
