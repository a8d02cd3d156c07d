import type { Clock } from '../../core/clock.js';
import type { AlertingConfig } from '../../core/config/schema.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { JobQueue } from '../../core/stores/job-queue.js';
import { AlertManager, type HandleResult } from './alerts.js';
import { SourceSilenceMonitor, type AvailabilityCheck } from './availability.js';
import type { AlertMatch } from './dedup.js';
import { Incidents } from './incidents.js';
import { Outbox } from './outbox.js';
import { responseFigures, SlaMonitor, slaOf, type IncidentSla, type ResponseReport } from './sla.js';
import { Suppressions } from './suppressions.js';
import type { Alert, Incident } from '../../core/cases/types.js';
import type { Stored } from '../../core/stores/case-store.js';

/** What the alerting engine is built from: the process's stores and clock, and its config slice. */
export interface AlertingDeps {
  readonly store: CaseStore;
  readonly queue: JobQueue;
  readonly clock: Clock;
  readonly config: Readonly<AlertingConfig>;
}

/** What one handled batch wrote: the alerts it created, and those it counted a repeat on. */
export interface AlertsWritten {
  readonly created: readonly Stored<Alert>[];
  readonly updated: readonly Stored<Alert>[];
}

/** The alerting engine: every part shares the same store, queue, clock and config. */
export interface AlertingService {
  readonly alerts: AlertManager;
  readonly incidents: Incidents;
  readonly suppressions: Suppressions;
  readonly outbox: Outbox;
  readonly sla: SlaMonitor;
  readonly availability: SourceSilenceMonitor;
  /** Detection's sink: raises, counts or suppresses an alert per match. */
  handle(matches: readonly AlertMatch[]): Promise<HandleResult>;
  /**
   * Calls `listener` after each batch {@link handle} wrote alerts in this process (the API's live
   * updates; other processes are seen by polling the store). Returns the unsubscribe. A listener
   * that throws is ignored: a live view must never fail detection.
   */
  onAlerts(listener: (written: AlertsWritten) => void): () => void;
  /** The ingest pipeline's hook for availability (synchronous). */
  observe(events: readonly EcsEvent[]): void;
  /** The SLA clocks of an incident now. */
  slaOf(incident: Pick<Incident, 'severity' | 'createdAt' | 'acknowledgedAt' | 'resolvedAt' | 'closedAt'>): IncidentSla;
  /** MTTA, MTTR and breach counts of the incidents created in [from, to). */
  responseFigures(range: { readonly from: Date; readonly to: Date }): Promise<ResponseReport>;
  /** One periodic round for the worker: SLA entries and the outbox sweep. */
  checkSla(): Promise<{ readonly slaEntries: number; readonly swept: number }>;
  /** One periodic round for the ingest process: silent sources. */
  checkAvailability(): Promise<AvailabilityCheck>;
}

/** Builds the alerting engine over the given dependencies. */
export function createAlertingService(deps: AlertingDeps): AlertingService {
  const { store, queue, clock, config } = deps;
  const outbox = new Outbox(store, queue, clock);
  const suppressions = new Suppressions(store, clock);
  const incidents = new Incidents(store, clock, config.incidents, outbox);
  const alerts = new AlertManager({ store, clock, config, suppressions, incidents, outbox });
  const sla = new SlaMonitor(store, clock, config.sla);
  const availability = new SourceSilenceMonitor({ store, clock, config: config.availability, alerts });
  const listeners = new Set<(written: AlertsWritten) => void>();
  return {
    alerts,
    incidents,
    suppressions,
    outbox,
    sla,
    availability,
    async handle(matches) {
      const result = await alerts.handle(matches);
      if (result.alerts.length > 0 && listeners.size > 0) {
        const created = new Set(result.newAlerts);
        const written = { created: result.newAlerts, updated: result.alerts.filter((alert) => !created.has(alert)) };
        for (const listener of listeners) {
          try {
            listener(written);
          } catch {
            // See onAlerts: ignored on purpose.
          }
        }
      }
      return result;
    },
    onAlerts(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    observe: (events) => availability.observe(events),
    slaOf: (incident) => slaOf(incident, config.sla, clock.now()),
    responseFigures: (range) => responseFigures(store, range, config.sla, clock.now()),
    async checkSla() {
      const slaEntries = await sla.check();
      const swept = await outbox.sweep();
      return { slaEntries, swept };
    },
    checkAvailability: () => availability.check(),
  };
}
