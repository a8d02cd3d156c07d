import type { Alert } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import type { AlertingConfig } from '../../core/config/schema.js';
import { hasCode } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import { alertIdOf, candidateOf, dedupKeyOf, transportSet, windowStartOf, type AlertCandidate, type AlertMatch } from './dedup.js';
import type { Incidents } from './incidents.js';
import { CREATED_TRIGGER, type Outbox } from './outbox.js';
import { riskScore } from './severity.js';
import { suppresses, type Suppressions } from './suppressions.js';

/** What became of one candidate. */
export type RaiseOutcome = 'created' | 'repeated' | 'replayed';

/** The result of {@link AlertManager.raise}. */
export interface RaiseResult {
  readonly outcome: RaiseOutcome;
  readonly alert: Stored<Alert>;
}

/** What {@link AlertManager.handle} did with a batch of matches. */
export interface HandleResult {
  readonly created: number;
  readonly repeated: number;
  /** Matches already counted on their alert (a batch evaluated again after a crash). */
  readonly replayed: number;
  readonly suppressed: number;
  /** The alerts written, in match order (one per match not suppressed). */
  readonly alerts: readonly Stored<Alert>[];
  /** The alerts this call created (a subset of `alerts`). */
  readonly newAlerts: readonly Stored<Alert>[];
}

/** Options of {@link AlertManager.raise}. */
export interface RaiseOptions {
  /** Use this id instead of the one derived from the dedup key and window (availability alerts). */
  readonly id?: string;
}

/**
 * Turns rule matches into alerts.
 *
 * - Dedup: the key is the rule key plus the grouping fields; the alert id derives from the key
 *   and the fixed window the match falls in (by its event time), so a repeat within the window
 *   and a re-evaluated batch land on the same record. A repeat raises `count`, moves `lastSeen`,
 *   appends its event ids (the most recent `maxEventIds` are kept) and adds its events'
 *   transports to `transports` (distinct, sorted), so the alert tells whether any of its
 *   evidence came over a forgeable transport.
 * - A match whose event ids are all on the alert already is a replay: it is not counted again,
 *   and only the side effects a crash may have cut short (incident, trigger) are completed.
 *   Past the event-id cap a replay cannot be told from a repeat, so the count is at-least-once.
 * - Creation conflicts (two writers) resolve by re-reading; updates use the record's revision
 *   and are retried on conflict.
 * - `informational` alerts are stored and counted but open no incident and trigger nothing.
 */
export class AlertManager {
  constructor(
    private readonly deps: {
      readonly store: CaseStore;
      readonly clock: Clock;
      readonly config: Readonly<AlertingConfig>;
      readonly suppressions: Suppressions;
      readonly incidents: Incidents;
      readonly outbox: Outbox;
    },
  ) {}

  /** Raises (or counts) an alert for every match not covered by a suppression in force. */
  async handle(matches: readonly AlertMatch[]): Promise<HandleResult> {
    if (matches.length === 0) return { created: 0, repeated: 0, replayed: 0, suppressed: 0, alerts: [], newAlerts: [] };
    const now = this.deps.clock.now();
    const inForce = await this.deps.suppressions.inForce();
    const hits = new Map<string, number>();
    const counts = { created: 0, repeated: 0, replayed: 0, suppressed: 0 };
    const alerts: Stored<Alert>[] = [];
    const newAlerts: Stored<Alert>[] = [];
    for (const match of matches) {
      const candidate = candidateOf(match, now);
      const suppression = inForce.find((s) => suppresses(s, candidate));
      if (suppression) {
        hits.set(suppression.id, (hits.get(suppression.id) ?? 0) + 1);
        counts.suppressed += 1;
        continue;
      }
      const result = await this.raise(candidate);
      counts[result.outcome] += 1;
      alerts.push(result.alert);
      if (result.outcome === 'created') newAlerts.push(result.alert);
    }
    for (const [id, count] of hits) {
      await this.deps.suppressions.count(id, count).catch((error: unknown) => {
        // Deleted meanwhile: the matches stay suppressed, there is just nothing left to count on.
        if (!hasCode(error, 'WATCHPOST_ERR_STORE_NOT_FOUND')) throw error;
      });
    }
    return { ...counts, alerts, newAlerts };
  }

  /** Creates the candidate's alert or counts the repeat on it; then groups and triggers a new one. */
  async raise(candidate: AlertCandidate, options: RaiseOptions = {}): Promise<RaiseResult> {
    const { store, config } = this.deps;
    const dedupKey = dedupKeyOf(candidate.ruleKey, candidate.group);
    const id = options.id ?? alertIdOf(dedupKey, windowStartOf(candidate.atMs, config.dedupWindowMs));
    let existing = await store.alerts.get(id);
    if (!existing) {
      try {
        const created = await store.alerts.create(await this.newAlert(id, dedupKey, candidate));
        return { outcome: 'created', alert: await this.complete(created) };
      } catch (error) {
        if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
        existing = await store.alerts.get(id);
        if (!existing) throw error;
      }
    }
    if (isReplay(existing, candidate)) return { outcome: 'replayed', alert: await this.complete(existing) };
    // A repeat also completes what a crash may have cut short after the alert was created.
    return { outcome: 'repeated', alert: await this.complete(await this.repeat(id, candidate)) };
  }

  private async newAlert(id: string, dedupKey: string, candidate: AlertCandidate): Promise<Alert> {
    const nowIso = new Date(this.deps.clock.now()).toISOString();
    const atIso = new Date(candidate.atMs).toISOString();
    const others = await this.recentAlertsOnEntities(candidate, dedupKey);
    const informational = candidate.severity === 'informational';
    return {
      id,
      dedupKey,
      ruleId: candidate.ruleKey,
      ruleTitle: candidate.ruleTitle,
      ...(candidate.ruleAuthor !== undefined ? { ruleAuthor: candidate.ruleAuthor } : {}),
      severity: candidate.severity,
      riskScore: riskScore(candidate.severity, others, this.deps.config.repeatOffender),
      status: 'new',
      count: 1,
      firstSeen: atIso,
      lastSeen: atIso,
      entities: candidate.entities,
      eventIds: candidate.eventIds.slice(-this.deps.config.maxEventIds),
      ...(candidate.transports !== undefined && candidate.transports.length > 0 ? { transports: transportSet(candidate.transports) } : {}),
      explanation: candidate.explanation,
      tags: candidate.tags,
      ...(informational ? {} : { pendingTriggers: [CREATED_TRIGGER] }),
      createdAt: nowIso,
      updatedAt: nowIso,
    };
  }

  /**
   * Other alerts (another dedup key) on any of the candidate's incident entities whose lastSeen
   * falls within the repeat-offender window before the candidate: the repeat-offender evidence.
   */
  private async recentAlertsOnEntities(candidate: AlertCandidate, dedupKey: string): Promise<number> {
    const { windowMs, bumpPerAlert, maxBump } = this.deps.config.repeatOffender;
    if (windowMs === 0 || bumpPerAlert === 0 || maxBump === 0) return 0;
    const entityMatches: FilterNode[] = this.deps.config.incidents.groupBy
      .filter((field) => candidate.entities[field] !== undefined)
      .map((field) => ({ op: 'eq', field: `entities.${field}`, value: candidate.entities[field] as string, caseSensitive: true }));
    if (entityMatches.length === 0) return 0;
    const page = await this.deps.store.alerts.list({
      filter: {
        op: 'and',
        children: [
          { op: 'or', children: entityMatches },
          { op: 'range', field: 'lastSeen', gte: new Date(candidate.atMs - windowMs).toISOString() },
          { op: 'not', child: { op: 'eq', field: 'dedupKey', value: dedupKey, caseSensitive: true } },
        ],
      },
      limit: 0,
    });
    return page.total;
  }

  /** Counts a repeat on the alert (optimistic concurrency, retried). */
  private repeat(id: string, candidate: AlertCandidate): Promise<Stored<Alert>> {
    const nowIso = new Date(this.deps.clock.now()).toISOString();
    const max = this.deps.config.maxEventIds;
    return modify(this.deps.store.alerts, id, (alert) => {
      const known = new Set(alert.eventIds);
      const eventIds = [...alert.eventIds, ...candidate.eventIds.filter((eventId) => !known.has(eventId))].slice(-max);
      const lastSeen = Math.max(Date.parse(alert.lastSeen), candidate.atMs);
      const transports = transportSet(alert.transports, candidate.transports);
      return { ...alert, count: alert.count + 1, lastSeen: new Date(lastSeen).toISOString(), eventIds, ...(transports.length > 0 ? { transports } : {}), updatedAt: nowIso };
    });
  }

  /**
   * The side effects of a new alert, each idempotent: group it into an incident (unless it is
   * informational or already in one) while its trigger is pending, then queue the trigger.
   */
  private async complete(alert: Stored<Alert>): Promise<Stored<Alert>> {
    if (alert.severity === 'informational' || !(alert.pendingTriggers ?? []).includes(CREATED_TRIGGER)) return alert;
    let current = alert;
    if (current.incidentId === undefined) current = (await this.deps.incidents.groupAlert(current)).alert;
    return this.deps.outbox.dispatchAlert(current);
  }
}

/** True when every event of the candidate is on the alert already: the same match seen again. */
function isReplay(alert: Alert, candidate: AlertCandidate): boolean {
  if (candidate.eventIds.length === 0) return false;
  const known = new Set(alert.eventIds);
  return candidate.eventIds.every((eventId) => known.has(eventId));
}
