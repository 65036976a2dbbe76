/* DPDK's own log lines, captured instead of written to stderr. EAL, the PMDs and the
 * memif control thread all log through rte_log's stream: pointing it at a stdio
 * cookie stream puts each line into a small ring, which JS drains into the stack's
 * logger (or into the message of an open-time error), so a service's output carries
 * no raw "EAL: ..." lines. Lines come from any thread (memif's control channel runs in
 * DPDK's interrupt thread): the ring has a mutex; it is never touched on the data path. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include "gazelle.h"

#define RING_LINES 128

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gz_log_line ring[RING_LINES];
static unsigned ring_head; /* oldest line */
static unsigned ring_count;
static uint64_t ring_dropped;
static FILE *capture_stream;
static bool echo_stderr;

static void push_line(int level, const char *text, size_t len) {
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) len--;
  if (len == 0) return;
  if (len >= GZ_LOG_LINE_MAX) len = GZ_LOG_LINE_MAX - 1;
  if (ring_count == RING_LINES) { /* full: the oldest line goes */
    ring_head = (ring_head + 1) % RING_LINES;
    ring_count--;
    ring_dropped++;
  }
  struct gz_log_line *l = &ring[(ring_head + ring_count) % RING_LINES];
  l->level = level;
  memcpy(l->text, text, len);
  l->text[len] = '\0';
  ring_count++;
}

static ssize_t capture_write(void *cookie, const char *buf, size_t size) {
  (void)cookie;
  if (echo_stderr) {
    ssize_t ignored = write(STDERR_FILENO, buf, size);
    (void)ignored;
  }
  int level = rte_log_cur_msg_loglevel();
  pthread_mutex_lock(&ring_lock);
  const char *p = buf, *end = buf + size;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    push_line(level, p, len);
    p += len + (nl ? 1 : 0);
  }
  pthread_mutex_unlock(&ring_lock);
  return (ssize_t)size;
}

void gz_dpdk_log_capture(void) {
  if (capture_stream) return;
  const char *echo = getenv("GAZELLE_DPDK_STDERR");
  echo_stderr = echo && strcmp(echo, "1") == 0;
  cookie_io_functions_t fns = {.read = NULL, .write = capture_write, .seek = NULL, .close = NULL};
  capture_stream = fopencookie(NULL, "w", fns);
  if (!capture_stream) return; /* DPDK keeps logging to stderr */
  setvbuf(capture_stream, NULL, _IOLBF, 0);
  rte_openlog_stream(capture_stream);
}

size_t gz_dpdk_log_take(struct gz_log_line *out, size_t max, uint64_t *dropped) {
  pthread_mutex_lock(&ring_lock);
  size_t n = ring_count < max ? ring_count : max;
  for (size_t i = 0; i < n; i++) out[i] = ring[(ring_head + i) % RING_LINES];
  ring_head = (ring_head + (unsigned)n) % RING_LINES;
  ring_count -= (unsigned)n;
  if (dropped) *dropped = ring_dropped;
  ring_dropped = 0;
  pthread_mutex_unlock(&ring_lock);
  return n;
}
