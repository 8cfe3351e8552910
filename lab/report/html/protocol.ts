// How the run was made, for a reader deciding whether to trust its figures: how many
// repetitions and why it stopped, the rotated order, the headline metrics that stayed
// imprecise, where the wall time went, and every block with its emulators' health
// (lateness p50/p99/max per link, real-time priority), its quiet waits and its flags.
import { LATENESS_P99_LIMIT_US, type DirectionHealth } from '../../run/health.ts';
import type { BlockRecord, Results } from '../results.ts';
import { esc } from './escape.ts';
import { formatNumber } from './format.ts';

const seconds = (ms: number) => `${formatNumber(ms / 1000)} s`;

export function repetitionsHtml(run: Results['run']): string {
  const policy = run.repeatPolicy.kind === 'fixed' ? `repeat: ${run.repeatPolicy.repetitions}` : `repeat: auto, precision ±${formatNumber(run.repeatPolicy.precision * 100)} %, budget ${seconds(run.repeatPolicy.budgetMs)}`;
  const order = run.order.map((systems, i) => `<li>repetition ${i + 1}: ${esc(systems.join(', '))}</li>`).join('');
  const { wallMs, inWorkloadsMs, setupMs, quietWaitMs, teardownMs } = run.timing;
  return (
    `<p>${run.repeat} repetition(s) (${esc(policy)}${run.repeatPolicy.kind === 'auto' ? `: ${esc(run.stopReason)}` : ''}). ` +
    `Each block (one system, one repetition) ran in namespaces built for it alone, its system order rotated per repetition:</p><ol class="order">${order}</ol>` +
    `<p>Wall time ${seconds(wallMs)}: ${formatNumber((100 * inWorkloadsMs) / wallMs)} % inside workloads; set-up ${seconds(setupMs)}, waits for quiet links ${seconds(quietWaitMs)}, teardown ${seconds(teardownMs)}.</p>`
  );
}

export function impreciseHtml(run: Results['run']): string {
  const target = `±${formatNumber(run.precision * 100)} %`;
  if (run.imprecise.length === 0) return `<p>Every headline metric's 95 % interval is within ${target} of its median.</p>`;
  const rows = run.imprecise.map((m) => `<tr><td>${esc(m.system)}</td><td>${esc(`${m.workload}.${m.metric}`)}</td><td>±${formatNumber(m.relativeHalfWidth * 100)} %</td><td>${m.n} from ${m.reps}</td></tr>`);
  return (
    `<p class="absent">These headline metrics stayed imprecise: their 95 % interval is wider than ${target} of the median. Read them as rough.</p>` +
    `<table class="plain imprecise"><thead><tr><th>system</th><th>metric</th><th>interval half-width</th><th>samples from repetitions</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

/** The worse direction of a link (by lateness p99), as "p50 / p99 / max us". */
function latenessCell(link: { up: DirectionHealth; down: DirectionHealth } | undefined): string {
  if (!link) return '–';
  const worse = link.up.latenessP99Us >= link.down.latenessP99Us ? link.up : link.down;
  return `${worse.latenessP50Us} / ${worse.latenessP99Us} / ${worse.latenessMaxUs}`;
}

function blockRow(block: BlockRecord, links: string[]): string {
  const health = block.health;
  const quiet = block.workloads.filter((w) => !w.quiet).length;
  const maxWait = Math.max(0, ...block.workloads.map((w) => w.quietWaitMs));
  const cells = [
    block.phase === 'warmup' ? `warm-up ${block.repetition}` : String(block.repetition),
    String(block.position + 1),
    block.system,
    `${block.attempt}${block.kept ? '' : ' (not kept)'}`,
    ...links.map((name) => (health ? latenessCell(health.links[name]) : 'netem: –')),
    health ? String(health.rtPriority || 'none') : '–',
    `${quiet ? `${quiet} not quiet, ` : ''}longest ${formatNumber(maxWait)} ms`,
    block.blackhole ? String(block.blackhole.events) : '–',
    seconds(block.durationMs),
    block.flags.join('; ') || '–',
  ];
  const cls = block.flags.length ? 'flagged' : !block.kept && block.phase === 'measure' ? 'dropped' : '';
  return `<tr class="${cls}">${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
}

export function blocksHtml(blocks: readonly BlockRecord[]): string {
  if (blocks.length === 0) return '<p class="absent">No block records in this run.</p>';
  const links = [...new Set(blocks.flatMap((b) => Object.keys(b.links)))].sort();
  const head = ['repetition', 'place', 'system', 'attempt', ...links.map((l) => `link ${l} lateness p50 / p99 / max (us)`), 'real-time priority', 'quiet waits', 'MPTCP blackholes', 'time', 'flags'];
  return (
    `<div class="scroll"><table class="plain blocks"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${blocks.map((b) => blockRow(b, links)).join('')}</tbody></table></div>` +
    `<p class="note">Lateness: how long after its due time a packet left the link emulator (the worse direction of each link). A block above ${LATENESS_P99_LIMIT_US} us at p99 is run again once; one that stays above is flagged.</p>`
  );
}
