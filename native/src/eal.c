/* DPDK's Environment Abstraction Layer: initialised once per process and kept
 * for the process's life, so a stack can be closed and another created. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "gazelle.h"

static bool eal_ready;

static void eal_cleanup(void);

int gz_eal_init(int argc, char **argv, struct gz_error *err) {
  if (eal_ready) return 0;

  /* rte_eal_init pins the calling thread to one lcore; Node's main thread must
   * keep every CPU it had, or two stacks end up sharing one core. */
  cpu_set_t saved;
  bool have_affinity = sched_getaffinity(0, sizeof(saved), &saved) == 0;

  gz_dpdk_log_capture(); /* EAL's own lines too: they explain a failure below */
  int rc = rte_eal_init(argc, argv);
  int saved_errno = rte_errno;
  if (have_affinity) sched_setaffinity(0, sizeof(saved), &saved);

  if (rc < 0) {
    /* JS adds what DPDK logged (dpdkLogTake) and what to do about it. */
    return gz_fail(err, "ERR_GAZELLE_EAL", "DPDK EAL initialisation failed: %s", rte_strerror(saved_errno));
  }
  eal_ready = true;
  /* EAL belongs to the process, not to the env (worker thread) that started it: it is
   * cleaned up at the process's exit only. */
  atexit(eal_cleanup);
  return 0;
}

/* At process exit: the port if a stack is still open, then EAL and its runtime files. */
static void eal_cleanup(void) {
  if (!eal_ready) return;
  gz_port_close(); /* DPDK refuses to close a started port */
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
  rte_eal_cleanup();
  eal_ready = false;
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[PATH_MAX + 256];
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}
