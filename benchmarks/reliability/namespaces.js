'use strict'
// Network namespaces for a benchmark run, named after the run's pid, removed when done
// and at exit (also on SIGINT/SIGTERM), so an interrupted run leaves nothing behind.
const { execFileSync } = require('node:child_process')

const live = new Set()
let hooked = false

function removeNs (name) {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 })
  } catch {}
  live.delete(name)
}

function hook () {
  if (hooked) return
  hooked = true
  process.on('exit', () => { for (const n of [...live]) removeNs(n) })
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const n of [...live]) removeNs(n)
      process.kill(process.pid, sig)
    })
  }
}

class Namespaces {
  constructor (prefix) {
    this.prefix = prefix
    this.names = []
    this.seq = 0
    hook()
  }

  /** Creates one namespace per key (lo up); returns { key: name }. */
  make (keys) {
    const out = {}
    for (const k of keys) {
      const name = `${this.prefix}-${this.seq++}-${k}`
      execFileSync('ip', ['netns', 'add', name], { stdio: 'ignore', timeout: 10_000 })
      live.add(name)
      this.names.push(name)
      execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], { stdio: 'ignore', timeout: 10_000 })
      out[k] = name
    }
    return out
  }

  removeAll () {
    for (const n of this.names.splice(0)) removeNs(n)
  }
}

module.exports = { Namespaces }
