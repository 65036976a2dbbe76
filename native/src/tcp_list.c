/* Every TCP pcb LwIP holds, listening, active and in TIME_WAIT, with what `ss -ti`
 * shows: the connections JS owns and the ones it closed that are still finishing. */
#include <string.h>

#include "gazelle.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

static uint32_t queued_bytes(const struct tcp_seg *seg) {
  uint32_t n = 0;
  for (; seg; seg = seg->next) n += seg->len;
  return n;
}

void gz_tcp_pcb_info(const struct tcp_pcb *pcb, struct gz_tcp_info *info) {
  memset(info, 0, sizeof(*info));
  info->state = pcb->state;
  info->local_ip = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)));
  info->local_port = pcb->local_port;
  if (pcb->state == LISTEN) return;   /* a tcp_pcb_listen: only the common fields exist */
  info->remote_ip = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));
  info->remote_port = pcb->remote_port;
  info->snd_wnd = pcb->snd_wnd;
  info->rcv_wnd = pcb->rcv_wnd;
  info->cwnd = pcb->cwnd;
  info->ssthresh = pcb->ssthresh;
  info->snd_buf = pcb->snd_buf;
  info->mss = pcb->mss;
  info->unacked_bytes = queued_bytes(pcb->unacked);
  info->unsent_bytes = queued_bytes(pcb->unsent);
  info->queue_len = pcb->snd_queuelen;
  info->rto_ms = pcb->rto_ms;
  info->retransmits = pcb->nrtx;
}

static void visit(const struct tcp_pcb *pcb, uint64_t now, gz_conn_fn fn, void *ctx) {
  struct gz_conn_info c;
  uint64_t created = 0;
  c.id = gz_tcp_owner(pcb, &created);
  c.age_ms = c.id >= 0 ? (double)(now - created) / 1e6 : -1;
  if (c.id >= 0) gz_tcp_info((uint32_t)c.id, &c.tcp);   /* with paused and unread bytes */
  else gz_tcp_pcb_info(pcb, &c.tcp);
  fn(ctx, &c);
}

void gz_tcp_list(gz_conn_fn fn, void *ctx) {
  uint64_t now = gz_now_ns();
  for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
    visit((const struct tcp_pcb *)l, now, fn, ctx);
  for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next) visit(p, now, fn, ctx);
  for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next) visit(p, now, fn, ctx);
}
