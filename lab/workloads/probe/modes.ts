// What the client probe does for each kind of plan. Every mode measures on the shared
// clock from the reference time `start()` gives (and announces), and ends its flows
// with a reset when its window is over.
import { monotonicMs, sleepUntil } from './clock.ts';
import { echoSchedule } from './echo.ts';
import { download, downloadOnce, fetchOnce, startDownload, upload, uploadOnce, type FetchRecord, type TransferRecord } from './flows.ts';
import { lookupsEvery } from './lookup.ts';
import { loadPage, type PageLoadRecord } from './page.ts';
import type { ClientPlan, ClientResult, ProbeCpu } from './plan.ts';

/** Pattern streams: each connection of a plan has its own, so a relay that swaps two is caught. */
const BULK_STREAM = 1;
const FETCH_STREAM = 100;
const PAGE_STREAM = 1000;
const PAGE_STREAM_STEP = 100;
const TRANSFER_STREAM = 10_000;

type Plan<M extends ClientPlan['mode']> = Extract<ClientPlan, { mode: M }>;
type Result<M extends ClientPlan['mode']> = Extract<ClientResult, { mode: M }>;

/** Fresh connections at refMs + k*intervalMs for every k whose start satisfies `more`, not waiting for each other. */
async function fetchesEvery(plan: { target: Plan<'hol'>['target']; fetch: Plan<'hol'>['fetch'] }, firstMs: number, intervalMs: number, more: (atMs: number) => boolean): Promise<FetchRecord[]> {
  const fetches: Promise<FetchRecord>[] = [];
  for (let atMs = firstMs; more(atMs); atMs += intervalMs) {
    await sleepUntil(atMs);
    fetches.push(fetchOnce(plan.target, FETCH_STREAM + fetches.length, plan.fetch.responseBytes, plan.fetch.timeoutMs));
  }
  return Promise.all(fetches);
}

async function connect(plan: Plan<'connect'>, refMs: number, cpu: () => ProbeCpu): Promise<Result<'connect'>> {
  const fetches: FetchRecord[] = [];
  // One at a time: each connection is a fresh handshake through the system.
  for (let i = 0, failedInARow = 0; i < plan.count && failedInARow < plan.giveUpAfter; i++) {
    const fetch = await fetchOnce(plan.target, i, plan.fetch.responseBytes, plan.fetch.timeoutMs);
    fetches.push(fetch);
    failedInARow = fetch.error === null ? 0 : failedInARow + 1;
  }
  return { mode: 'connect', refMs, fetches, cpu: cpu() };
}

async function bulk(plan: Plan<'bulk'>, refMs: number, cpu: () => ProbeCpu): Promise<Result<'bulk'>> {
  const untilMs = refMs + plan.durationMs;
  const transfer = plan.direction === 'down' ? download : upload;
  const flows = await Promise.all(Array.from({ length: plan.flows }, (_, i) => transfer(plan.target, BULK_STREAM + i, refMs, untilMs, plan.binMs)));
  return { mode: 'bulk', refMs, untilMs, flows, cpu: cpu() };
}

async function transfer(plan: Plan<'transfer'>, refMs: number, cpu: () => ProbeCpu): Promise<Result<'transfer'>> {
  const once = plan.direction === 'down' ? downloadOnce : uploadOnce;
  const transfers: TransferRecord[] = [];
  // One at a time: each is a file fetched or sent alone, on its own fresh connection.
  for (let i = 0; i < plan.count; i++) transfers.push(await once(plan.target, TRANSFER_STREAM + i, plan.bytes, plan.timeoutMs));
  return { mode: 'transfer', refMs, transfers, cpu: cpu() };
}

async function hol(plan: Plan<'hol'>, refMs: number, cpu: () => ProbeCpu): Promise<Result<'hol'>> {
  const loadStartMs = refMs + plan.idleMs;
  const sendUntilMs = loadStartMs + plan.loadedMs;
  const echo = echoSchedule(plan.target, 0, { startMs: refMs, untilMs: sendUntilMs, intervalMs: plan.echo.intervalMs, sizeBytes: plan.echo.bytes, timeoutMs: plan.echo.timeoutMs });
  await sleepUntil(loadStartMs);
  const bulk = Array.from({ length: plan.bulkFlows }, (_, i) => startDownload(plan.target, BULK_STREAM + i, refMs, plan.binMs));
  const fetches = fetchesEvery(plan, loadStartMs + plan.newConnectionIntervalMs, plan.newConnectionIntervalMs, (atMs) => atMs < sendUntilMs);
  // The load lasts until the last echo and connection are answered or timed out: stopping
  // it earlier would let the last of them cross an idle path and look better than they are.
  const [echoed, fetched] = await Promise.all([echo, fetches]);
  const loadEndMs = monotonicMs();
  const flows = await Promise.all(bulk.map((d) => d.stop()));
  return { mode: 'hol', refMs, loadStartMs, loadEndMs, echoes: echoed.echoes, echoError: echoed.error, fetches: fetched, flows, cpu: cpu() };
}

async function pageload(plan: Plan<'pageload'>, refMs: number, cpu: () => ProbeCpu): Promise<Result<'pageload'>> {
  let page = 0;
  const loadPages = async () => {
    const records: PageLoadRecord[] = [];
    for (let i = 0; i < plan.pages; i++) records.push(await loadPage(plan.target, plan.page, PAGE_STREAM + PAGE_STREAM_STEP * page++, plan.timeoutMs));
    return records;
  };
  const idle = await loadPages();
  const loadStartMs = monotonicMs();
  const bulk = Array.from({ length: plan.bulkFlows }, (_, i) => startDownload(plan.target, BULK_STREAM + i, refMs, plan.binMs));
  await sleepUntil(loadStartMs + plan.settleMs);
  const loaded = await loadPages();
  const flows = await Promise.all(bulk.map((d) => d.stop()));
  return { mode: 'pageload', refMs, loadStartMs, idle, loaded, flows, cpu: cpu() };
}

async function failover(plan: Plan<'failover'>, refMs: number, cpu: () => ProbeCpu): Promise<Result<'failover'>> {
  const untilMs = refMs + plan.windowMs;
  const flow = startDownload(plan.target, 0, refMs, plan.binMs, untilMs).done;
  // Echoes and connections start only while they can be answered or time out inside the window.
  const echo = echoSchedule(plan.target, BULK_STREAM, { startMs: refMs, untilMs: untilMs - plan.echo.timeoutMs, intervalMs: plan.echo.intervalMs, sizeBytes: plan.echo.bytes, timeoutMs: plan.echo.timeoutMs });
  const fetches = fetchesEvery(plan, refMs, plan.connectIntervalMs, (atMs) => atMs + plan.fetch.timeoutMs <= untilMs);
  const lookups = lookupsEvery(plan.lookup, refMs, (atMs) => atMs + plan.lookup.timeoutMs <= untilMs);
  const [report, echoed, fetched, looked] = await Promise.all([flow, echo, fetches, lookups]);
  return { mode: 'failover', refMs, untilMs, flow: report, echoes: echoed.echoes, echoError: echoed.error, fetches: fetched, lookups: looked, cpu: cpu() };
}

/** Runs one plan; `start` marks (and announces) the reference time, `cpu` measures from it. */
export function runPlan(plan: ClientPlan, start: () => number, cpu: () => ProbeCpu): Promise<ClientResult> {
  const refMs = start();
  switch (plan.mode) {
    case 'connect':
      return connect(plan, refMs, cpu);
    case 'bulk':
      return bulk(plan, refMs, cpu);
    case 'transfer':
      return transfer(plan, refMs, cpu);
    case 'hol':
      return hol(plan, refMs, cpu);
    case 'pageload':
      return pageload(plan, refMs, cpu);
    case 'failover':
      return failover(plan, refMs, cpu);
  }
}
