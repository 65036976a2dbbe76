/* The XDP program on the af_xdp device's interface. DPDK's net_af_xdp loads and
 * attaches it (devarg xdp_prog) and puts its sockets in xsks_map; this file checks
 * beforehand that it can (typed errors with the kernel's own words), removes what a
 * stack that died left behind, then finds the program's maps by id (no bpffs, nothing
 * pinned) and writes gz_config, which switches the steering on. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include "../bpf/xdp_steer.h"
#include "xdp.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define LOG_MAX 16384

static struct {
  bool active;
  int ifindex;
  uint32_t prog_id;
  int config_fd, ports_fd, stats_fd;
  struct gz_xdp_config config;
  bool zero_copy, native;
  uint32_t sockets;
} xdp = {.config_fd = -1, .ports_fd = -1, .stats_fd = -1};

/* ---- libbpf's messages, kept while we load (the verifier's log comes this way) ---- */

static char load_log[LOG_MAX];
static size_t load_log_len;

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (level == LIBBPF_DEBUG || load_log_len >= LOG_MAX - 1) return 0;
  int n = vsnprintf(load_log + load_log_len, LOG_MAX - load_log_len, fmt, ap);
  if (n > 0) load_log_len += (size_t)n < LOG_MAX - load_log_len ? (size_t)n : LOG_MAX - 1 - load_log_len;
  return 0;
}

const char *gz_xdp_load_log(void) { return load_log; }

/* The verifier's last words: up to two lines before its statistics at the end of the
 * log ("processed N insns ..."), or libbpf's last line when there is no verifier log. */
static void log_summary(char *out, size_t len) {
  const char *end = strstr(load_log, "-- END PROG LOAD LOG --");
  if (!end) end = load_log + load_log_len;
  const char *lines[2];
  size_t lens[2];
  int n = 0;
  const char *p = end;
  while (n < 2 && p > load_log) {
    while (p > load_log && (p[-1] == '\n' || p[-1] == ' ')) p--;
    const char *line_end = p;
    while (p > load_log && p[-1] != '\n') p--;
    size_t l = (size_t)(line_end - p);
    if (l == 0) break;
    if (strncmp(p, "processed ", 10) == 0 || strncmp(p, "verification time", 17) == 0 ||
        strncmp(p, "stack depth", 11) == 0)
      continue;
    if (strncmp(p, "-- BEGIN PROG LOAD LOG", 22) == 0) break;
    lines[n] = p;
    lens[n++] = l;
  }
  if (n == 2) snprintf(out, len, "%.*s; %.*s", (int)lens[1], lines[1], (int)lens[0], lines[0]);
  else if (n == 1) snprintf(out, len, "%.*s", (int)lens[0], lines[0]);
  else out[0] = 0;
}

/* ---- the program and its maps, by id ---- */

static int prog_info(int fd, struct bpf_prog_info *info, uint32_t *map_ids, uint32_t nmaps) {
  memset(info, 0, sizeof(*info));
  info->nr_map_ids = nmaps;
  info->map_ids = (uint64_t)(uintptr_t)map_ids;
  uint32_t len = sizeof(*info);
  return bpf_obj_get_info_by_fd(fd, info, &len);
}

struct found_maps {
  int config, ports, stats;
};

/* Opens the maps of program id that we know by name; -1 where absent. */
static int open_maps(uint32_t prog_id, struct found_maps *m) {
  m->config = m->ports = m->stats = -1;
  int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd < 0) return -errno;
  uint32_t ids[16];
  struct bpf_prog_info info;
  int rc = prog_info(fd, &info, ids, 16);
  close(fd);
  if (rc) return -errno;
  for (uint32_t i = 0; i < info.nr_map_ids && i < 16; i++) {
    int mfd = bpf_map_get_fd_by_id(ids[i]);
    if (mfd < 0) continue;
    struct bpf_map_info mi;
    memset(&mi, 0, sizeof(mi));
    uint32_t len = sizeof(mi);
    int *slot = NULL;
    if (bpf_obj_get_info_by_fd(mfd, &mi, &len) == 0) {
      if (strcmp(mi.name, "gz_config") == 0) slot = &m->config;
      else if (strcmp(mi.name, "gz_ports") == 0) slot = &m->ports;
      else if (strcmp(mi.name, "gz_stats") == 0) slot = &m->stats;
    }
    if (slot && *slot < 0) *slot = mfd;
    else close(mfd);
  }
  return 0;
}

static void close_maps(struct found_maps *m) {
  if (m->config >= 0) close(m->config);
  if (m->ports >= 0) close(m->ports);
  if (m->stats >= 0) close(m->stats);
  m->config = m->ports = m->stats = -1;
}

uint64_t gz_pid_start_time(uint32_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%u/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
  if (!p) return 0;
  /* fields after the name: state(3) ppid(4) ... starttime(22) */
  for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

static bool owner_alive(const struct gz_xdp_config *c) {
  if (c->owner_pid == 0) return false;
  if (c->owner_pid == (uint32_t)getpid()) return xdp.active; /* our own, from a closed stack */
  return gz_pid_start_time(c->owner_pid) == c->owner_start;
}

static uint32_t mode_flags(uint8_t attach_mode) {
  switch (attach_mode) {
    case XDP_ATTACHED_SKB: return XDP_FLAGS_SKB_MODE;
    case XDP_ATTACHED_HW: return XDP_FLAGS_HW_MODE;
    default: return XDP_FLAGS_DRV_MODE;
  }
}

/* An XDP program already on the interface: ours from a dead stack is removed. */
static int clear_stale(const char *ifname, int ifindex, char *note, size_t note_len, struct gz_error *err) {
  struct bpf_xdp_query_opts q;
  memset(&q, 0, sizeof(q));
  q.sz = sizeof(q);
  if (bpf_xdp_query(ifindex, 0, &q) != 0) {
    int e = errno;
    if (e == EPERM)
      return gz_fail(err, "ERR_GAZELLE_NOT_ROOT", "querying XDP on %s: %s: run as root", ifname, strerror(e));
    return gz_fail(err, "ERR_GAZELLE_XDP_UNSUPPORTED", "querying XDP on %s: %s", ifname, strerror(e));
  }
  if (q.attach_mode == XDP_ATTACHED_NONE) return 0;
  uint32_t id = q.prog_id       ? q.prog_id
                : q.drv_prog_id ? q.drv_prog_id
                : q.skb_prog_id ? q.skb_prog_id
                                : q.hw_prog_id;
  int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0)
    return gz_fail(err, "ERR_GAZELLE_NOT_ROOT", "opening XDP program %u on %s: %s", id, ifname,
                   strerror(errno));
  struct bpf_prog_info info;
  uint32_t none[1];
  int rc = prog_info(fd, &info, none, 0);
  if (rc != 0 || strcmp(info.name, GZ_XDP_PROG_NAME) != 0) {
    close(fd);
    return gz_fail(err, "ERR_GAZELLE_XDP_BUSY",
                   "%s already has an XDP program (id %u, \"%s\") that is not gazelle's: remove it "
                   "(`ip link set dev %s xdp off`) if nothing needs it, or use another interface",
                   ifname, id, rc == 0 ? info.name : "?", ifname);
  }
  struct found_maps m;
  struct gz_xdp_config c;
  memset(&c, 0, sizeof(c));
  uint32_t zero = 0;
  if (open_maps(id, &m) == 0 && m.config >= 0) bpf_map_lookup_elem(m.config, &zero, &c);
  close_maps(&m);
  if (owner_alive(&c)) {
    close(fd);
    return gz_fail(err, "ERR_GAZELLE_XDP_BUSY",
                   "%s is in use by the gazelle stack of pid %u: close that stack, or use another interface",
                   ifname, c.owner_pid);
  }
  struct bpf_xdp_attach_opts opts;
  memset(&opts, 0, sizeof(opts));
  opts.sz = sizeof(opts);
  opts.old_prog_fd = fd;
  rc = bpf_xdp_detach(ifindex, mode_flags(q.attach_mode) | XDP_FLAGS_REPLACE, &opts);
  int e = errno;
  close(fd);
  if (rc != 0 && e != EEXIST) { /* EEXIST: replaced meanwhile: someone else took care of it */
    return gz_fail(err, "ERR_GAZELLE_XDP_BUSY", "could not remove the XDP program left on %s by pid %u: %s",
                   ifname, c.owner_pid, strerror(e));
  }
  snprintf(note, note_len,
           "removed the XDP program (id %u) that pid %u left on %s when it exited without closing its stack",
           id, c.owner_pid, ifname);
  return 0;
}

/* The kernel takes AF_XDP sockets at all. */
static int check_af_xdp(struct gz_error *err) {
  int s = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    close(s);
    return 0;
  }
  if (errno == EPERM || errno == EACCES)
    return gz_fail(err, "ERR_GAZELLE_NOT_ROOT", "opening an AF_XDP socket: %s: run as root", strerror(errno));
  return gz_fail(err, "ERR_GAZELLE_XDP_UNSUPPORTED",
                 "this kernel has no AF_XDP sockets (%s): it needs CONFIG_XDP_SOCKETS=y", strerror(errno));
}

/* Loads the program and attaches it for a moment, as the PMD will: the verifier's and
 * the driver's refusals become typed errors here instead of a DPDK log line. */
static int trial_load(const char *ifname, int ifindex, const char *prog_path, struct gz_error *err) {
  load_log_len = 0;
  load_log[0] = 0;
  libbpf_print_fn_t old = libbpf_set_print(capture);
  struct bpf_object *obj = bpf_object__open_file(prog_path, NULL);
  int rc = 0;
  if (!obj) {
    int e = errno;
    libbpf_set_print(old);
    return gz_fail(err, "ERR_GAZELLE_XDP_PROGRAM", "could not open the XDP program %s: %s", prog_path,
                   strerror(e));
  }
  if (bpf_object__load(obj) != 0) {
    int e = errno;
    char last[200];
    log_summary(last, sizeof(last));
    rc = gz_fail(err, e == EPERM ? "ERR_GAZELLE_NOT_ROOT" : "ERR_GAZELLE_XDP_PROGRAM",
                 "the XDP program %s failed to load (%s): %s", prog_path, strerror(e), last);
  } else {
    struct bpf_program *prog = bpf_object__next_program(obj, NULL);
    struct bpf_map *xsks = bpf_object__find_map_by_name(obj, "xsks_map");
    if (!prog || !xsks) {
      rc = gz_fail(err, "ERR_GAZELLE_XDP_PROGRAM", "%s has no XDP program or no map named xsks_map",
                   prog_path);
    } else if (bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_UPDATE_IF_NOEXIST, NULL) != 0) {
      int e = errno;
      char last[160];
      log_summary(last, sizeof(last));
      rc = gz_fail(err, e == EBUSY || e == EEXIST ? "ERR_GAZELLE_XDP_BUSY" : "ERR_GAZELLE_XDP_UNSUPPORTED",
                   "attaching XDP to %s failed (%s)%s%s", ifname, strerror(e), last[0] ? ": " : "", last);
    } else {
      bpf_xdp_detach(ifindex, 0, NULL);
    }
  }
  bpf_object__close(obj);
  libbpf_set_print(old);
  return rc;
}

int gz_xdp_prepare(const char *ifname, const char *prog_path, char *note, size_t note_len,
                   struct gz_error *err) {
  note[0] = 0;
  gz_xdp_release_sockets(); /* no port is open: any AF_XDP socket left is a closed port's */
  int ifindex = (int)if_nametoindex(ifname);
  if (!ifindex) return gz_fail(err, "ERR_GAZELLE_DEVICE_NOT_FOUND", "no network interface named %s", ifname);
  if (check_af_xdp(err) != 0) return -1;
  if (clear_stale(ifname, ifindex, note, note_len, err) != 0) return -1;
  return trial_load(ifname, ifindex, prog_path, err);
}

/* ---- the running device ---- */

/* The AF_XDP sockets of this process (the PMD's: one stack per process), at most max. */
static int xdp_sockets(int *fds, int max) {
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return 0;
  int n = 0;
  for (struct dirent *e; n < max && (e = readdir(dir)) != NULL;) {
    int fd = atoi(e->d_name), domain = 0;
    socklen_t len = sizeof(domain);
    if (fd <= 2 || fd == dirfd(dir)) continue;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_XDP) fds[n++] = fd;
  }
  closedir(dir);
  return n;
}

int gz_xdp_socket_fd(void) {
  int fd;
  return xdp_sockets(&fd, 1) == 1 ? fd : -1;
}

/* Whether every AF_XDP socket of this process (one per queue) runs zero-copy. */
static void socket_modes(void) {
  int fds[GZ_XDP_MAX_QUEUES];
  int n = xdp_sockets(fds, GZ_XDP_MAX_QUEUES);
  xdp.sockets = 0;
  xdp.zero_copy = n > 0;
  for (int i = 0; i < n; i++) {
    struct xdp_options o;
    socklen_t len = sizeof(o);
    if (getsockopt(fds[i], SOL_XDP, XDP_OPTIONS, &o, &len) != 0) continue;
    xdp.sockets++;
    if (!(o.flags & XDP_OPTIONS_ZEROCOPY)) xdp.zero_copy = false;
  }
}

static void forget(void) {
  struct found_maps m = {xdp.config_fd, xdp.ports_fd, xdp.stats_fd};
  close_maps(&m);
  xdp.config_fd = xdp.ports_fd = xdp.stats_fd = -1;
  xdp.active = false;
}

int gz_xdp_start(const struct gz_xdp_params *p, struct gz_error *err) {
  if (xdp.active) gz_xdp_stop();
  xdp.ifindex = (int)if_nametoindex(p->ifname);
  struct bpf_xdp_query_opts q;
  memset(&q, 0, sizeof(q));
  q.sz = sizeof(q);
  if (!xdp.ifindex || bpf_xdp_query(xdp.ifindex, 0, &q) != 0 || q.attach_mode == XDP_ATTACHED_NONE)
    return gz_fail(err, "ERR_GAZELLE_DEVICE", "the XDP program is not attached to %s after the port started",
                   p->ifname);
  xdp.prog_id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
  xdp.native = q.attach_mode == XDP_ATTACHED_DRV || q.attach_mode == XDP_ATTACHED_HW;
  struct found_maps m;
  if (open_maps(xdp.prog_id, &m) != 0 || m.config < 0 || m.ports < 0 || m.stats < 0) {
    close_maps(&m);
    return gz_fail(err, "ERR_GAZELLE_XDP_PROGRAM",
                   "the XDP program on %s lacks the maps gz_config, gz_ports or gz_stats", p->ifname);
  }
  xdp.config_fd = m.config;
  xdp.ports_fd = m.ports;
  xdp.stats_fd = m.stats;
  xdp.active = true;
  socket_modes();

  struct gz_xdp_config *c = &xdp.config;
  memset(c, 0, sizeof(*c));
  c->take_all = p->take_all;
  c->ip = htonl(p->ip);
  c->broadcast = htonl(p->ip | ~p->netmask);
  c->owner_pid = (uint32_t)getpid();
  c->owner_start = gz_pid_start_time(c->owner_pid);
  if (!p->take_all) {
    if (gz_ports_start(p->ip, p->ephemeral_lo, p->ephemeral_hi, err) != 0 ||
        gz_neigh_start(xdp.ifindex, err) != 0) {
      gz_xdp_stop();
      return -1;
    }
    c->ephemeral_lo = p->ephemeral_lo;
    c->ephemeral_hi = p->ephemeral_hi;
  }
  c->active = 1;
  uint32_t zero = 0;
  if (bpf_map_update_elem(xdp.config_fd, &zero, c, BPF_ANY) != 0) {
    int e = errno;
    gz_xdp_stop();
    return gz_fail(err, "ERR_GAZELLE_XDP_PROGRAM", "writing the XDP program's configuration: %s",
                   strerror(e));
  }
  return 0;
}

void gz_xdp_stop(void) {
  if (!xdp.active) return;
  if (!xdp.config.take_all) {
    gz_neigh_stop();
    gz_ports_stop();
  }
  forget();
  memset(&xdp.config, 0, sizeof(xdp.config));
}

bool gz_xdp_active(void) { return xdp.active && !xdp.config.take_all; }

int gz_xdp_ports_map_fd(void) { return xdp.ports_fd; }

void gz_xdp_prog_counts(uint64_t *to_stack, uint64_t *to_kernel) {
  *to_stack = *to_kernel = 0;
  if (xdp.stats_fd < 0) return;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0 || cpus > 4096) return;
  uint64_t values[cpus];
  for (uint32_t key = 0; key < GZ_XDP_STATS; key++) {
    if (bpf_map_lookup_elem(xdp.stats_fd, &key, values) != 0) continue;
    uint64_t sum = 0;
    for (int i = 0; i < cpus; i++) sum += values[i];
    *(key == GZ_XDP_STAT_STACK ? to_stack : to_kernel) = sum;
  }
}

void gz_xdp_get_info(struct gz_xdp_info *info) {
  memset(info, 0, sizeof(*info));
  if (!xdp.active) return;
  info->active = true;
  info->take_all = xdp.config.take_all;
  info->zero_copy = xdp.zero_copy;
  info->native = xdp.native;
  info->prog_id = xdp.prog_id;
  info->sockets = xdp.sockets;
  info->ephemeral_lo = xdp.config.ephemeral_lo;
  info->ephemeral_hi = xdp.config.ephemeral_hi;
}

void gz_xdp_stats(gz_stat_fn fn, void *ctx) {
  if (!xdp.active) return;
  uint64_t to_stack, to_kernel;
  gz_xdp_prog_counts(&to_stack, &to_kernel);
  fn(ctx, "xdp", "zeroCopy", xdp.zero_copy ? 1 : 0);
  fn(ctx, "xdp", "nativeMode", xdp.native ? 1 : 0);
  fn(ctx, "xdp", "sockets", xdp.sockets);
  fn(ctx, "xdp", "bifurcated", xdp.config.take_all ? 0 : 1);
  fn(ctx, "xdp", "toStack", (double)to_stack);
  fn(ctx, "xdp", "toKernel", (double)to_kernel);
  fn(ctx, "xdp", "claimedPorts", gz_ports_claimed());
  fn(ctx, "xdp", "neighbours", gz_neigh_entries());
}

/* DPDK 22.11.11's net_af_xdp never frees a queue's UMEM at close (its reference count
 * test is off by one): the socket stays bound to the queue, so this process could not
 * attach to the interface again. Once the port is closed, every AF_XDP socket left in
 * the process is released: its ring mappings, then the descriptor. */
void gz_xdp_release_sockets(void) {
  int fds[GZ_XDP_MAX_QUEUES * 2];
  int n = xdp_sockets(fds, GZ_XDP_MAX_QUEUES * 2);
  for (int i = 0; i < n; i++) {
    struct stat st;
    if (fstat(fds[i], &st) != 0) continue;
    char want[64], line[512];
    snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
    FILE *maps = fopen("/proc/self/maps", "r");
    if (maps) {
      uintptr_t ranges[16][2];
      int m = 0;
      while (m < 16 && fgets(line, sizeof(line), maps)) {
        unsigned long lo, hi;
        if (strstr(line, want) && sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
          ranges[m][0] = lo;
          ranges[m++][1] = hi;
        }
      }
      fclose(maps);
      for (int r = 0; r < m; r++) munmap((void *)ranges[r][0], ranges[r][1] - ranges[r][0]);
    }
    close(fds[i]);
  }
}
