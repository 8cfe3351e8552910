// Reads a sysctl of this network namespace from /proc/sys (`net/mptcp/enabled`), trimmed;
// throws when the kernel has none or /proc/sys is hidden (a unit's ProcSubset=pid).
import { readFileSync } from 'node:fs';

export function readSysctl(name: string): string {
  return readFileSync(`/proc/sys/${name}`, 'utf8').trim();
}
