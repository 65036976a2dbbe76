/* Latency histograms by stage (NIC rx -> JS, time in JS, JS write -> tx ring).
 * Recording is a TSC read, a multiply and an increment: cheap enough to stay on. */
#include <string.h>

#include <rte_cycles.h>

#include "gazelle.h"

static struct gz_lat_hist hists[GZ_LAT_STAGES];
static double ns_per_cycle;

uint64_t gz_lat_tsc(void) { return rte_rdtsc(); }

uint64_t gz_tsc_per_us(void) {
  static uint64_t per_us;
  if (!per_us) per_us = rte_get_tsc_hz() / 1000000 ? rte_get_tsc_hz() / 1000000 : 1;
  return per_us;
}

static unsigned bucket_of(uint64_t ns) {
  unsigned b = ns ? 64u - (unsigned)__builtin_clzll(ns) : 0u;
  return b < GZ_LAT_BUCKETS ? b : GZ_LAT_BUCKETS - 1;
}

void gz_lat_record(int stage, uint64_t start_tsc, uint64_t end_tsc) {
  if (ns_per_cycle == 0) {
    uint64_t hz = rte_get_tsc_hz();
    ns_per_cycle = hz ? 1e9 / (double)hz : 1.0;
  }
  uint64_t ns = end_tsc > start_tsc ? (uint64_t)((double)(end_tsc - start_tsc) * ns_per_cycle) : 0;
  struct gz_lat_hist *h = &hists[stage];
  h->count++;
  h->sum_ns += ns;
  if (ns > h->max_ns) h->max_ns = ns;
  h->buckets[bucket_of(ns)]++;
}

const struct gz_lat_hist *gz_lat_get(int stage) { return &hists[stage]; }

void gz_lat_reset(void) {
  memset(hists, 0, sizeof(hists));
  gz_loop.lat_rx_tsc = gz_loop.lat_write_tsc = 0;
}
