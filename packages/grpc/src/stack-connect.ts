// Opens a TCP connection on the stack and settles once it is connected, the way
// grpc-js's own net.connect path does (rejects on 'error' or an early 'close').
import type { Socket, Stack } from '@gazelle/stack'

export function connectOnStack(stack: Stack, host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let socket: Socket
    try {
      socket = stack.connect({ host, port, noDelay: true })
    } catch (err) {
      reject(err)
      return
    }
    const onClose = () => reject(new Error('Socket closed'))
    const onError = (err: Error) => reject(err)
    socket.once('close', onClose)
    socket.once('error', onError)
    socket.once('connect', () => {
      socket.off('close', onClose)
      socket.off('error', onError)
      resolve(socket)
    })
  })
}
