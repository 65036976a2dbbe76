/* The credentials of the process at the other end of a unix socket: the control
 * socket serves only its owner (node has no API for SO_PEERCRED). */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>

#include "gazelle.h"

int gz_peer_cred(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid) {
  struct ucred c;
  socklen_t len = sizeof(c);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) != 0) return -errno;
  *pid = c.pid;
  *uid = c.uid;
  *gid = c.gid;
  return 0;
}
