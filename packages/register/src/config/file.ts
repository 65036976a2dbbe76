// The config file: GAZELLE_CONFIG names it (it must exist); otherwise ./gazelle.json,
// then /etc/gazelle/node.json, if present. Strict JSON, one object.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { registerError } from '../errors'

export const DEFAULT_FILES = ['gazelle.json', '/etc/gazelle/node.json'] as const

export interface ConfigFile {
  path: string
  data: Record<string, unknown>
}

function read(file: string): ConfigFile {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw registerError('ERR_GAZELLE_CONFIG_FILE',
      `cannot read the config file ${file}: ${(err as Error).message}`, { cause: err })
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw registerError('ERR_GAZELLE_CONFIG_FILE',
      `the config file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw registerError('ERR_GAZELLE_CONFIG_FILE', `the config file ${file} must hold one JSON object`)
  }
  return { path: file, data: data as Record<string, unknown> }
}

/** The config file to use, or undefined when there is none. */
export function findConfigFile(env: NodeJS.ProcessEnv, cwd: string): ConfigFile | undefined {
  const named = env.GAZELLE_CONFIG
  if (named !== undefined && named !== '') return read(path.resolve(cwd, named))
  for (const candidate of DEFAULT_FILES) {
    const file = path.resolve(cwd, candidate)
    if (fs.existsSync(file)) return read(file)
  }
  return undefined
}
