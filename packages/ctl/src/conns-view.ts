// The conns screen: one line per TCP pcb, like `ss -ti`; when the addresses make the
// table wider than 80 columns, two lines per connection (ss's own layout).
import type { ConnEntry } from '@gazelle/stack'
import { WIDTH, age, bytes, table } from './format'

/** ss's short state names. */
const STATE: Record<string, string> = {
  ESTABLISHED: 'ESTAB', SYN_SENT: 'SYN-SENT', SYN_RCVD: 'SYN-RECV', FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2', CLOSE_WAIT: 'CLOSE-WAIT', LAST_ACK: 'LAST-ACK', TIME_WAIT: 'TIME-WAIT',
}

export function stateName(s: string): string {
  return STATE[s] ?? s
}

const COLUMNS = [
  { title: 'State' }, { title: 'Local' }, { title: 'Remote' },
  { title: 'Snd-W', right: true }, { title: 'Rcv-W', right: true }, { title: 'Cwnd', right: true },
  { title: 'Unack', right: true }, { title: 'Queued', right: true }, { title: 'Rtx', right: true },
  { title: 'Age', right: true },
]

function cells(c: ConnEntry): string[] {
  if (c.state === 'LISTEN') return [stateName(c.state), c.local, c.remote, '', '', '', '', '', '', age(c.ageMillis)]
  return [
    stateName(c.state), c.local, c.remote, bytes(c.sendWindow), bytes(c.receiveWindow), bytes(c.cwnd),
    bytes(c.unackedBytes), bytes(c.unsentBytes), String(c.retransmits), age(c.ageMillis),
  ]
}

function detail(c: ConnEntry): string {
  if (c.state === 'LISTEN') return `  age:${age(c.ageMillis)}`
  return `  wnd:${bytes(c.sendWindow)}/${bytes(c.receiveWindow)} cwnd:${bytes(c.cwnd)}` +
    ` unack:${bytes(c.unackedBytes)} queued:${bytes(c.unsentBytes)} rtx:${c.retransmits}` +
    ` age:${age(c.ageMillis)}${c.paused ? ' paused' : ''}`
}

export function formatConns(conns: readonly ConnEntry[]): string[] {
  if (conns.length === 0) return ['no TCP connections']
  const lines = table(COLUMNS, conns.map(cells), Infinity)
  if (Math.max(...lines.map((l) => l.length)) <= WIDTH) return lines
  const out = table([{ title: 'State' }, { title: 'Local' }, { title: 'Remote' }], conns.map((c) => [stateName(c.state), c.local, c.remote]), Infinity)
  return [out[0], ...conns.flatMap((c, i) => [out[i + 1], detail(c)])]
}
