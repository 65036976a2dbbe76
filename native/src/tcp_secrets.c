/* What TCP derives from secrets, keyed per process from the kernel's CSPRNG (LwIP hooks,
 * declared in lwip/priv/tcp_priv.h): the MAC in SYN cookies (a peer that cannot guess
 * the key cannot forge one), the hash of the 4-tuple demux table (a peer cannot aim its
 * connections at one bucket), and the two hashes of RFC 6056's ephemeral port
 * algorithm 4 (a peer cannot predict the port the next connection will use). */
#include "gazelle.h"
#include "lwip/priv/tcp_priv.h"

enum { KEY_COOKIE, KEY_TUPLE, KEY_PORT_OFFSET, KEY_PORT_SLOT, KEYS };
static struct gz_sipkey keys[KEYS];
static bool keyed;

static const struct gz_sipkey *key(int which) {
  if (!keyed) {
    for (int i = 0; i < KEYS; i++) gz_sipkey_random(&keys[i]);
    keyed = true;
  }
  return &keys[which];
}

struct tuple {
  uint32_t lip, rip;
  uint16_t lport, rport;
  uint32_t data;
};

static u32_t hash(int which, const ip_addr_t *local_ip, const ip_addr_t *remote_ip, u16_t local_port,
                  u16_t remote_port, u32_t data) {
  struct tuple in = {ip4_addr_get_u32(ip_2_ip4(local_ip)), ip4_addr_get_u32(ip_2_ip4(remote_ip)), local_port,
                     remote_port, data};
  return (u32_t)gz_siphash(key(which), &in, sizeof(in));
}

u32_t tcp_syncookie_mac(const ip_addr_t *local_ip, const ip_addr_t *remote_ip, u16_t local_port,
                        u16_t remote_port, u32_t data) {
  return hash(KEY_COOKIE, local_ip, remote_ip, local_port, remote_port, data);
}

u32_t tcp_tuple_hash(const ip_addr_t *local_ip, const ip_addr_t *remote_ip, u16_t local_port,
                     u16_t remote_port) {
  return hash(KEY_TUPLE, local_ip, remote_ip, local_port, remote_port, 0);
}

u32_t tcp_port_hash(const ip_addr_t *local_ip, const ip_addr_t *remote_ip, u16_t remote_port, u8_t which) {
  return hash(which ? KEY_PORT_SLOT : KEY_PORT_OFFSET, local_ip, remote_ip, 0, remote_port, 0);
}
