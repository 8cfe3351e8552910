// What the lab reads about the processes it starts: CPU time and the tail of their logs.
// Kept free of other imports: the probe programs load it and must start fast.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const CLOCK_TICKS_PER_SEC = 100; // USER_HZ, 100 on every Linux architecture we run on
const LOG_TAIL_LINES = 30;

/** Seconds of CPU (utime + stime, from /proc/<pid>/stat) the process has used, or null if it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the parenthesised command name (which may itself contain spaces).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
}

/** The last lines of each log file, each headed by its name when there are several. */
export async function logTail(files: readonly string[], lines = LOG_TAIL_LINES): Promise<string> {
  const parts: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
    if (tail) parts.push(files.length > 1 ? `[${file}]\n${tail}` : tail);
  }
  return parts.join('\n');
}
