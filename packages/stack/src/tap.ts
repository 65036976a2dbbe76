// The kernel side of a tap device, owned by the one process that created it. The name is
// claimed (netns-claim.ts) before anything is checked or created, so two processes that
// start together with one name cannot both pass the "does it exist?" check, and a
// process only ever deletes a tap it claimed and created. The alias on the interface
// ("gazelle pid N", see `ip link show`) says who made it.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { GazelleError } from './errors'
import { processAlive } from './leftovers'
import { parseCidr, prefixToNetmask } from './ip'
import { Claim, claim, claimWithin, holderOf } from './netns-claim'
import type { TapDeviceOptions } from './options'
import { ALIAS_PREFIX, Clash, creatorOf, describeSubnet, routeClash } from './route-clash'

/** Taps this process claimed, by name (one stack per process: at most one). */
const claims = new Map<string, Claim>()
/** Held around "check the routes, add the address" so two stacks cannot interleave them. */
const ADDRESS_LOCK = 'address-setup'
const ADDRESS_LOCK_MS = 5000

function interfaceExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`)
}

function claimName(name: string): string {
  return `tap/${name}`
}

function ownerText(pid: number | undefined): string {
  if (pid === undefined) return ''
  if (pid === process.pid) return ', made by this process'
  return processAlive(pid) ? `, made by gazelle process ${pid} (still running)` : `, made by gazelle process ${pid}, which is no longer running`
}

function clashError(device: Readonly<TapDeviceOptions>, clash: Clash): GazelleError {
  const host = parseCidr(device.hostIp)!
  const subnet = describeSubnet((host.ip & prefixToNetmask(host.prefix)) >>> 0, host.prefix)
  const creator = clash.dev === undefined ? undefined : creatorOf(clash.dev)
  const whose = creator === undefined ? '' : creator === process.pid ? ', this process\'s tap' : `, the tap of gazelle process ${creator}`
  return new GazelleError(
    'ERR_GAZELLE_SUBNET_IN_USE',
    `the tap's subnet ${subnet} is in use on this host already (${clash.what}${whose}): the kernel would send ` +
      `the stack's traffic there, not to ${device.name}. Give options.ip and options.device.hostIp a subnet of their own`,
  )
}

function stackAddresses(device: Readonly<TapDeviceOptions>, stackIp: number): number[] {
  return [parseCidr(device.hostIp)!.ip, stackIp]
}

/** Claims the tap's name and checks that neither the name nor the subnet is taken. */
export async function prepareTap(device: Readonly<TapDeviceOptions>, stackIp: number): Promise<void> {
  const name = device.name
  if (claims.has(name)) return
  const held = await claim(claimName(name))
  if (held === null) {
    const pid = holderOf(claimName(name))
    throw new GazelleError(
      'ERR_GAZELLE_DEVICE_EXISTS',
      `the tap ${JSON.stringify(name)} is in use by ${pid === undefined ? 'another gazelle process' : `gazelle process ${pid}`} ` +
        'in this network namespace: every process needs its own options.device.name (cluster workers, PM2 ' +
        'instances), and a restart must wait for the old process to exit',
    )
  }
  try {
    if (interfaceExists(name)) {
      throw new GazelleError(
        'ERR_GAZELLE_DEVICE_EXISTS',
        `a network interface named ${JSON.stringify(name)} already exists (/sys/class/net/${name}${ownerText(creatorOf(name))}): ` +
          `choose another options.device.name or delete it with \`ip link del ${name}\``,
      )
    }
    const host = parseCidr(device.hostIp)!
    const clash = routeClash((host.ip & prefixToNetmask(host.prefix)) >>> 0, host.prefix, stackAddresses(device, stackIp))
    if (clash !== undefined) throw clashError(device, clash)
  } catch (err) {
    held.release()
    throw err
  }
  claims.set(name, held)
}

function ip(args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string }
    /* c8 ignore next */
    const detail = e.stderr?.toString().trim() || e.message
    throw new GazelleError('ERR_GAZELLE_DEVICE_SETUP', `\`ip ${args.join(' ')}\` failed: ${detail}`, { cause: err })
  }
}

/** After the port made the tap: its kernel-side address (if the subnet is still free),
 * the alias naming this process, and the link up. */
export async function configureTap(device: Readonly<TapDeviceOptions>, stackIp: number): Promise<void> {
  const lock = await claimWithin(ADDRESS_LOCK, ADDRESS_LOCK_MS)
  try {
    const host = parseCidr(device.hostIp)!
    const clash = routeClash((host.ip & prefixToNetmask(host.prefix)) >>> 0, host.prefix, stackAddresses(device, stackIp))
    if (clash !== undefined) throw clashError(device, clash)
    ip(['addr', 'add', device.hostIp, 'dev', device.name])
    ip(['link', 'set', 'dev', device.name, 'alias', `${ALIAS_PREFIX}${process.pid}`, 'up'])
  } finally {
    lock?.release()
  }
}

/** After the port is closed: net_tap removes its interface; make sure the one this
 * process claimed is gone, and give the name back. A tap it did not claim is left alone. */
export function releaseTap(device: Readonly<TapDeviceOptions>): void {
  const held = claims.get(device.name)
  if (held === undefined) return
  claims.delete(device.name)
  try {
    if (interfaceExists(device.name)) execFileSync('ip', ['link', 'del', device.name], { stdio: 'ignore' })
    /* c8 ignore next 3 */
  } catch {
    // already gone
  } finally {
    held.release()
  }
}
