// What the orchestrator asks a client probe to do, and what the probe answers. One plan
// per line on the probe's stdin; for each, the probe prints a `started` line and then a
// `result` (or `error`) line on stdout. It prints `ready` once it takes plans.
import type { EchoSample, FetchRecord, FlowReport, Target } from './flows.ts';

export type ClientPlan =
  | {
      mode: 'connect';
      target: Target;
      count: number;
      responseBytes: number;
      timeoutMs: number;
      /** Stops early after this many failures in a row: a broken system must not eat the run's time budget. */
      giveUpAfter: number;
    }
  | { mode: 'bulk'; target: Target; direction: 'down' | 'up'; flows: number; durationMs: number; binMs: number }
  | {
      mode: 'hol';
      target: Target;
      /** Interactive flow alone first (idle RTT), then bulk downloads start. */
      idleMs: number;
      loadedMs: number;
      bulkFlows: number;
      probeIntervalMs: number;
      echoBytes: number;
      newConnectionIntervalMs: number;
      responseBytes: number;
      timeoutMs: number;
      binMs: number;
    };

export interface ProbeCpu {
  cpuSeconds: number;
  wallSeconds: number;
}

export type ClientResult =
  | { mode: 'connect'; refMs: number; fetches: FetchRecord[]; cpu: ProbeCpu }
  | { mode: 'bulk'; refMs: number; untilMs: number; flows: FlowReport[]; cpu: ProbeCpu }
  | {
      mode: 'hol';
      refMs: number;
      loadStartMs: number;
      untilMs: number;
      echoes: EchoSample[];
      echoError: string | null;
      fetches: FetchRecord[];
      flows: FlowReport[];
      cpu: ProbeCpu;
    };

export type ClientLine =
  | { event: 'ready' }
  | { event: 'started'; refMs: number }
  | { event: 'result'; result: ClientResult }
  | { event: 'error'; message: string };
