// Text formatting for terminals: short numbers, byte sizes, durations and tables that
// fit 80 columns.

export const WIDTH = 80

/** 1234 -> "1.2K", 5_600_000 -> "5.6M"; integers below 10000 as they are. */
export function count(n: number): string {
  if (!Number.isFinite(n)) return '-'
  const a = Math.abs(n)
  if (a < 10_000) return Number.isInteger(n) ? String(n) : n.toFixed(a < 10 ? 2 : a < 100 ? 1 : 0)
  for (const [div, unit] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']] as const) {
    if (a >= div) {
      const v = n / div
      return `${Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v)}${unit}`
    }
  }
  return String(n)
}

/** Bytes in binary units: 512 -> "512B", 65535 -> "64K", 3 << 20 -> "3.0M". */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '-'
  if (n < 1024) return `${Math.round(n)}B`
  const units = ['K', 'M', 'G', 'T']
  let v = n
  let u = -1
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`
}

/** Milliseconds, short: "950ms", "12s", "5m", "3h", "2d"; negative: "-". */
export function age(ms: number): string {
  if (!(ms >= 0)) return '-'
  if (ms < 1000) return `${Math.round(ms)}ms`
  const s = ms / 1000
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}

/** Longer durations for uptime: "3d4h", "2h05m", "5m12s", "42s". */
export function uptime(ms: number): string {
  const s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const pad = (n: number) => String(n).padStart(2, '0')
  if (d) return `${d}d${h}h`
  if (h) return `${h}h${pad(m)}m`
  if (m) return `${m}m${pad(s % 60)}s`
  return `${s}s`
}

/** Nanoseconds: "850ns", "12.3us", "4.5ms", "1.20s". */
export function nanos(ns: number): string {
  if (!Number.isFinite(ns)) return '-'
  if (ns < 1000) return `${Math.round(ns)}ns`
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 1 : 0)}us`
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 1 : 0)}ms`
  return `${(ns / 1e9).toFixed(2)}s`
}

export interface Column {
  title: string
  /** Numbers line up on the right. */
  right?: boolean
  /** May be cut (with "…") when the table is wider than the terminal. */
  shrink?: boolean
}

/** Cuts the middle out of s to make it width long (keeps both ends: paths, ports). */
export function ellipsize(s: string, width: number): string {
  if (s.length <= width) return s
  if (width <= 1) return s.slice(0, width)
  const tail = Math.ceil((width - 1) / 2)
  return `${s.slice(0, width - 1 - tail)}…${s.slice(s.length - tail)}`
}

/** Lays rows out under their titles, one space apart; shrinkable columns give way
 * (widest first) until the table fits maxWidth. */
export function table(columns: readonly Column[], rows: readonly string[][], maxWidth = WIDTH): string[] {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)))
  const total = () => widths.reduce((a, b) => a + b, 0) + columns.length - 1
  while (total() > maxWidth) {
    let widest = -1
    columns.forEach((c, i) => {
      if (c.shrink && widths[i] > c.title.length && (widest < 0 || widths[i] > widths[widest])) widest = i
    })
    if (widest < 0) break
    widths[widest]--
  }
  const cell = (s: string, i: number) => {
    const v = ellipsize(s, widths[i])
    return columns[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i])
  }
  const line = (cells: readonly string[]) => columns.map((_, i) => cell(cells[i] ?? '', i)).join(' ').trimEnd()
  return [line(columns.map((c) => c.title)), ...rows.map(line)]
}
