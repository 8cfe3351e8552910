// Human units in scenario files: rates, durations, sizes, percentages.
// Each parser returns the value in the base unit named by the function, or an error
// message saying what is allowed, so the schema can report it against the field.

export type Parsed = { ok: true; value: number } | { ok: false; message: string };

const NUMBER = String.raw`(\d+(?:\.\d+)?)`;

function parseWithUnits(text: string, units: Record<string, number>, what: string, example: string): Parsed {
  const match = new RegExp(`^${NUMBER}\\s*([a-zA-Z%]+)$`).exec(text.trim());
  const factor = match ? units[match[2]!] : undefined;
  if (!match || factor === undefined) {
    return { ok: false, message: `expected a ${what} like ${example} (units: ${Object.keys(units).join(', ')}), got ${JSON.stringify(text)}` };
  }
  return { ok: true, value: Number(match[1]) * factor };
}

export function parseRateBitsPerSec(text: string): Parsed {
  return parseWithUnits(text, { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }, 'rate', '10mbit');
}

export function parseDurationMs(text: string): Parsed {
  return parseWithUnits(text, { us: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }, 'duration', '20ms or 5s');
}

export function parseSizeBytes(text: string): Parsed {
  return parseWithUnits(text, { B: 1, KB: 1024, MB: 1024 ** 2 }, 'size', '64KB');
}

/** A percentage, returned as a probability (0..1). */
export function parsePercent(text: string): Parsed {
  const parsed = parseWithUnits(text, { '%': 0.01 }, 'percentage', '1%');
  return parsed;
}
