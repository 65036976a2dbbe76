// ref()/unref() of Socket, Server and UdpSocket: the stack keeps the event loop alive
// while any of its handles is ref'd.
import type { Stack } from './stack'
import { kRefed, kStack, kUpdateRef } from './symbols'

type RefCounted = Parameters<Stack[typeof kUpdateRef]>[0]

export function setRefed<H extends RefCounted>(handle: H, refed: boolean): H {
  handle[kRefed] = refed
  handle[kStack][kUpdateRef](handle)
  return handle
}
