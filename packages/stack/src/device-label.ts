import type { DeviceOptions } from './options'

/** How operators see a device in gazellectl, logs and metric labels: "tap:gz0",
 * "memif:server:/run/gazelle/a.sock#0", "af_packet:veth1", "pci:0000:00:04.0". */
export function deviceLabel(d: Readonly<DeviceOptions>): string {
  switch (d.type) {
    case 'memif':
      return `memif:${d.role}:${d.socket}#${d.id ?? 0}`
    case 'tap':
      return `tap:${d.name}`
    case 'af_packet':
      return `af_packet:${d.iface}`
    case 'af_xdp':
      return `af_xdp:${d.iface}`
    case 'pci':
      return `pci:${d.address}`
  }
}
