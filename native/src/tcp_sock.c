/* The TCP socket table: LwIP raw-API pcbs behind small integer ids that JS holds.
 * LwIP callbacks turn into events (events.c) delivered to JS once per poll.
 * tcp_arg carries the id (GZ_ID_ARG), not a pointer, because the table may grow. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gazelle.h"
#include "xdp.h"
#include "lwip/ip_addr.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

enum sock_kind { SOCK_FREE = 0, SOCK_LISTEN, SOCK_CONN };
enum conn_state { CONN_CONNECTING = 0, CONN_OPEN };

struct sock {
  struct tcp_pcb *pcb;
  uint8_t kind;
  uint8_t state;
  bool paused;        /* JS is not reading: do not reopen the receive window */
  bool want_writable; /* a write came up short: tell JS when there is room */
  bool dirty;         /* written since the last flush: needs tcp_output */
  bool fin_pending;   /* shutdown ran out of memory: retry at flush */
  bool ack_held;      /* on the held-ACK list (gz_tcp_flush) */
  uint32_t unacked;   /* bytes delivered while paused, acked on resume */
  uint32_t next_dirty;
  uint32_t next_ack;
  uint32_t ack_turn;   /* the turn its delayed ACK was held at */
  uint64_t ack_ns;     /* and when */
  uint32_t data_event; /* index of this batch's DATA event, to append segments to */
  uint32_t data_gen;   /* batch generation data_event belongs to (0: none) */
  uint64_t created_ns; /* for the age column of gazellectl conns */
};

#define NONE UINT32_MAX
/* Tell JS it may write again once this much room is free (or all is acked). */
#define WRITABLE_THRESHOLD (TCP_SND_BUF / 8)

static struct sock *socks;
static uint32_t capacity;
static uint32_t live;
static struct gz_ids ids; /* ids closed during a batch are reused from the next poll on */
static uint32_t dirty_head = NONE;
static uint32_t acks_head = NONE; /* delayed ACKs held for a later turn of the loop */
static uint32_t turn;             /* the loop's turns (flushes that send ACKs) */
/* How long a delayed ACK waits for data to carry it: ACK_HOLD_TURNS turns of the loop,
 * at most ACK_HOLD_NS. One turn: the answer a server writes in its own run of events
 * carries it. Three turns would also let undici's next request carry the ACK of the
 * answer before it (undici writes it two turns later: an immediate, then another), but
 * grpc-js over memif lost ~9% of its calls/s with three (4.0k vs 4.4k, alternating
 * runs). Linux holds one 40 ms or more. */
#define ACK_HOLD_TURNS 1
#define ACK_HOLD_NS 1000000
enum held { HELD_PRUNE, HELD_DUE };
/* pcbs whose tcp_close ran out of memory; retried at flush. */
static struct tcp_pcb **closing;
static uint32_t closing_len, closing_cap;

static bool grow(void **arr, uint32_t *cap, size_t elem, uint32_t min) {
  if (*cap >= min) return true;
  uint32_t n = *cap ? *cap * 2 : 64;
  while (n < min) n *= 2;
  void *p = realloc(*arr, n * elem);
  if (!p) return false;
  *arr = p;
  *cap = n;
  return true;
}

/* Makes room in the table for id (new slots are SOCK_FREE). */
static bool table_fits(uint32_t id) {
  if (id < capacity) return true;
  uint32_t old = capacity;
  if (id == UINT32_MAX || !grow((void **)&socks, &capacity, sizeof(*socks), id + 1)) return false;
  memset(&socks[old], 0, (capacity - old) * sizeof(*socks));
  return true;
}

/* A fresh slot's id, or -ENOMEM. */
static int sock_alloc(void) {
  int64_t taken = gz_ids_take(&ids);
  if (taken < 0 || !table_fits((uint32_t)taken)) {
    if (taken >= 0) gz_ids_release(&ids, (uint32_t)taken);
    return -ENOMEM;
  }
  uint32_t id = (uint32_t)taken;
  memset(&socks[id], 0, sizeof(socks[id]));
  socks[id].next_dirty = NONE;
  socks[id].next_ack = NONE;
  socks[id].created_ns = gz_now_ns();
  live++;
  return (int)id;
}

static void sock_release(uint32_t id) {
  socks[id].kind = SOCK_FREE;
  socks[id].pcb = NULL;
  live--;
  gz_ids_release(&ids, id);
}

static void held_acks(enum held what);

/* (The held-ACK list never holds an id that comes back: freed ones leave it first. Only
 * when some come back: this runs at every poll, empty ones included.) */
void gz_tcp_recycle_ids(void) {
  if (ids.waiting_len) held_acks(HELD_PRUNE);
  gz_ids_recycle(&ids);
}

static struct sock *conn(uint32_t id) {
  if (id >= capacity || socks[id].kind != SOCK_CONN) return NULL;
  return &socks[id];
}

static void mark_dirty(uint32_t id) {
  struct sock *s = &socks[id];
  if (s->dirty) return;
  s->dirty = true;
  s->next_dirty = dirty_head;
  dirty_head = id;
}

static void detach(struct tcp_pcb *pcb) {
  tcp_arg(pcb, NULL);
  tcp_recv(pcb, NULL);
  tcp_sent(pcb, NULL);
  tcp_err(pcb, NULL);
  tcp_poll(pcb, NULL, 0);
}

/* ---- LwIP callbacks ---- */

/* tcp_recved takes at most 64 KiB - 1 at a time. */
static void recved(struct tcp_pcb *pcb, uint32_t bytes) {
  while (bytes) {
    uint32_t n = bytes > 0xFFFF ? 0xFFFF : bytes;
    tcp_recved(pcb, (u16_t)n);
    bytes -= n;
  }
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  uint32_t id = GZ_ARG_ID(arg);
  struct sock *s = conn(id);
  if (!s) {
    if (p) pbuf_free(p);
    return ERR_OK;
  }
  if (!p) {
    gz_events_push(GZ_EV_EOF, id);
    return ERR_OK;
  }
  uint32_t bytes;
  if (s->data_gen == gz_events_generation()) {
    bytes = gz_event_add_data(gz_events_at(s->data_event), p);
  } else {
    struct gz_event *ev = gz_events_push(GZ_EV_DATA, id);
    if (!ev) return ERR_MEM; /* LwIP keeps the data and offers it again */
    bytes = gz_event_add_data(ev, p);
    s->data_event = (uint32_t)(gz_events_count() - 1);
    s->data_gen = gz_events_generation();
  }
  /* Counted from the chain, not p->tot_len: 16 bits, it wraps when LwIP hands over
   * more than 64 KiB at once (out-of-order segments filling in), and the window
   * credit would be lost for good. */
  if (s->paused) s->unacked += bytes;
  else recved(pcb, bytes);
  mark_dirty(id); /* the delayed ACK goes out at the end of this poll */
  return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  uint32_t id = GZ_ARG_ID(arg);
  struct sock *s = conn(id);
  if (s && s->want_writable && (tcp_sndbuf(pcb) >= WRITABLE_THRESHOLD || pcb->unacked == NULL)) {
    s->want_writable = false;
    struct gz_event *ev = gz_events_push(GZ_EV_WRITABLE, id);
    if (ev) ev->a = tcp_sndbuf(pcb);
  }
  return ERR_OK;
}

static void on_err(void *arg, err_t err) {
  uint32_t id = GZ_ARG_ID(arg);
  struct sock *s = conn(id);
  if (!s) return; /* pcb is already freed by LwIP */
  int code;
  switch (err) {
    case ERR_RST: code = s->state == CONN_CONNECTING ? -ECONNREFUSED : -ECONNRESET; break;
    case ERR_ABRT: /* retransmissions or keepalive probes ran out */ code = -ETIMEDOUT; break;
    case ERR_CLSD: code = -ECONNRESET; break;
    default: code = -ECONNABORTED;
  }
  s->pcb = NULL;
  sock_release(id);
  struct gz_event *ev = gz_events_push(GZ_EV_ERROR, id);
  if (ev) ev->a = code;
}

static void attach(uint32_t id, struct tcp_pcb *pcb) {
  tcp_arg(pcb, GZ_ID_ARG(id));
  tcp_recv(pcb, on_recv);
  tcp_sent(pcb, on_sent);
  tcp_err(pcb, on_err);
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err) {
  uint32_t listener = GZ_ARG_ID(arg);
  if (err != ERR_OK || newpcb == NULL) return ERR_VAL;
  int id = sock_alloc();
  struct gz_event *ev = id >= 0 ? gz_events_push(GZ_EV_ACCEPT, listener) : NULL;
  if (!ev) {
    if (id >= 0) sock_release((uint32_t)id);
    tcp_abort(newpcb);
    return ERR_ABRT;
  }
  struct sock *s = &socks[id];
  s->kind = SOCK_CONN;
  s->state = CONN_OPEN;
  s->pcb = newpcb;
  attach((uint32_t)id, newpcb);
  ev->a = id;
  ev->b = (double)lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&newpcb->remote_ip))) * 65536.0 + newpcb->remote_port;
  return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  uint32_t id = GZ_ARG_ID(arg);
  struct sock *s = conn(id);
  if (!s) return ERR_OK;
  s->state = CONN_OPEN;
  struct gz_event *ev = gz_events_push(GZ_EV_CONNECTED, id);
  if (ev) ev->a = pcb->local_port;
  return ERR_OK;
}

/* ---- operations called from JS ---- */

static bool port_taken(uint32_t ip, uint16_t port) {
  for (uint32_t i = 0; i < capacity; i++) {
    if (socks[i].kind != SOCK_LISTEN) continue;
    struct tcp_pcb *l = socks[i].pcb;
    uint32_t lip = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&l->local_ip)));
    if (l->local_port == port && (lip == 0 || ip == 0 || lip == ip)) return true;
  }
  return false;
}

int gz_tcp_listen(uint32_t ip, uint16_t port, int backlog) {
  if (port && port_taken(ip, port)) return -EADDRINUSE;
  struct tcp_pcb *pcb = tcp_new();
  if (!pcb) return -ENOMEM;                 /* out of TCP control blocks */
  ip_set_option(pcb, SOF_REUSEADDR);        /* like node: TIME_WAIT does not block a restart */
  err_t e = gz_xdp_tcp_bind(pcb, ip, port); /* tcp_bind, with af_xdp's port sharing */
  if (e != ERR_OK) {
    tcp_abort(pcb);
    return e == ERR_USE ? -EADDRINUSE : -EINVAL;
  }
  int id = sock_alloc();
  if (id < 0) {
    tcp_abort(pcb);
    return id;
  }
  /* capped like Linux's net.core.somaxconn (4096) */
  struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(pcb, (u16_t)(backlog > 4096 ? 4096 : backlog), &e);
  if (!lpcb) {
    tcp_abort(pcb);
    sock_release((uint32_t)id);
    return e == ERR_USE ? -EADDRINUSE : -ENOMEM;
  }
  socks[id].kind = SOCK_LISTEN;
  socks[id].pcb = lpcb;
  tcp_arg(lpcb, GZ_ID_ARG(id));
  tcp_accept(lpcb, on_accept);
  return id;
}

int gz_tcp_connect(uint32_t ip, uint16_t port, uint16_t local_port) {
  struct tcp_pcb *pcb = tcp_new();
  /* at the connection limit (maxConnections, TIME-WAIT included): EMFILE, as for a
   * process at its open-files limit */
  if (!pcb) return gz_tcp_at_limit() ? -EMFILE : -ENOMEM;
  if (local_port || gz_xdp_active()) { /* af_xdp: the stack's ephemeral range */
    err_t e = gz_xdp_tcp_bind(pcb, 0, local_port);
    if (e != ERR_OK) {
      tcp_abort(pcb);
      return local_port ? -EADDRINUSE : -EADDRNOTAVAIL; /* no free port in the ephemeral range */
    }
  }
  int id = sock_alloc();
  if (id < 0) {
    tcp_abort(pcb);
    return id;
  }
  socks[id].kind = SOCK_CONN;
  socks[id].state = CONN_CONNECTING;
  socks[id].pcb = pcb;
  attach((uint32_t)id, pcb);
  ip_addr_t addr;
  ip_addr_set_ip4_u32(&addr, lwip_htonl(ip));
  err_t e = tcp_connect(pcb, &addr, port, on_connected);
  if (e != ERR_OK) {
    detach(pcb);
    tcp_abort(pcb);
    sock_release((uint32_t)id);
    /* ERR_BUF: no ephemeral port is left for this destination (node's EADDRNOTAVAIL) */
    return e == ERR_USE ? -EADDRINUSE : e == ERR_RTE ? -ENETUNREACH : e == ERR_BUF ? -EADDRNOTAVAIL : -ENOMEM;
  }
  return id;
}

int gz_tcp_local_port(uint32_t id) {
  if (id >= capacity || socks[id].kind == SOCK_FREE) return -EBADF;
  return socks[id].pcb->local_port;
}

long gz_tcp_write(uint32_t id, const void *data, size_t len) {
  struct sock *s = conn(id);
  if (!s) return -EPIPE;
  struct tcp_pcb *pcb = s->pcb;
  const uint8_t *p = data;
  size_t done = 0;
  while (done < len) {
    size_t room = tcp_sndbuf(pcb);
    if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4) break;
    size_t chunk = len - done;
    if (chunk > room) chunk = room;
    if (chunk > 0xFFFF) chunk = 0xFFFF;
    u8_t flags = TCP_WRITE_FLAG_COPY | (done + chunk < len ? TCP_WRITE_FLAG_MORE : 0);
    if (tcp_write(pcb, p + done, (u16_t)chunk, flags) != ERR_OK) break;
    done += chunk;
  }
  if (done < len) s->want_writable = true;
  if (done) {
    mark_dirty(id);
    if (!gz_loop.lat_write_tsc) gz_loop.lat_write_tsc = gz_lat_tsc();
  }
  return (long)done;
}

bool gz_tcp_idle(uint32_t id) {
  struct sock *s = conn(id);
  return s && s->pcb->unsent == NULL && s->pcb->unacked == NULL;
}

void gz_tcp_output_now(uint32_t id) {
  struct sock *s = conn(id);
  if (s) tcp_output(s->pcb); /* (still dirty: the poll's flush finds nothing left) */
}

long gz_tcp_room(uint32_t id) {
  struct sock *s = conn(id);
  if (!s) return -EPIPE;
  if (tcp_sndqueuelen(s->pcb) >= TCP_SND_QUEUELEN - 4) return 0;
  size_t room = tcp_sndbuf(s->pcb);
  return (long)(room > 0xFFFF ? 0xFFFF : room);
}

int gz_tcp_shutdown(uint32_t id) {
  struct sock *s = conn(id);
  if (!s) return -EBADF;
  if (tcp_shutdown(s->pcb, 0, 1) == ERR_MEM) s->fin_pending = true;
  mark_dirty(id);
  return 0;
}

static void close_later(struct tcp_pcb *pcb) {
  if (grow((void **)&closing, &closing_cap, sizeof(*closing), closing_len + 1)) {
    closing[closing_len++] = pcb;
  } else {
    tcp_abort(pcb);
  }
}

int gz_tcp_close(uint32_t id) {
  if (id >= capacity || socks[id].kind == SOCK_FREE) return -EBADF;
  struct sock *s = &socks[id];
  struct tcp_pcb *pcb = s->pcb;
  if (s->kind == SOCK_LISTEN) {
    tcp_arg(pcb, NULL);
    tcp_accept(pcb, NULL);
    tcp_close(pcb);
  } else {
    detach(pcb);
    if (s->unacked) tcp_recved(pcb, (u16_t)(s->unacked > 0xFFFF ? 0xFFFF : s->unacked));
    if (tcp_close(pcb) != ERR_OK) close_later(pcb);
    else tcp_output(pcb);
  }
  s->dirty = false; /* the dirty walk skips freed slots */
  sock_release(id);
  return 0;
}

int gz_tcp_abort(uint32_t id) {
  if (id >= capacity || socks[id].kind == SOCK_FREE) return -EBADF;
  if (socks[id].kind == SOCK_LISTEN) return gz_tcp_close(id);
  struct tcp_pcb *pcb = socks[id].pcb;
  detach(pcb);
  tcp_abort(pcb);
  socks[id].dirty = false;
  sock_release(id);
  return 0;
}

int gz_tcp_pause(uint32_t id, bool paused) {
  struct sock *s = conn(id);
  if (!s) return -EBADF;
  s->paused = paused;
  if (!paused && s->unacked) {
    recved(s->pcb, s->unacked);
    s->unacked = 0;
    mark_dirty(id);
  }
  return 0;
}

int gz_tcp_set_nodelay(uint32_t id, bool on) {
  struct sock *s = conn(id);
  if (!s) return -EBADF;
  if (on) tcp_nagle_disable(s->pcb);
  else tcp_nagle_enable(s->pcb);
  return 0;
}

int gz_tcp_set_keepalive(uint32_t id, bool on, uint32_t idle_ms) {
  struct sock *s = conn(id);
  if (!s) return -EBADF;
  if (on) {
    ip_set_option(s->pcb, SOF_KEEPALIVE);
    if (idle_ms) s->pcb->keep_idle = idle_ms;
  } else {
    ip_reset_option(s->pcb, SOF_KEEPALIVE);
  }
  return 0;
}

static uint32_t queued_bytes(const struct tcp_seg *seg) {
  uint32_t n = 0;
  for (; seg; seg = seg->next) n += seg->len;
  return n;
}

/* What the pcb itself knows. */
static void pcb_info(const struct tcp_pcb *pcb, struct gz_tcp_info *info) {
  memset(info, 0, sizeof(*info));
  info->state = pcb->state;
  info->local_ip = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)));
  info->local_port = pcb->local_port;
  if (pcb->state == LISTEN) return; /* a tcp_pcb_listen: only the common fields exist */
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

void gz_tcp_conn_info(const struct tcp_pcb *pcb, uint64_t now, struct gz_conn_info *c) {
  pcb_info(pcb, &c->tcp);
  uint32_t id = GZ_ARG_ID(pcb->callback_arg);
  if (id >= capacity || socks[id].kind == SOCK_FREE || socks[id].pcb != pcb) {
    c->id = -1; /* JS let go of it: closing, or in TIME_WAIT */
    c->age_ms = -1;
    return;
  }
  const struct sock *s = &socks[id];
  c->id = (int32_t)id;
  c->age_ms = (double)(now - s->created_ns) / 1e6;
  c->tcp.unacked_rx = s->unacked;
  c->tcp.paused = s->paused;
}

/* Walks the delayed ACKs held by gz_tcp_flush: those that data carried since, or whose
 * connection is gone, leave the list; HELD_DUE sends the ones held long enough. */
static void held_acks(enum held what) {
  uint32_t id = acks_head;
  uint64_t now = what == HELD_DUE ? gz_now_ns() : 0;
  acks_head = NONE;
  while (id != NONE) {
    struct sock *s = &socks[id];
    uint32_t next = s->next_ack;
    s->next_ack = NONE;
    s->ack_held = false;
    if (s->kind == SOCK_CONN && (s->pcb->flags & TF_ACK_DELAY)) {
      bool due = what == HELD_DUE && (turn - s->ack_turn >= ACK_HOLD_TURNS || now - s->ack_ns >= ACK_HOLD_NS);
      if (due) {
        tcp_ack_now(s->pcb);
        tcp_output(s->pcb);
      } else {
        s->ack_held = true;
        s->next_ack = acks_head;
        acks_head = id;
      }
    }
    id = next;
  }
}

bool gz_tcp_acks_held(void) { return acks_head != NONE; }

/* Sends what JS queued on each dirty connection. A delayed ACK that no data carried is
 * held for a few turns of the loop (ACK_HOLD_TURNS, ACK_HOLD_NS): the answer JS writes in
 * its own run of events (node:http, Fastify), or from an immediate after the poll
 * (undici), carries it. Sent on its own, it costs both ends a frame per request (with 16
 * connections, each request but the first of a poll's batch was acked alone before its
 * answer was written). LwIP itself would hold it until its fast timer (up to 250 ms),
 * which stalls a Nagle sender. send_acks (a new turn): the ones held long enough leave. */
void gz_tcp_flush(bool send_acks) {
  uint32_t id = dirty_head;
  dirty_head = NONE;
  while (id != NONE) {
    struct sock *s = &socks[id];
    uint32_t next = s->next_dirty;
    s->next_dirty = NONE;
    if (s->dirty && s->kind == SOCK_CONN) {
      s->dirty = false;
      if (s->fin_pending && tcp_shutdown(s->pcb, 0, 1) != ERR_MEM) s->fin_pending = false;
      tcp_output(s->pcb);
      if ((s->pcb->flags & TF_ACK_DELAY) && !s->ack_held) {
        s->ack_held = true;
        s->ack_turn = turn;
        s->ack_ns = gz_now_ns();
        s->next_ack = acks_head;
        acks_head = id;
      }
      /* Back on the (new) dirty list, flagged, so the next flush retries the FIN. */
      if (s->fin_pending) mark_dirty(id);
    } else {
      s->dirty = false;
    }
    id = next;
  }
  if (send_acks) {
    turn++;
    held_acks(HELD_DUE);
  }
  uint32_t kept = 0;
  for (uint32_t i = 0; i < closing_len; i++) {
    if (tcp_close(closing[i]) != ERR_OK) closing[kept++] = closing[i];
  }
  closing_len = kept;
}

static void abort_list(struct tcp_pcb *list) {
  while (list) {
    struct tcp_pcb *next = list->next;
    detach(list);
    tcp_abort(list);
    list = next;
  }
}

void gz_tcp_close_all(void) {
  for (uint32_t i = 0; i < capacity; i++) {
    if (socks[i].kind == SOCK_LISTEN) {
      tcp_arg(socks[i].pcb, NULL);
      tcp_accept(socks[i].pcb, NULL);
      tcp_close(socks[i].pcb);
    }
  }
  /* Every pcb LwIP still holds, ours or closing or in TIME_WAIT, goes now:
   * the next stack in this process starts from a clean table. */
  abort_list(tcp_active_pcbs);
  abort_list(tcp_tw_pcbs);
  abort_list(tcp_bound_pcbs);
  free(socks);
  free(closing);
  socks = NULL;
  closing = NULL;
  capacity = live = closing_len = closing_cap = 0;
  gz_ids_reset(&ids);
  dirty_head = NONE;
  acks_head = NONE;
}

unsigned gz_tcp_count(void) { return live; }

static uint32_t pcb_limit = UINT32_MAX;

void gz_tcp_set_limit(uint32_t max_connections) {
  pcb_limit = max_connections ? max_connections : UINT32_MAX;
  tcp_set_pcb_limit(pcb_limit);
}

bool gz_tcp_at_limit(void) { return tcp_pcb_count() >= pcb_limit; }

/* Both visit only the pcbs whose retransmission timer runs (LwIP patch 0004), not every
 * connection: the poll loop asks at each poll. */
bool gz_tcp_in_flight(void) { return tcp_rtx_busy(); }

/* A closed connection whose data waits on the peer's zero window is in persist, off the
 * retransmission list: found by a walk of every connection, which only an unref'd stack
 * lingering at exit or stack.close() asks for (not each poll), and only when no timer runs. */
static bool detached_persisting(void) {
  for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
    if (pcb->callback_arg == NULL && pcb->persist_backoff > 0 && (pcb->unsent || pcb->unacked)) return true;
  }
  return false;
}

bool gz_tcp_lingering(void) {
  /* a closed connection's data and FIN are in flight until acked: its timer runs */
  return closing_len || tcp_rtx_detached_busy() || detached_persisting();
}
