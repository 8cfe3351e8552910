// CPU time of a process from /proc/<pid>/stat (utime + stime), so the probes can be
// shown not to be the bottleneck: the orchestrator reads the server probe's, and the
// client probe reads its own.
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SEC = 100; // USER_HZ, 100 on every Linux architecture we run on

/** Seconds of CPU the process has used so far, or null if it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the parenthesised command name (which may itself contain spaces).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SEC;
}
