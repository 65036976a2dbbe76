/* What TCP derives from secrets, keyed per process from the kernel's CSPRNG: the MAC
 * in SYN cookies (an LwIP hook, TCP_SYNCOOKIES in lwipopts.h). A peer that cannot guess
 * the key cannot forge a cookie. */
#include "gazelle.h"
#include "lwip/priv/tcp_priv.h"

static struct gz_sipkey cookie_key;
static bool keyed;

static const struct gz_sipkey *key(void) {
  if (!keyed) {
    gz_sipkey_random(&cookie_key);
    keyed = true;
  }
  return &cookie_key;
}

u32_t tcp_syncookie_mac(const ip_addr_t *local_ip, const ip_addr_t *remote_ip, u16_t local_port,
                        u16_t remote_port, u32_t data) {
  struct {
    uint32_t lip, rip;
    uint16_t lport, rport;
    uint32_t data;
  } in = {ip4_addr_get_u32(ip_2_ip4(local_ip)), ip4_addr_get_u32(ip_2_ip4(remote_ip)), local_port,
          remote_port, data};
  return (u32_t)gz_siphash(key(), &in, sizeof(in));
}
