/* Every TCP pcb LwIP holds, listening, active and in TIME_WAIT, with what `ss -ti`
 * shows: the connections JS owns and the ones it closed that are still finishing. */
#include "gazelle.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

static void visit(const struct tcp_pcb *pcb, uint64_t now, gz_conn_fn fn, void *ctx) {
  struct gz_conn_info c;
  gz_tcp_conn_info(pcb, now, &c);
  fn(ctx, &c);
}

void gz_tcp_list(gz_conn_fn fn, void *ctx) {
  uint64_t now = gz_now_ns();
  for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
    visit((const struct tcp_pcb *)l, now, fn, ctx);
  for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next) visit(p, now, fn, ctx);
  for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next) visit(p, now, fn, ctx);
}
