// What the orchestrator asks a client probe to do, and what the probe answers. One plan
// per line on the probe's stdin; for each, the probe prints a `started` line and then a
// `result` (or `error`) line on stdout. It prints `ready` once it takes plans.
import type { EchoRecord } from './echo.ts';
import type { FetchRecord, FlowReport, Target, TransferRecord } from './flows.ts';
import type { LookupParams, LookupRecord } from './lookup.ts';
import type { PageLoadRecord, PageSpec } from './page.ts';

/** The interactive flow of a plan: one frame every intervalMs, answers awaited timeoutMs at most. */
export interface EchoParams {
  intervalMs: number;
  bytes: number;
  timeoutMs: number;
}

/** Fresh connections of a plan: one request of responseBytes each, within timeoutMs. */
export interface FetchParams {
  responseBytes: number;
  timeoutMs: number;
}

export type ClientPlan =
  | {
      mode: 'connect';
      target: Target;
      count: number;
      fetch: FetchParams;
      /** Stops early after this many failures in a row: a broken system must not eat the run's time budget. */
      giveUpAfter: number;
    }
  | { mode: 'bulk'; target: Target; direction: 'down' | 'up'; flows: number; durationMs: number; binMs: number }
  /** `count` transfers of `bytes` one after another, each on a fresh connection. */
  | { mode: 'transfer'; target: Target; direction: 'down' | 'up'; bytes: number; count: number; timeoutMs: number }
  | {
      mode: 'hol';
      target: Target;
      /** Interactive flow alone first (idle RTT), then bulk downloads start. */
      idleMs: number;
      /** Echoes and new connections start during this long after the load started; the load lasts until they are all answered or timed out. */
      loadedMs: number;
      bulkFlows: number;
      echo: EchoParams;
      newConnectionIntervalMs: number;
      fetch: FetchParams;
      binMs: number;
    }
  | {
      mode: 'pageload';
      target: Target;
      page: PageSpec;
      /** Page loads one after another, first with nothing else running, then the same number while bulk downloads run. */
      pages: number;
      bulkFlows: number;
      /** Time the bulk downloads run before the first loaded page starts (their queues fill). */
      settleMs: number;
      timeoutMs: number;
      binMs: number;
    }
  | {
      mode: 'failover';
      target: Target;
      /** The window: one download for all of it; echoes and new connections while they can finish inside it. */
      windowMs: number;
      binMs: number;
      echo: EchoParams;
      connectIntervalMs: number;
      fetch: FetchParams;
      /** Name lookups through the window, while they can finish inside it. */
      lookup: LookupParams;
    };

export interface ProbeCpu {
  cpuSeconds: number;
  wallSeconds: number;
}

export type ClientResult =
  | { mode: 'connect'; refMs: number; fetches: FetchRecord[]; cpu: ProbeCpu }
  | { mode: 'bulk'; refMs: number; untilMs: number; flows: FlowReport[]; cpu: ProbeCpu }
  | { mode: 'transfer'; refMs: number; transfers: TransferRecord[]; cpu: ProbeCpu }
  | {
      mode: 'hol';
      refMs: number;
      loadStartMs: number;
      /** The load ran until here: after the last echo and new connection were answered or timed out. */
      loadEndMs: number;
      echoes: EchoRecord[];
      echoError: string | null;
      fetches: FetchRecord[];
      flows: FlowReport[];
      cpu: ProbeCpu;
    }
  | { mode: 'pageload'; refMs: number; loadStartMs: number; idle: PageLoadRecord[]; loaded: PageLoadRecord[]; flows: FlowReport[]; cpu: ProbeCpu }
  | { mode: 'failover'; refMs: number; untilMs: number; flow: FlowReport; echoes: EchoRecord[]; echoError: string | null; fetches: FetchRecord[]; lookups: LookupRecord[]; cpu: ProbeCpu };

export type ClientLine =
  | { event: 'ready' }
  | { event: 'started'; refMs: number }
  | { event: 'result'; result: ClientResult }
  | { event: 'error'; message: string };
