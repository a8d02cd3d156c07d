import { Counter } from 'prom-client';
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import type { AlertingConfig } from '../core/config/schema.js';
import type { EcsEvent } from '../core/ecs/event.js';
import type { Logger } from '../core/log.js';
import type { Registry } from '../core/metrics.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { JobQueue } from '../core/stores/job-queue.js';
import { createAlertingService, type AlertingService } from '../engine/alerting/index.js';
import type { MatchSink } from './detection.js';

/** Alerting running in a process. */
export interface RunningAlerting {
  readonly service: AlertingService;
  /** Detection's sink: matches become alerts. */
  readonly sink: MatchSink;
  /** The ingest pipeline's hook: arrivals per source, for availability. */
  observe(events: readonly EcsEvent[]): void;
  /** Stops the periodic checks (and waits for a running one). Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startAlerting}. */
export interface AlertingOptions {
  readonly config: Readonly<AlertingConfig>;
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  readonly metrics: Registry;
  readonly logger: Logger;
  /**
   * Which periodic checks this process runs: `sla` (SLA timeline entries and the outbox sweep;
   * the worker role) and `availability` (silent sources; the ingest role, which sees the events).
   */
  readonly checks: { readonly sla: boolean; readonly availability: boolean };
  /** @defaultValue the system clock */
  readonly clock?: Clock;
}

/** A periodic task that never overlaps itself and whose failures are logged, not thrown. */
function every(intervalMs: number, task: () => Promise<void>, onError: (error: unknown) => void): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = task()
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * Builds the alerting engine over the process's case store and job queue, and starts the
 * periodic checks this process's roles run (see {@link AlertingOptions.checks}).
 */
export function startAlerting(options: AlertingOptions): RunningAlerting {
  const { config, logger, metrics } = options;
  const service = createAlertingService({ store: options.cases, queue: options.queue, clock: options.clock ?? SYSTEM_CLOCK, config });
  const matchesTotal = new Counter({
    name: 'watchpost_alerting_matches_total',
    help: 'Rule matches handled by alerting, by outcome (created, repeated, replayed, suppressed).',
    labelNames: ['outcome'],
    registers: [metrics],
  });
  const availabilityTotal = new Counter({
    name: 'watchpost_alerting_availability_alerts_total',
    help: 'Availability alerts about silent log sources, by transition (raised, cleared).',
    labelNames: ['transition'],
    registers: [metrics],
  });
  const stops: (() => Promise<void>)[] = [];
  if (options.checks.sla) {
    stops.push(
      every(
        config.sla.checkIntervalMs,
        async () => {
          const { slaEntries, swept } = await service.checkSla();
          if (slaEntries > 0 || swept > 0) logger.info({ slaEntries, swept }, 'SLA check wrote timeline entries or queued pending triggers');
        },
        (error) => logger.warn({ err: error }, 'SLA check failed; retried at the next interval'),
      ),
    );
  }
  if (options.checks.availability && config.availability.enabled) {
    stops.push(
      every(
        config.availability.checkIntervalMs,
        async () => {
          const { raised, cleared } = await service.checkAvailability();
          for (const source of raised) logger.warn({ source }, 'log source silent: availability alert raised');
          for (const source of cleared) logger.info({ source }, 'log source sends again: availability alert cleared');
          availabilityTotal.inc({ transition: 'raised' }, raised.length);
          availabilityTotal.inc({ transition: 'cleared' }, cleared.length);
        },
        (error) => logger.warn({ err: error }, 'availability check failed; retried at the next interval'),
      ),
    );
  }
  let closing: Promise<void> | undefined;
  return {
    service,
    async sink(matches) {
      const result = await service.handle(matches);
      for (const outcome of ['created', 'repeated', 'replayed', 'suppressed'] as const) {
        if (result[outcome] > 0) matchesTotal.inc({ outcome }, result[outcome]);
      }
      // One line per new alert (repeats are only counted): deduplicated, so not a line per event.
      for (const alert of result.newAlerts) {
        logger.info(
          {
            alert: alert.id,
            rule: alert.ruleId,
            title: alert.ruleTitle,
            author: alert.ruleAuthor,
            severity: alert.severity,
            kind: alert.explanation.correlation ? 'correlation' : 'detection',
            entities: alert.entities,
            incident: alert.incidentId,
          },
          'alert raised',
        );
      }
    },
    observe: (events) => service.observe(events),
    close: () => (closing ??= Promise.all(stops.map((stop) => stop())).then(() => undefined)),
  };
}
