/* gazelle-node native core: the pieces shared by the C files.
 * Everything here runs on the one thread that owns the stack (the Node event loop). */
#ifndef GAZELLE_H
#define GAZELLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pbuf;
struct tcp_pcb;

/* ---- errors ----
 * Calls JS makes on sockets return 0 (or a count, or an id >= 0) on success and -errno
 * on failure; JS names the error like Node (errnoException). Only opening the stack
 * fails with one of the package's own codes (ERR_GAZELLE_*) and a message: */
struct gz_error {
  const char *code; /* "ERR_GAZELLE_DEVICE", "EADDRINUSE", ... */
  char message[256];
};
int gz_fail(struct gz_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- DPDK's log lines (dpdk_log.c): captured, drained by JS ---- */
#define GZ_LOG_LINE_MAX 256
struct gz_log_line {
  int level; /* RTE_LOG_EMERG (1) .. RTE_LOG_DEBUG (8) */
  char text[GZ_LOG_LINE_MAX];
};
/* Points rte_log's stream at the ring (before rte_eal_init; once per process).
 * GAZELLE_DPDK_STDERR=1 also echoes the lines to stderr. */
void gz_dpdk_log_capture(void);
/* Moves up to max lines, oldest first, into out; *dropped: lines lost to a full ring
 * since the last call. */
size_t gz_dpdk_log_take(struct gz_log_line *out, size_t max, uint64_t *dropped);

/* ---- EAL (eal.c): once per process, kept across stacks ---- */
/* The first call initialises EAL and arranges its cleanup at the process's exit
 * (rte_eal_cleanup, and the --file-prefix runtime directory DPDK leaves behind). */
int gz_eal_init(int argc, char **argv, struct gz_error *err);

/* ---- port (port.c): one DPDK ethdev from a vdev, its mbuf pool and tx buffer ---- */
/* The MTU one mbuf holds whole; larger (memif) frames are mbuf chains. */
#define GZ_MBUF_MTU 9000
struct gz_port_config {
  const char *vdev_name;
  const char *vdev_args;
  unsigned mbufs;
  uint16_t rx_desc;
  uint16_t tx_desc;
  uint16_t mtu;
  bool rx_intr;    /* ask for rx interrupts (falls back to polling) */
  uint16_t queues; /* rx/tx queue pairs, polled in turn; 0 means 1 */
};
int gz_port_open(const struct gz_port_config *cfg, struct gz_error *err);
void gz_port_close(void);
void gz_port_mac(uint8_t mac[6]);
int gz_port_set_mac(const uint8_t mac[6]);
bool gz_port_link_up(void);
/* Keeps the link: a memif client reconnects while it is down (call often; rate-limited). */
void gz_port_maintain(void);
bool gz_port_tx_cksum_offload(void);
/* Receives up to n mbufs (as void*, they are struct rte_mbuf*). */
uint16_t gz_port_rx(void **mbufs, uint16_t n);
/* Queues one mbuf for transmission; sent at gz_port_flush or when the buffer fills.
 * With fault injection on, it goes through the tx fault line first. */
void gz_port_tx(void *mbuf);
void gz_port_tx_now(void *mbuf); /* queues it as it is (past the faults) */
void *gz_port_copy(void *mbuf);  /* a copy from the pool, or NULL */
void gz_port_flush(void);
bool gz_port_tx_kick_costly(void); /* tx_burst ends in a system call (af_packet) */
bool gz_port_peer_polls(void);     /* frames come from a polling peer (memif): spinning delays none */
bool gz_port_socket_wake(void);    /* a sleeping loop waits on a kernel socket (af_packet, af_xdp) */
bool gz_port_tx_copies(void);      /* tx_burst copies frames out: external buffers are fine */
unsigned gz_port_tx_pending(void); /* frames still waiting for the tx ring (or held by faults) */
/* Frames the tx backlog holds (a power of two); UDP may fill half (udp_sock.c). */
#define GZ_TX_BACKLOG 8192
/* Marks an IPv4 frame for IP/TCP/UDP checksum offload (port has the capability). */
void gz_port_request_cksum(void *mbuf);
void *gz_port_alloc(void);
int gz_port_rx_intr_fd(void); /* -1 if the port has no rx interrupt */
int gz_port_rx_intr_enable(bool on);
struct gz_port_counters {
  uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_missed, rx_errors, tx_errors;
  uint64_t tx_dropped; /* frames dropped: the tx backlog was full */
  uint64_t tx_nombuf;  /* frames not made: the rest of the pool was receiving's */
  uint64_t reconnects; /* memif client: attempts to reconnect a link that was down */
  unsigned tx_backlog; /* frames waiting for room in the tx ring */
  uint64_t rx_nombuf;
  unsigned pool_in_use, pool_free, pool_size;
};
void gz_port_counters(struct gz_port_counters *c);
uint32_t gz_port_af_xdp_max_mtu(void); /* largest MTU an AF_XDP frame holds */

/* ---- fault injection (faults.c): drops, duplicates, corrupts, delays and reorders
 * received and sent frames at given rates (fault_line.h); on while gz_loop.faults_on ---- */
struct gz_fault_rates {
  double drop, duplicate, reorder, corrupt; /* probabilities per frame, 0..1 */
  uint32_t delay_us;
};
struct gz_fault_counters {
  uint64_t frames, dropped, duplicated, reordered, delayed, corrupted;
};
void gz_faults_set(const struct gz_fault_rates *rx, const struct gz_fault_rates *tx, uint64_t seed);
void gz_faults_reset(void); /* off; frames held leave (tx) or are freed (rx) */
unsigned gz_faults_rx(void **mbufs, unsigned got, unsigned max);
void gz_faults_tx(void *mbuf);
void gz_faults_tx_release(void); /* delayed/reordered tx frames that are due */
unsigned gz_faults_held(void);
void gz_faults_counters(struct gz_fault_counters *rx, struct gz_fault_counters *tx);

/* ---- netif (netif.c): the LwIP side of the port ---- */
int gz_netif_open(uint32_t ip, uint32_t netmask, uint32_t gw, const uint8_t mac[6], uint16_t mtu,
                  bool tx_cksum_offload, struct gz_error *err);
void gz_netif_close(void);
/* A link that cannot corrupt frames (memif, both ends agreeing): no checksums at all. */
void gz_netif_skip_checksums(void);
/* Feeds received mbufs to LwIP (malformed or unroutable frames: gz_loop.rx_dropped). */
void gz_netif_input(void **mbufs, unsigned n);
/* Feeds packets the stack sent to itself (own address, multicast loop) to LwIP. */
void gz_netif_poll_loopback(void);
/* Frames held for want of tx mbufs: copied out to the port while there are mbufs. */
void gz_netif_tx_flush(void);
unsigned gz_netif_tx_deferred(void);

/* ---- keyed hashing (siphash.c): SipHash-2-4 with keys from getrandom ---- */
struct gz_sipkey {
  uint64_t k[2];
};
uint64_t gz_siphash(const struct gz_sipkey *key, const void *data, size_t len);
void gz_sipkey_random(struct gz_sipkey *key);

/* ---- LwIP's memory (lwip_mem.c): size-class pools behind mem_malloc ---- */
struct gz_mem_counters {
  uint64_t reserved_bytes; /* in chunks taken from the system */
  uint64_t chunks;
  uint64_t in_use; /* blocks LwIP holds */
};
void gz_mem_counters(struct gz_mem_counters *c);
/* Returns the chunks to the system if LwIP holds no block (after a stack closed). */
void gz_mem_release(void);

/* ---- clock and LwIP's port hooks (lwip_arch.c) ---- */
uint64_t gz_now_ns(void);
/* Fills buf from the kernel's CSPRNG (getrandom; /dev/urandom without it): 0 or -errno. */
int gz_random_bytes(void *buf, size_t len);
/* Draws a new secret for TCP initial sequence numbers (RFC 6528). */
void gz_isn_rekey(void);

/* ---- events (events.c): the batch handed to JS once per poll ---- */
enum gz_event_type {
  GZ_EV_ACCEPT = 1,
  GZ_EV_CONNECTED = 2,
  GZ_EV_DATA = 3,
  GZ_EV_EOF = 4,
  GZ_EV_WRITABLE = 5,
  GZ_EV_ERROR = 6,
  GZ_EV_UDP_MESSAGE = 16,  /* a datagram: data, b = source ip * 65536 + port */
  GZ_EV_UDP_WRITABLE = 17, /* a UDP socket whose send was refused may send again */
};
struct gz_event {
  uint8_t type;
  uint32_t id;
  int64_t a;         /* new id, -errno (ERROR), local port, free bytes */
  double b;          /* packed remote address for ACCEPT */
  struct pbuf *data; /* DATA: chain owned by the event until delivered */
  struct pbuf *tail; /* DATA: its last pbuf (appending stays O(1)) */
  uint32_t len;      /* DATA: bytes in the chain (pbuf tot_len is 16 bits) */
};
/* Where a copy out of an event's data stopped (gz_event_copy_part). */
struct gz_event_cursor {
  const struct pbuf *q;
  size_t off;
};
/* Appends an event; the pointer is valid until the next push. NULL if out of memory. */
struct gz_event *gz_events_push(uint8_t type, uint32_t id);
size_t gz_events_count(void);
/* Appends a received pbuf chain to a DATA event; returns its length (a chain LwIP
 * hands over may exceed its 16-bit tot_len). */
uint32_t gz_event_add_data(struct gz_event *ev, struct pbuf *p);
size_t gz_event_data_len(const struct gz_event *ev);
void gz_event_copy_data(const struct gz_event *ev, void *dst);
/* Copies the next n bytes (from where *c stopped; c->q NULL: from the start). */
void gz_event_copy_part(const struct gz_event *ev, struct gz_event_cursor *c, void *dst, size_t n);
struct gz_event *gz_events_at(size_t index);
/* Changes each time the batch is cleared: tells whether a saved index is current. */
uint32_t gz_events_generation(void);
/* Frees the data of delivered events and starts a new batch. */
void gz_events_clear(void);
void gz_events_free(void);

/* ---- TCP socket table (tcp_sock.c): ids or counts >= 0, -errno on failure ----
 * -EBADF: the id is no socket (or not a connection, where one is needed). */
int gz_tcp_listen(uint32_t ip, uint16_t port, int backlog);          /* the listener's id */
int gz_tcp_connect(uint32_t ip, uint16_t port, uint16_t local_port); /* the socket's id */
int gz_tcp_local_port(uint32_t id);
/* Returns bytes accepted (fewer than len: the send buffer is full, GZ_EV_WRITABLE
 * follows), or -EPIPE if id is no live connection. */
long gz_tcp_write(uint32_t id, const void *data, size_t len);
/* Nothing of id's is unsent or unacknowledged: a write now opens a turn (gz_stack_send_now). */
bool gz_tcp_idle(uint32_t id);
void gz_tcp_output_now(uint32_t id); /* tcp_output now rather than at the poll's flush */
/* Bytes one gz_tcp_write takes whole now (<= 64 KiB; 0 if the send queue is full), or -EPIPE. */
long gz_tcp_room(uint32_t id);
int gz_tcp_shutdown(uint32_t id);
int gz_tcp_close(uint32_t id);
int gz_tcp_abort(uint32_t id);
int gz_tcp_pause(uint32_t id, bool paused);
int gz_tcp_set_nodelay(uint32_t id, bool on);
int gz_tcp_set_keepalive(uint32_t id, bool on, uint32_t idle_ms);
/* tcp_output for sockets written since the last flush, and retries of closes that ran
 * out of memory. Delayed ACKs leave with data, or after a few turns of the loop (send_acks:
 * GZ_FLUSH_ALL, a new turn); gz_tcp_acks_held() says some wait. */
void gz_tcp_flush(bool send_acks);
bool gz_tcp_acks_held(void);
/* Per-connection state, like `ss -ti` (gazellectl conns). */
struct gz_tcp_info {
  int state; /* LwIP enum tcp_state */
  uint32_t local_ip, remote_ip;
  uint16_t local_port, remote_port;
  uint32_t snd_wnd, rcv_wnd, cwnd, ssthresh, snd_buf, mss;
  uint32_t unacked_bytes, unsent_bytes, queue_len;
  uint32_t rto_ms, retransmits, unacked_rx;
  bool paused;
};
void gz_tcp_close_all(void);
/* The most connections (LwIP pcbs in any state, TIME-WAIT included, listeners aside)
 * the stack keeps: at the limit the oldest TIME-WAIT makes room, else connect is
 * EMFILE and SYNs are answered with cookies that cannot complete. */
void gz_tcp_set_limit(uint32_t max_connections);
bool gz_tcp_at_limit(void);
unsigned gz_tcp_count(void);
/* Whether connections JS has closed still have data or a FIN to deliver. */
bool gz_tcp_lingering(void);
/* Whether any connection has data sent and not yet acked, or queued to send: an ACK
 * (or window update) is due, so the poll loop should not sleep through it. */
bool gz_tcp_in_flight(void);
/* Ids closed during the last batch become reusable (called at the start of a poll). */
void gz_tcp_recycle_ids(void);

/* A socket-table id as the argument LwIP hands to a pcb's callbacks: id + 1, because a
 * pcb without an owner has NULL (detached: JS closed it), and socket 0 must not look so. */
#define GZ_ID_ARG(id) ((void *)((uintptr_t)(id) + 1))
#define GZ_ARG_ID(arg) ((uint32_t)((uintptr_t)(arg)-1)) /* UINT32_MAX for NULL: no socket */

/* ---- ids (idtable.c): socket-table ids, reused only from the next batch on ---- */
struct gz_ids {
  uint32_t *free_ids, *released, *waiting;
  uint32_t free_len, free_cap, released_len, released_cap, waiting_len, waiting_cap;
  uint32_t next;
};
int64_t gz_ids_take(struct gz_ids *t); /* -1 if none is left */
void gz_ids_release(struct gz_ids *t, uint32_t id);
void gz_ids_recycle(struct gz_ids *t); /* at each poll: ids released two polls ago become free */
void gz_ids_reset(struct gz_ids *t);

/* ---- UDP socket table (udp_sock.c): 0 or a count on success, -errno on failure ---- */
struct gz_iov {
  const void *data;
  size_t len;
};
enum gz_udp_option {
  GZ_UDP_BROADCAST = 0,
  GZ_UDP_TTL = 1,
  GZ_UDP_MULTICAST_TTL = 2,
  GZ_UDP_MULTICAST_LOOP = 3,
  GZ_UDP_MULTICAST_IF = 4, /* host-order IPv4 address, 0 for the default */
  GZ_UDP_RECV_BUFFER = 5,  /* bytes of datagrams one batch holds for the socket */
  GZ_UDP_SEND_BUFFER = 6,  /* bytes the socket may send between two polls */
};
struct gz_udp_address {
  uint32_t local_ip, remote_ip;
  uint16_t local_port, remote_port;
  bool connected;
};
struct gz_udp_counters {
  uint64_t rx_datagrams, rx_bytes, rx_dropped, tx_datagrams, tx_bytes, tx_errors;
};
int gz_udp_open(bool reuse_addr);                         /* returns the id */
int gz_udp_bind(uint32_t id, uint32_t ip, uint16_t port); /* returns the port bound */
int gz_udp_connect(uint32_t id, uint32_t ip, uint16_t port);
int gz_udp_disconnect(uint32_t id);
int gz_udp_address(uint32_t id, struct gz_udp_address *a);
/* Sends one datagram (to ip:port, or to the connected peer); returns its length.
 * -EAGAIN: the socket's send budget or the port's backlog is full: retry after
 * GZ_EV_UDP_WRITABLE. */
long gz_udp_send(uint32_t id, uint32_t ip, uint16_t port, const struct gz_iov *iov, unsigned n);
int gz_udp_close(uint32_t id);
int gz_udp_set_option(uint32_t id, enum gz_udp_option opt, uint32_t value);
long gz_udp_get_option(uint32_t id, enum gz_udp_option opt);
int gz_udp_membership(uint32_t id, uint32_t group, bool join);
int gz_udp_counters(uint32_t id, struct gz_udp_counters *c);
/* Called once per poll after the port flush: send budgets restart, refused sockets hear. */
void gz_udp_flush(void);
void gz_udp_recycle_ids(void);
void gz_udp_close_all(void);
unsigned gz_udp_count(void);

/* ---- stack (stack.c): one poll iteration ---- */
struct gz_poll_counters {
  uint64_t polls, busy_polls, rx_bursts, events, batches, sleeps, wakeups;
  uint64_t rx_between; /* frames received while JS worked through a batch */
};
/* The state one poll loop shares across files (as l3fwd's lcore_conf): counters, the
 * latency marks of the poll in progress and the capture switch the port tests. */
struct gz_loop_state {
  struct gz_poll_counters poll;
  uint64_t rx_dropped;    /* malformed or unroutable frames dropped (netif.c) */
  uint64_t lat_rx_tsc;    /* first frame received in this poll; 0: none */
  uint64_t lat_write_tsc; /* oldest JS write not yet handed to the tx ring; 0: none */
  bool capture_on;        /* capture.c copies frames while set (one branch when off) */
  bool faults_on;         /* faults.c injects faults while set (one branch when off) */
};
extern struct gz_loop_state gz_loop;
/* Receives, runs LwIP input and timers; returns packets received. */
unsigned gz_stack_poll(void);
/* Input only, between the JS calls of a batch (at most every 200 us); frames received. */
unsigned gz_stack_receive_between(void);
/* After JS handled (part of) the batch: flush TCP output and the tx buffer. Between
 * two JS calls of one poll (GZ_FLUSH_RUN), frames are handed to a port whose transmit
 * costs a system call (af_packet) only once enough wait for a full burst. Delayed ACKs
 * that no data carried wait for GZ_FLUSH_ALL (a later turn of the loop). */
enum gz_flush {
  GZ_FLUSH_RUN,  /* between two JS calls of a batch */
  GZ_FLUSH_POLL, /* at the end of a poll */
  GZ_FLUSH_ALL,  /* the next turn: what JS wrote outside the poll, and the held ACKs */
};
void gz_stack_flush(enum gz_flush how);
void gz_stack_send_now(uint32_t id, size_t bytes);

/* ---- stats (stats.c) ---- */
typedef void (*gz_stat_fn)(void *ctx, const char *group, const char *name, double value);
void gz_stats_visit(gz_stat_fn fn, void *ctx);
void gz_udp_stats(gz_stat_fn fn, void *ctx);

/* ---- operator visibility: latency.c, capture.c, tcp_list.c, peercred.c ---- */
/* Latency by stage, in log2 buckets of nanoseconds: bucket i counts samples below
 * 2^i ns (bucket 0: 0 ns). Timestamps are TSC cycles (rte_rdtsc). */
enum gz_lat_stage { GZ_LAT_RX_TO_JS = 0, GZ_LAT_JS_BATCH, GZ_LAT_WRITE_TO_TX, GZ_LAT_STAGES };
#define GZ_LAT_BUCKETS 40
struct gz_lat_hist {
  uint64_t count, sum_ns, max_ns;
  uint64_t buckets[GZ_LAT_BUCKETS];
};
uint64_t gz_lat_tsc(void);
uint64_t gz_tsc_per_us(void);
void gz_lat_record(int stage, uint64_t start_tsc, uint64_t end_tsc);
const struct gz_lat_hist *gz_lat_get(int stage);
void gz_lat_reset(void);
uint64_t gz_port_tx_handed(void); /* frames the tx ring has taken, ever */

/* pcap capture of rx/tx frames into a memory buffer that JS drains to a file.
 * The port checks gz_loop.capture_on (one branch when off). */
struct gz_capture_stats {
  bool on;
  uint64_t packets, bytes, dropped, limit;
  size_t buffered;
};
int gz_capture_start(size_t buffer_bytes, uint64_t limit, uint32_t snaplen); /* 0 or -ENOMEM */
void gz_capture_stop(void);
void gz_capture_frame(const void *mbuf);
/* Moves up to max buffered bytes (whole records) to dst; returns the bytes moved. */
size_t gz_capture_take(void *dst, size_t max);
void gz_capture_status(struct gz_capture_stats *st);
void gz_capture_free(void);

/* Every TCP pcb LwIP holds (listening, active, TIME_WAIT), like `ss -ta`. */
struct gz_conn_info {
  struct gz_tcp_info tcp;
  int32_t id;    /* socket-table id, -1 when JS has let go of it */
  double age_ms; /* since the socket-table entry was made; -1 unknown */
};
typedef void (*gz_conn_fn)(void *ctx, const struct gz_conn_info *info);
void gz_tcp_list(gz_conn_fn fn, void *ctx);
/* A pcb's state with what the socket table adds (paused, unread bytes) when JS holds it:
 * its id and age, else id -1 (tcp_sock.c). */
void gz_tcp_conn_info(const struct tcp_pcb *pcb, uint64_t now, struct gz_conn_info *info);

/* SO_PEERCRED of a connected unix socket; 0 or -errno. */
int gz_peer_cred(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid);

#ifdef __cplusplus
}
#endif
#endif
