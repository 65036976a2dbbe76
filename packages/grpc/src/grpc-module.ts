// Finds the files of the @grpc/grpc-js copy a client uses: its transport module (for the
// connector hook) and its version (for the guard). grpc-js has no "exports" map, so its
// build/src files can be required by path.
import * as fs from 'node:fs'
import * as path from 'node:path'

export interface GrpcFiles {
  /** The package's directory (where its package.json is). */
  dir: string
  version: string
  require(rel: string): unknown
}

const byModule = new WeakMap<object, GrpcFiles | null>()

function filesAt(dir: string): GrpcFiles | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
    if (pkg.name !== '@grpc/grpc-js' || typeof pkg.version !== 'string') return null
    return { dir, version: pkg.version, require: (rel) => require(path.join(dir, rel)) }
  } catch {
    return null
  }
}

function packageDirOf(file: string): string | null {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir
  }
  return null
}

/** The files of the grpc-js copy whose exports object is `grpc` (found in require.cache),
 * or of the copy this package resolves when `grpc` is undefined. */
export function grpcFiles(grpc?: object): GrpcFiles | null {
  if (grpc === undefined) {
    let main: string
    try {
      main = require.resolve('@grpc/grpc-js')
    } catch {
      return null
    }
    const dir = packageDirOf(main)
    return dir === null ? null : filesAt(dir)
  }
  const known = byModule.get(grpc)
  if (known !== undefined) return known
  let found: GrpcFiles | null = null
  for (const m of Object.values(require.cache)) {
    if (m && m.exports === grpc) {
      const dir = packageDirOf(m.filename)
      found = dir === null ? null : filesAt(dir)
      break
    }
  }
  byModule.set(grpc, found)
  return found
}

/** "1.14.7" -> [1, 14, 7] */
export function versionParts(version: string): number[] {
  return version.split(/[.-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0)
}
