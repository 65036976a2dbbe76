// A pcap capture run by the stack process: the native hook copies frames into a
// buffer; this drains it to the file from the event loop (never on the data path).
import * as fs from 'node:fs'
import { GazelleError, errnoException } from '../errors'
import type { NativeBinding } from '../native'
import type { CaptureStatus } from './protocol'

const DRAIN_MS = 50
const BUFFER_BYTES = 16 << 20
const PCAP_NS_MAGIC = 0xa1b23c4d   // pcap with nanosecond timestamps
const LINKTYPE_ETHERNET = 1

export interface CaptureRequest {
  path: string
  /** Frames to capture, 0: until stopped. */
  count: number
  snaplen: number
}

/** The 24-byte pcap file header, in host (little-endian) order like the records. */
export function pcapHeader(snaplen: number): Buffer {
  const h = Buffer.alloc(24)
  h.writeUInt32LE(PCAP_NS_MAGIC, 0)
  h.writeUInt16LE(2, 4)
  h.writeUInt16LE(4, 6)
  h.writeUInt32LE(snaplen, 16)
  h.writeUInt32LE(LINKTYPE_ETHERNET, 20)
  return h
}

export class Capture {
  #binding: NativeBinding
  #fd: number | null = null
  #path: string | null = null
  #timer: NodeJS.Timeout | null = null
  #written = 0
  #error: string | null = null
  #onDone: (status: CaptureStatus) => void

  constructor(binding: NativeBinding, onDone: (status: CaptureStatus) => void) {
    this.#binding = binding
    this.#onDone = onDone
  }

  get running(): boolean {
    return this.#fd !== null
  }

  start(req: CaptureRequest): CaptureStatus {
    if (this.running) throw new GazelleError('ERR_GAZELLE_INVALID_OPTION', `a capture to ${this.#path} is running: stop it first`)
    // 0600: frames carry application data
    const fd = fs.openSync(req.path, 'w', 0o600)
    try {
      fs.writeSync(fd, pcapHeader(req.snaplen))
      const rc = this.#binding.captureStart(req.count, req.snaplen, BUFFER_BYTES)
      if (rc < 0) throw errnoException(rc, 'capture')
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
    this.#fd = fd
    this.#path = req.path
    this.#written = 24
    this.#error = null
    this.#timer = setInterval(() => this.#drain(), DRAIN_MS)
    this.#timer.unref()
    return this.status()
  }

  /** Writes what is buffered; finishes when the native side has stopped (count reached). */
  #drain(): void {
    if (this.#fd === null) return
    const stopped = !this.#binding.captureStatus().on
    this.#flush()
    if (stopped) this.#finish()
  }

  #flush(): void {
    if (this.#fd === null) return
    const data = this.#binding.captureTake()
    if (data.length === 0) return
    try {
      // Small appends to a local file: synchronous keeps the records in order and the
      // code simple; the work is bounded by the buffer drained every DRAIN_MS.
      fs.writeSync(this.#fd, data)
      this.#written += data.length
    } catch (err) {
      this.#error = (err as Error).message
      this.#binding.captureStop()
      this.#finish()
    }
  }

  #finish(): void {
    if (this.#fd === null) return
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    fs.closeSync(this.#fd)
    this.#fd = null
    this.#onDone(this.status())
  }

  stop(): CaptureStatus {
    this.#binding.captureStop()
    this.#flush()
    this.#finish()
    return this.status()
  }

  status(): CaptureStatus {
    const s = this.#binding.captureStatus()
    return {
      path: this.#path,
      on: s.on,
      done: this.#path !== null && this.#fd === null,
      packets: s.packets,
      bytes: s.bytes,
      dropped: s.dropped,
      limit: s.limit,
      written: this.#written,
      error: this.#error,
    }
  }
}
