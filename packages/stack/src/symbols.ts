// Private state and hooks shared by Stack, Server and Socket (file-local ones live
// at the top of each file). Symbols keep them off the public surface.

/** No native id: never opened, or freed (ids are reused, so a freed one is never kept). */
export const NO_ID = -1

export const kStack = Symbol('gazelle.stack')
export const kBinding = Symbol('gazelle.binding')
/** Native socket-table id of a Socket or Server, or NO_ID. */
export const kId = Symbol('gazelle.id')
/** ref()/unref() state, and whether the handle is counted in the stack's ref count. */
export const kRefed = Symbol('gazelle.refed')
export const kCounted = Symbol('gazelle.counted')

// Stack internals
export const kIp = Symbol('gazelle.ip')
export const kAddHandle = Symbol('gazelle.addHandle')
export const kRemoveHandle = Symbol('gazelle.removeHandle')
export const kUpdateRef = Symbol('gazelle.updateRef')
export const kDispatch = Symbol('gazelle.dispatch')

// Socket hooks, called by the Stack's dispatch and by Server
export const kAccepted = Symbol('gazelle.accepted')
export const kConnecting = Symbol('gazelle.connecting')
export const kOnConnected = Symbol('gazelle.onConnected')
export const kOnData = Symbol('gazelle.onData')
export const kOnEof = Symbol('gazelle.onEof')
export const kOnWritable = Symbol('gazelle.onWritable')
export const kOnError = Symbol('gazelle.onError')

// Server hooks
export const kOnAccept = Symbol('gazelle.onAccept')
export const kConnectionClosed = Symbol('gazelle.connectionClosed')

// UDP sockets (their ids are a table of their own)
export const kAddUdp = Symbol('gazelle.addUdp')
export const kRemoveUdp = Symbol('gazelle.removeUdp')
export const kOnMessage = Symbol('gazelle.onMessage')
export const kOnUdpWritable = Symbol('gazelle.onUdpWritable')
/** Closes a UDP socket at once, even with calls queued for 'listening' (stack.close()). */
export const kForceClose = Symbol('gazelle.forceClose')

// The native stream handle node:http2 may drive a Socket through (stream-handle.ts)
export const kStreamHandle = Symbol('gazelle.streamHandle')
export const kWriteBuffers = Symbol('gazelle.writeBuffers')
export const kPauseRx = Symbol('gazelle.pauseRx')
export const kDirectEnd = Symbol('gazelle.directEnd')
