/* Compiler and platform glue for LwIP on Linux x86-64 with glibc. */
#ifndef GAZELLE_ARCH_CC_H
#define GAZELLE_ARCH_CC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/time.h>
#include <arpa/inet.h>

#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_INCLUDE <errno.h>
#define LWIP_ERRNO_STDINCLUDE 1

#define lwip_htons(x) htons(x)
#define lwip_htonl(x) htonl(x)

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { fprintf(stderr, "lwip assert: %s (%s:%d)\n", x, __FILE__, __LINE__); abort(); } while (0)

/* The kernel's CSPRNG (src/lwip_arch.c): random() is unseeded, so every process picked
 * the same first ephemeral port. */
uint32_t gz_random_u32(void);
#define LWIP_RAND() ((u32_t)gz_random_u32())

#endif
