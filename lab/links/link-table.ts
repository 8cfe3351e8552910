// The terminal table of `mplab links`: each link's model next to what was measured,
// with a verdict against the bounds the lab promises.
import type { DirectionMeasurement, LinkMeasurement } from './measure.ts';

/** Single-flow goodput must reach this share of the rate on a loss-free direction. */
export const GOODPUT_SHARE_BOUND = 0.9;
export const OUTAGE_TOLERANCE_MS = 20;

const ms = (value: number) => `${value.toFixed(2)} ms`;
const pct = (fraction: number) => `${(fraction * 100).toFixed(2)} %`;
const mbit = (bitsPerSec: number) => `${(bitsPerSec / 1e6).toFixed(2)} Mbit/s`;
const verdict = (ok: boolean) => (ok ? 'ok' : 'OFF');

interface Row {
  what: string;
  configured: string;
  measured: string;
  check: string;
}

function directionRows(d: DirectionMeasurement): Row[] {
  const lossFree = d.loss.configured === 0;
  const rows: Row[] = [
    {
      what: `delay ${d.direction}`,
      configured: ms(d.configuredDelayMs),
      measured: `min ${ms(d.oneWayDelayMs.min)}, median ${ms(d.oneWayDelayMs.median)}, p99 ${ms(d.oneWayDelayMs.p99)}`,
      check: '',
    },
    {
      what: `loss ${d.direction}`,
      configured: pct(d.loss.configured),
      measured: `${pct(d.loss.measured)} (${d.loss.lost}/${d.loss.probes}; 99 % interval ${pct(d.loss.interval99[0])}-${pct(d.loss.interval99[1])})`,
      check: verdict(d.loss.inside) + (d.loss.bursty ? ' (bursty: interval is binomial, too narrow)' : ''),
    },
    {
      what: `goodput ${d.direction}`,
      configured: mbit(d.rateBitsPerSec),
      measured: `${mbit(d.goodputBitsPerSec)} (${(d.goodputShare * 100).toFixed(1)} %, ${d.retransmits} retransmits)`,
      check: lossFree ? verdict(d.goodputShare >= GOODPUT_SHARE_BOUND) : '(lossy: no bound)',
    },
    {
      what: `outage ${d.direction}`,
      configured: `gap ${ms(d.outage.expectedGapMs)}`,
      measured: `gap ${ms(d.outage.gapMs)} (${d.outage.errorMs >= 0 ? '+' : ''}${d.outage.errorMs.toFixed(1)} ms), ${d.outage.deliveredDuringOutage} delivered while down, probe pause max ${ms(d.outage.senderMaxPauseMs)}`,
      check: verdict(Math.abs(d.outage.errorMs) <= OUTAGE_TOLERANCE_MS && d.outage.deliveredDuringOutage === 0),
    },
  ];
  const c = d.counters;
  const lateness = c.latenessP99Us !== undefined ? `lateness p99 ${c.latenessP99Us} us, max ${c.latenessMaxUs} us; ` : '';
  const cpu = d.emulatorCpuPercent !== undefined ? `emulator CPU ${d.emulatorCpuPercent.toFixed(1)} % of a core at full rate; ` : '';
  rows.push({
    what: `counters ${d.direction}`,
    configured: '',
    measured: `${lateness}${cpu}sent ${c.sentPackets} pkts, dropped: loss ${c.lossDrops}, queue ${c.queueDrops}, outage ${c.outageDrops}`,
    check: '',
  });
  return rows;
}

function linkRows(m: LinkMeasurement): Row[] {
  const rtt = m.rttMs;
  return [
    {
      what: `link ${m.name} (${m.backend})`,
      configured: 'configured',
      measured: 'measured',
      check: 'check',
    },
    {
      what: 'RTT',
      configured: ms(rtt.configured),
      measured: `min ${ms(rtt.min)}, median ${ms(rtt.median)}, p99 ${ms(rtt.p99)} (n ${rtt.n})`,
      check: `${verdict(Math.abs(rtt.errorMs) <= rtt.toleranceMs)} (${rtt.errorMs >= 0 ? '+' : ''}${rtt.errorMs.toFixed(2)} ms, bound ${rtt.toleranceMs.toFixed(2)})`,
    },
    ...directionRows(m.down),
    ...directionRows(m.up),
    { what: 'took', configured: '', measured: `${(m.durationMs / 1000).toFixed(1)} s`, check: '' },
  ];
}

export function formatLinkTable(measurements: LinkMeasurement[]): string {
  const rows = measurements.flatMap((m) => [...linkRows(m), { what: '', configured: '', measured: '', check: '' }]);
  const width = (key: keyof Row) => Math.max(...rows.map((row) => row[key].length));
  const widths = { what: width('what'), configured: width('configured'), measured: width('measured') };
  return rows
    .map((row) =>
      row.what === '' ? '' : `${row.what.padEnd(widths.what)}  ${row.configured.padEnd(widths.configured)}  ${row.measured.padEnd(widths.measured)}  ${row.check}`.trimEnd(),
    )
    .join('\n')
    .trimEnd();
}
