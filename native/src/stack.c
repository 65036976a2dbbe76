/* One poll of the stack: receive a few bursts, run LwIP input and timers.
 * The caller (loop.cc) hands the resulting events to JS, then flushes. */
#include <rte_cycles.h>

#include "gazelle.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"

#define RX_BURST 32
#define MAX_BURSTS 8 /* bound the work of one poll so JS gets its turn */

struct gz_loop_state gz_loop;

/* LwIP's timers tick in milliseconds (the retransmission timer) or coarser, and
 * checking them reads the clock (a vDSO call, more than a poll of an empty ring
 * costs): a spinning loop checks them at most every 100 us, timed by the TSC. */
static void run_timers(void) {
  static uint64_t next, gap;
  uint64_t tsc = rte_rdtsc();
  if (tsc < next) return;
  if (!gap) gap = rte_get_tsc_hz() / 10000;
  next = tsc + gap;
  sys_check_timeouts();
  tcp_rtx_tmr(); /* retransmissions and loss probes, to the ms */
  gz_port_maintain();
}

static unsigned receive(void) {
  void *mbufs[RX_BURST];
  unsigned total = 0;
  for (int b = 0; b < MAX_BURSTS; b++) {
    uint16_t n = gz_port_rx(mbufs, RX_BURST);
    if (n == 0) break;
    gz_loop.poll.rx_bursts++;
    if (!gz_loop.lat_rx_tsc) gz_loop.lat_rx_tsc = gz_lat_tsc();
    gz_netif_input(mbufs, n);
    total += n;
    if (n < RX_BURST) break;
  }
  return total;
}

unsigned gz_stack_poll(void) {
  gz_tcp_recycle_ids();
  gz_udp_recycle_ids();
  gz_loop.lat_rx_tsc = 0;
  unsigned total = receive();
  gz_netif_poll_loopback();
  run_timers();
  /* The ACKs LwIP sent while taking the input in (every second full segment) leave now,
   * not after JS has handled the data: the sender's window reopens while the receiver
   * copies and reads (a 2 MiB window of jumbo frames arrives in one poll, and would
   * stall until the receiver had read all of it). Where a flush costs a system call
   * (gz_port_tx_kick_costly), they wait for the end of the poll. */
  if (total && !gz_port_tx_kick_costly()) gz_port_flush();
  gz_loop.poll.polls++;
  if (total) gz_loop.poll.busy_polls++;
  return total;
}

/* While JS works through a large batch of events (10,000 connections closing at once:
 * one 'end' each), the port's ring is still emptied into LwIP every RECEIVE_GAP_US:
 * af_packet has no backpressure and drops what does not fit its ring, and ACKs left
 * waiting there make the peer retransmit. What this input produces (events) waits for
 * the next batch; it counts as traffic. */
#define RECEIVE_GAP_US 200
unsigned gz_stack_receive_between(void) {
  static uint64_t next, gap;
  uint64_t tsc = rte_rdtsc();
  if (tsc < next) return 0;
  if (!gap) gap = rte_get_tsc_hz() / (1000000 / RECEIVE_GAP_US);
  next = tsc + gap;
  unsigned n = receive();
  if (n) gz_loop.poll.rx_between += n;
  return n;
}

void gz_stack_flush(enum gz_flush how) {
  bool end_of_poll = how != GZ_FLUSH_RUN;
  uint64_t handed = gz_port_tx_handed();
  gz_netif_tx_flush();
  gz_tcp_flush(how == GZ_FLUSH_ALL);
  if (end_of_poll || !gz_port_tx_kick_costly()) gz_port_flush();
  /* The oldest write is on the wire once frames went out and none wait behind them. */
  if (gz_loop.lat_write_tsc && gz_port_tx_handed() != handed && !gz_port_tx_pending()) {
    gz_lat_record(GZ_LAT_WRITE_TO_TX, gz_loop.lat_write_tsc, gz_lat_tsc());
    gz_loop.lat_write_tsc = 0;
  }
  gz_udp_flush();
}
