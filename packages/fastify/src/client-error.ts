// Error replies on stack sockets.
import type { Socket as StackSocket } from '@gazelle/stack'

/**
 * A 'clientError' handler (node's or Fastify's) writes its 408/400 reply and then calls
 * socket.destroy(err): on a kernel socket that is close(), which still sends the reply and
 * then FIN. The stack's destroy() resets and would drop the reply: for that one call,
 * end the socket (the reply, then FIN) and destroy it once ended.
 */
export function closeAfterReply(socket: StackSocket): void {
  const destroy = socket.destroy
  socket.destroy = function (this: StackSocket, err?: Error) {
    socket.destroy = destroy
    if (this.destroyed || !this.writable) return destroy.call(this, err)
    this.end(() => destroy.call(this))
    return this
  }
}
