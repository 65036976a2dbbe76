#!/usr/bin/env node
// npm's install step for @gazelle/native in an app (npm install @gazelle/stack): builds the
// addon with node-gyp. What the build needs and is missing (DPDK, libbpf, clang, a C
// compiler, LwIP's source) is said up front with the commands that install it, instead of
// a page of compiler errors; missing hugepages (needed to run, not to build) get a warning.
// In the gazelle-node repository scripts/setup.sh builds the addon, so this does nothing.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const native = path.join(__dirname, '..')

function say(line) {
  process.stderr.write(`@gazelle/native: ${line}\n`)
}

function has(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  return r.status === 0
}

/** The repository's own checkout: scripts/setup.sh builds the addon there. */
function inRepository() {
  try {
    const top = JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8'))
    return top.name === 'gazelle-node' && Array.isArray(top.workspaces)
  } catch {
    return false
  }
}

/** What the build needs that this machine lacks, as Debian packages to install. */
function missingPackages() {
  const missing = []
  if (!has('pkg-config', ['--version'])) missing.push('pkg-config')
  else {
    if (!has('pkg-config', ['--exists', 'libdpdk'])) missing.push('libdpdk-dev', 'dpdk', 'libnuma-dev')
    if (!has('pkg-config', ['--exists', 'libbpf'])) missing.push('libbpf-dev')
  }
  if (!has('cc', ['--version']) || !has('c++', ['--version']) || !has('make', ['--version'])) missing.push('build-essential')
  if (!has('clang', ['--version'])) missing.push('clang')
  if (!has('python3', ['--version'])) missing.push('python3')
  if (!has('patch', ['--version'])) missing.push('patch')
  return missing
}

function hugepagesWarning() {
  let total = 0
  try {
    const m = /^HugePages_Total:\s+(\d+)/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))
    total = m ? Number(m[1]) : 0
  } catch {
    return
  }
  if (total > 0) return
  say('no hugepages are reserved: a stack needs about 48 MiB of them to start. As root:')
  say('  echo 1024 > /proc/sys/vm/nr_hugepages')
  say('  mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages')
}

/** node-gyp: the one npm runs scripts with, else this package's dependency. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp
  }
  try {
    return require.resolve('node-gyp/bin/node-gyp.js')
  } catch {
    return null
  }
}

function main() {
  if (inRepository()) return 0
  if (process.platform !== 'linux') {
    say(`the stack runs on Linux only (DPDK + LwIP); this is ${process.platform}`)
    return 1
  }
  const missing = missingPackages()
  if (missing.length) {
    say('cannot build the addon: missing build prerequisites. Install them, then run `npm rebuild @gazelle/native`:')
    say(`  apt-get install ${[...new Set(missing)].join(' ')}`)
    return 1
  }
  const lwip = spawnSync('bash', [path.join(native, 'scripts', 'lwip-source.sh')], { stdio: 'inherit' })
  if (lwip.status !== 0) {
    say("cannot prepare LwIP's source (Debian's lwip source package, fetched once with apt-get source).")
    say('Run `npm rebuild @gazelle/native` once as root (it adds a deb-src entry and installs dpkg-dev),')
    say('or put an unpacked lwip-2.1.3 source in $GAZELLE_CACHE/lwip-2.1.3 (default ~/.cache/gazelle).')
    return 1
  }
  const gyp = nodeGyp()
  if (gyp === null) {
    say('cannot build the addon: node-gyp not found (npm ships it; run `npm rebuild @gazelle/native` through npm)')
    return 1
  }
  const build = spawnSync(process.execPath, [gyp, 'rebuild', '--jobs', 'max'], { cwd: native, stdio: 'inherit' })
  if (build.status !== 0) {
    say('node-gyp could not build the addon (its output is above). The build needs Debian bookworm\'s')
    say('DPDK 22.11 (libdpdk-dev), libbpf-dev, clang and build-essential.')
    return 1
  }
  hugepagesWarning()
  return 0
}

process.exitCode = main()
