// What the probe program (probe.ts) and its driver (probes.ts) exchange.

/** phase u32, seq u32, sentMs f64, reflectedMs f64, padding: a 60-byte IP packet. */
export const PROBE_PAYLOAD_BYTES = 32;
export const PROBE_IP_BYTES = PROBE_PAYLOAD_BYTES + 8 + 20;

export interface ProbeRunCommand {
  cmd: 'run';
  phase: number;
  count: number;
  spacingMs: number;
  /** How long to wait for echoes after the last probe. */
  drainMs: number;
}

/** [seq, sentMs] */
export type SentProbe = [number, number];
/** [seq, sentMs, reflectedMs, echoedBackMs] */
export type EchoedProbe = [number, number, number, number];
/** [phase, seq, arrivedMs] */
export type ReflectedProbe = [number, number, number];

export type ProbeReply =
  | { event: 'ready' }
  | { event: 'result'; phase: number; sent: SentProbe[]; echoes: EchoedProbe[] }
  | { event: 'arrivals'; arrivals: ReflectedProbe[] };

