// The evidence table of a workload: per system, what the kernel counted (nstat, summed
// over the four namespaces) and what crossed each link while that workload ran, as the
// mean per repetition. It sits next to the charts it explains: a goodput below the
// links' rate next to its retransmissions, a failover stall next to its stale subflows.
import type { Results } from '../results.ts';
import { esc } from './escape.ts';
import { formatNumber } from './format.ts';
import type { RunView } from './run-view.ts';

type Evidence = NonNullable<Results['runs'][number]['evidence']>;

interface Column {
  label: string;
  /** What exactly is counted: the counters' names. */
  title: string;
  value(evidence: Evidence): number;
}

/** A counter summed over the namespaces (each counts what it sent or received itself). */
const counter = (evidence: Evidence, test: (name: string) => boolean) =>
  Object.values(evidence.counters).reduce((sum, set) => sum + Object.entries(set).reduce((s, [name, v]) => s + (test(name) ? v : 0), 0), 0);
const named = (name: string) => (evidence: Evidence) => counter(evidence, (n) => n === name);
const linkMegabytes = (link: 'a' | 'b') => (evidence: Evidence) => (evidence.links[link].down.sentBytes + evidence.links[link].up.sentBytes) / 1e6;

const EVIDENCE_COLUMNS: Column[] = [
  { label: 'MPTCP connections', title: 'connections whose SYN-ACK carried MP_CAPABLE (MPTcpExtMPCapableSYNACKRX)', value: named('MPTcpExtMPCapableSYNACKRX') },
  { label: 'subflow joins sent', title: 'MP_JOIN SYNs sent (MPTcpExtMPJoinSynTx)', value: named('MPTcpExtMPJoinSynTx') },
  { label: 'joins accepted', title: 'MP_JOIN third ACKs received by the passive side (MPTcpExtMPJoinAckRx)', value: named('MPTcpExtMPJoinAckRx') },
  { label: 'reinjected', title: 'data reinjected on another subflow (MPTcpExtMPTCPRetrans)', value: named('MPTcpExtMPTCPRetrans') },
  { label: 'duplicate data', title: 'data received twice at the MPTCP level (MPTcpExtDuplicateData)', value: named('MPTcpExtDuplicateData') },
  { label: 'stale subflows', title: 'subflows marked stale (MPTcpExtSubflowStale)', value: named('MPTcpExtSubflowStale') },
  { label: 'fallbacks to TCP', title: 'every MPTcpExt counter with Fallback in its name', value: (e) => counter(e, (n) => n.startsWith('MPTcpExt') && n.includes('Fallback')) },
  { label: 'blackhole events', title: 'MPTCP disabled after lost MP_CAPABLE SYNs (MPTcpExtBlackhole)', value: named('MPTcpExtBlackhole') },
  { label: 'retransmitted segments', title: 'TCP segments retransmitted (TcpRetransSegs)', value: named('TcpRetransSegs') },
  { label: 'RTO timeouts', title: 'retransmission timer expiries (TcpExtTCPTimeouts)', value: named('TcpExtTCPTimeouts') },
  { label: 'link A MB', title: 'bytes the emulator delivered on link A, both directions', value: linkMegabytes('a') },
  { label: 'link B MB', title: 'bytes the emulator delivered on link B, both directions', value: linkMegabytes('b') },
];

/** The table for one workload, or '' when no run of it kept evidence. */
export function evidenceHtml(view: RunView, workload: string): string {
  const rows = view.systems.flatMap((system) => {
    const evidence = view.results.runs.filter((r) => r.system === system && r.workload === workload && r.evidence !== null).map((r) => r.evidence!);
    if (!evidence.length) return [];
    const means = EVIDENCE_COLUMNS.map((c) => evidence.reduce((sum, e) => sum + c.value(e), 0) / evidence.length);
    const shown = (m: number) => (Number.isInteger(m) ? String(m) : formatNumber(m));
    return [`<tr><th class="system">${esc(system)}</th><td>${evidence.length}</td>${means.map((m) => `<td>${esc(shown(m))}</td>`).join('')}</tr>`];
  });
  if (!rows.length) return '';
  const head = EVIDENCE_COLUMNS.map((c) => `<th title="${esc(c.title)}">${esc(c.label)}</th>`).join('');
  return (
    `<details class="evidence" data-workload="${esc(workload)}"><summary>Evidence: kernel counters in all four namespaces and bytes per link during ${esc(workload)}, mean per repetition</summary>` +
    `<div class="scroll"><table class="plain"><thead><tr><th>system</th><th>repetitions</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    '<p class="note">Every counter the kernel changed is in results.json (runs[].evidence), per namespace.</p></details>'
  );
}
