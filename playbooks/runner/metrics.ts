import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The runner's metrics; labels are bounded (action ids and outcomes, never a target). */
export interface RunnerMetrics {
  /** Steps finished, by action and outcome (succeeded, failed, skipped, refused, dry_run). */
  readonly steps: Counter<'action' | 'outcome'>;
  /** Time of one step on its drivers, execute and verify. */
  readonly stepSeconds: Histogram<'action'>;
  /**
   * From the alert's (or incident's) creation to the first driver call of its run, for runs that
   * did not wait for a person: the latency of automated response.
   */
  readonly triggerToStart: Histogram;
  /** Blocks in force (set by reconciliation). */
  readonly activeBlocks: Gauge;
}

/** Creates the metrics, registered in `registry` when there is one. */
export function createRunnerMetrics(registry?: Registry): RunnerMetrics {
  const registers = registry ? [registry] : [];
  return {
    steps: new Counter({
      name: 'watchpost_response_steps_total',
      help: 'Playbook steps finished, by action and outcome.',
      labelNames: ['action', 'outcome'] as const,
      registers,
    }),
    stepSeconds: new Histogram({
      name: 'watchpost_response_step_seconds',
      help: 'Time of one playbook step on its drivers (execute and verify).',
      labelNames: ['action'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    triggerToStart: new Histogram({
      name: 'watchpost_response_trigger_to_start_seconds',
      help: 'From alert creation to the first driver call of its playbook run (runs without approval).',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    activeBlocks: new Gauge({ name: 'watchpost_response_active_blocks', help: 'Blocks and disabled accounts in force, as last reconciled.', registers }),
  };
}
