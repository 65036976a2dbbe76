/* LwIP's hooks (LWIP_HOOK_FILENAME): included by LwIP's sources after their own
 * headers, so the prototypes can use LwIP's types. Implemented in src/lwip_arch.c. */
#ifndef GAZELLE_HOOKS_H
#define GAZELLE_HOOKS_H

#include "lwip/ip_addr.h"

/* RFC 6528 initial sequence number of a connection (LWIP_HOOK_TCP_ISN). */
u32_t gz_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip, u16_t remote_port);

#endif
