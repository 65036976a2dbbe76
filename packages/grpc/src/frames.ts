// gRPC's length-prefixed message framing (1 byte compressed flag, 4 bytes length).
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length)
  out[0] = 0
  out.writeUInt32BE(message.length, 1)
  message.copy(out, 5)
  return out
}

/** Splits a byte stream into messages; calls onMessage per whole message. */
export class FrameParser {
  #chunks: Buffer[] = []
  #buffered = 0
  #need = -1 // -1: reading a header
  #compressed = false

  constructor(
    private readonly maxLength: number,
    private readonly onMessage: (message: Buffer) => void,
    private readonly onError: (reason: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 5) return
        const head = this.#take(5)
        this.#compressed = head[0] !== 0
        this.#need = head.readUInt32BE(1)
        if (this.#compressed) return this.onError('received a compressed message (only identity is accepted)')
        if (this.#need > this.maxLength) {
          return this.onError(`Received message larger than max (${this.#need} vs. ${this.maxLength})`)
        }
      }
      if (this.#buffered < this.#need) return
      const message = this.#take(this.#need)
      this.#need = -1
      this.onMessage(message)
    }
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#buffered)
    const out = all.subarray(0, n)
    const rest = all.subarray(n)
    this.#chunks = rest.length > 0 ? [rest] : []
    this.#buffered = rest.length
    return out
  }
}
