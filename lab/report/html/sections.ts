// The reference sections under the charts: link models (configured, and measured when
// the run measured them), the scenario, the environment, and links to files.
import { expectedLossProbability, type DirectionModel, type LinkModel } from '../../links/model.ts';
import type { Results } from '../results.ts';
import { esc } from './escape.ts';
import { formatNumber } from './format.ts';

const percent = (p: number) => `${formatNumber(p * 100)} %`;

function directionCells(d: DirectionModel): string {
  const burst = d.burstLoss
    ? `enter ${percent(d.burstLoss.enterProbability)}, exit ${percent(d.burstLoss.exitProbability)}, loss ${percent(d.burstLoss.lossInBurst)}`
    : 'none';
  return [`${formatNumber(d.rateBitsPerSec / 1e6)} Mbit/s`, `${d.delayMs} ms ± ${d.jitterMs} ms`, percent(d.lossProbability), burst, `${formatNumber(d.queueBytes / 1024)} KiB`]
    .map((text) => `<td>${esc(text)}</td>`)
    .join('');
}

function scheduleText(link: LinkModel): string {
  if (!link.schedule.length) return 'none';
  return link.schedule
    .map((e) => (e.action.kind === 'outage' ? `at ${e.atMs / 1000} s: down for ${e.action.durationMs / 1000} s` : `at ${e.atMs / 1000} s: ${e.action.direction} rate ${formatNumber(e.action.rateBitsPerSec / 1e6)} Mbit/s`))
    .join('; ');
}

export function linkModelsHtml(links: { a: LinkModel; b: LinkModel }): string {
  const rows = [links.a, links.b].flatMap((link) =>
    (['down', 'up'] as const).map(
      (dir, i) =>
        `<tr>${i === 0 ? `<th rowspan="2">${esc(link.name)}</th>` : ''}<td>${dir}</td>${directionCells(link[dir])}${i === 0 ? `<td rowspan="2">${esc(scheduleText(link))}</td>` : ''}</tr>`,
    ),
  );
  return (
    '<table class="plain"><thead><tr><th>link</th><th>direction</th><th>rate</th><th>one-way delay</th><th>random loss</th><th>burst loss (Gilbert-Elliott)</th><th>queue</th><th>schedule</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/**
 * What the link emulators counted over the whole run, against the model: random loss is
 * applied to every arriving packet before the queue, so its measured share is loss
 * drops over the packets that were not dropped by an outage.
 */
export function linkCountersHtml(links: { a: LinkModel; b: LinkModel }, counters: Results['links']): string {
  const rows = [links.a, links.b].flatMap((link) => {
    const measured = counters[link.name];
    if (!measured) return [`<tr><th>${esc(link.name)}</th><td colspan="7" class="none">no counters</td></tr>`];
    return (['down', 'up'] as const).map((dir) => {
      const c = measured[dir];
      const arrived = c.sentPackets + c.lossDrops + c.queueDrops;
      const cells = [
        String(c.sentPackets),
        `${formatNumber(c.sentBytes / 1e6)} MB`,
        `${arrived ? percent(c.lossDrops / arrived) : '–'} (model ${percent(expectedLossProbability(link[dir]))})`,
        String(c.queueDrops),
        String(c.outageDrops),
        measured.cpuSeconds === undefined ? '–' : `${formatNumber(measured.cpuSeconds)} s`,
      ];
      return `<tr><th>${esc(link.name)}</th><td>${dir}</td>${cells.map((text) => `<td>${esc(text)}</td>`).join('')}</tr>`;
    });
  });
  return (
    '<table class="plain"><thead><tr><th>link</th><th>direction</th><th>packets delivered</th><th>bytes delivered</th><th>loss measured (model)</th><th>queue drops</th><th>outage drops</th><th>emulator CPU</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/** Any JSON value as nested definition tables: for the scenario, environment and link measurements, whose fields grow over time. */
export function valueHtml(value: unknown): string {
  if (value === null || value === undefined) return '<span class="none">–</span>';
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return esc(value.map(String).join(', '));
    return `<ol>${value.map((v) => `<li>${valueHtml(v)}</li>`).join('')}</ol>`;
  }
  if (typeof value === 'object') {
    const rows = Object.entries(value).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${valueHtml(v)}</td></tr>`);
    return `<table class="kv">${rows.join('')}</table>`;
  }
  return esc(String(value));
}

export function filesHtml(files: string[]): string {
  if (!files.length) return '<p class="absent">No CSV or log files next to this results.json.</p>';
  return `<ul class="files">${files.map((f) => `<li><a href="${esc(encodeURI(f))}">${esc(f)}</a></li>`).join('')}</ul>`;
}
