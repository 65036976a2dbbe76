/* One poll of the stack: receive a few bursts, run LwIP input and timers.
 * The caller (loop.cc) hands the resulting events to JS, then flushes. */
#include <rte_cycles.h>

#include "gazelle.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"

#define RX_BURST 32
#define MAX_BURSTS 8 /* bound the work of one poll so JS gets its turn */

struct gz_loop_state gz_loop;

/* True at most once every gap_us, timed by the TSC (cheaper than reading the clock);
 * *next keeps the caller's schedule. */
static bool every_us(uint64_t *next, uint64_t gap_us) {
  uint64_t tsc = rte_rdtsc();
  if (tsc < *next) return false;
  *next = tsc + gap_us * gz_tsc_per_us();
  return true;
}

/* LwIP's timers tick in milliseconds (the retransmission timer) or coarser, and
 * checking them reads the clock (a vDSO call, more than a poll of an empty ring
 * costs): a spinning loop checks them at most every 100 us. */
static void run_timers(void) {
  static uint64_t next;
  if (!every_us(&next, 100)) return;
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
  /* The ACKs LwIP sent while taking the input in (every second full segment), and the
   * segments those ACKs let a sender send, leave now, not after JS has handled the data:
   * the sender's window reopens while the receiver copies and reads (a 2 MiB window of
   * jumbo frames arrives in one poll, and would stall until the receiver had read all of
   * it; over af_packet, ACKs waited behind JS's handling of up to 256 frames, which
   * lengthened every round trip of a bulk upload by the receiver's read time). On
   * af_packet this kick is a sendto(), made only when the input queued frames: a request
   * (delayed ACK) queues none, so answers still leave in one kick at the end of the poll
   * (h2load, 20,000 GETs: ~0.1 sendto per request before and after; 6 KB POSTs, whose
   * bodies are ACKed: 0.13-0.18 -> 0.17-0.22). */
  if (total && gz_port_tx_pending()) gz_port_flush();
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
  static uint64_t next;
  if (!every_us(&next, RECEIVE_GAP_US)) return 0;
  unsigned n = receive();
  if (n) gz_loop.poll.rx_between += n;
  return n;
}

/* The oldest write is on the wire once frames went out and none wait behind them. */
static void note_written(uint64_t handed_before) {
  if (gz_loop.lat_write_tsc && gz_port_tx_handed() != handed_before && !gz_port_tx_pending()) {
    gz_lat_record(GZ_LAT_WRITE_TO_TX, gz_loop.lat_write_tsc, gz_lat_tsc());
    gz_loop.lat_write_tsc = 0;
  }
}

/* A write that opens a turn (a request, or the answer to one: nothing of its socket was
 * unsent or unacknowledged before it) and ends what JS hands over in that call leaves at
 * once, as a kernel socket's write() sends it, instead of when JS returns from the whole
 * callback (the rest of the handler, the stream's bookkeeping, ticks): ~0.2 us earlier per
 * side of a ping-pong, more after node:http's work that follows a response's write. The
 * socket's later writes, while this one is unacknowledged, wait for the poll's flush as
 * before, so a burst of writes still leaves in full segments. Only where handing a frame
 * to the port costs no system call, and with nothing older waiting in the tx backlog;
 * where it costs a sendto (af_packet, AF_XDP), only a write of SEND_NOW_COSTLY_MIN or more:
 * the start of a bulk send, whose first segments otherwise waited until JS had filled the
 * whole send buffer (16 MiB downloads over a veth, loaded machine, 4 alternating runs: the
 * first byte reached the client 47-95 ms after it connected, now 8-89 ms, median ~24;
 * from a kernel socket ~3-12 ms), while an answer's frames still share the poll's kick. */
#define SEND_NOW_COSTLY_MIN (64 * 1024)
void gz_stack_send_now(uint32_t id, size_t bytes) {
  if ((gz_port_tx_kick_costly() && bytes < SEND_NOW_COSTLY_MIN) || gz_port_tx_pending()) return;
  uint64_t handed = gz_port_tx_handed();
  gz_tcp_output_now(id);
  gz_port_flush();
  note_written(handed);
}

void gz_stack_flush(enum gz_flush how) {
  bool end_of_poll = how != GZ_FLUSH_RUN;
  uint64_t handed = gz_port_tx_handed();
  gz_netif_tx_flush();
  gz_tcp_flush(how == GZ_FLUSH_ALL);
  if (end_of_poll || !gz_port_tx_kick_costly()) gz_port_flush();
  note_written(handed);
  gz_udp_flush();
}
