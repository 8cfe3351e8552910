// The gate's view of one run: the samples of each metric, and what the run set out to
// measure (so "not run" and "ran but has no samples" are told apart).

export interface MetricKey {
  system: string;
  workload: string;
  metric: string;
}

export interface RunSamples {
  /** How the run is named in messages (its directory or file). */
  label: string;
  /** Every metric the run has samples for. */
  metrics(): MetricKey[];
  values(key: MetricKey): readonly number[] | undefined;
  /** Whether the run's scenario included this system and workload. */
  ran(key: { system: string; workload: string }): boolean;
}
