import type { Alert } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import type { AlertingConfig } from '../../core/config/schema.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import { deterministicId } from '../../core/ids.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { MAX_LIST_LIMIT } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import type { AlertManager } from './alerts.js';
import { dedupKeyOf, type AlertCandidate } from './dedup.js';

/** The rule key of availability alerts. */
export const SOURCE_SILENT_RULE = 'watchpost-source-silent';

/** The configuration slice. */
export type AvailabilityConfig = Readonly<AlertingConfig['availability']>;

/** Inter-arrival gaps kept per source for the learned limit. */
const GAP_SAMPLES = 64;

/** Sources tracked at most; beyond it new datasets are not learned (a flood of bogus datasets must not grow the heap). */
const MAX_SOURCES = 5_000;

/** One watched source: an `event.dataset` or a `watchpost.input.id`. */
interface Watched {
  /** The field the source was seen under (a configured id not yet seen: `watchpost.input.id`). */
  field: 'event.dataset' | 'watchpost.input.id';
  readonly value: string;
  /** Fixed limit from the config, else learned. */
  readonly fixedMs?: number;
  lastSeenMs: number;
  /** Whether an event was ever seen (a configured source is watched from process start). */
  seen: boolean;
  arrivals: number;
  readonly gaps: number[];
}

/** What a check did. */
export interface AvailabilityCheck {
  readonly raised: readonly string[];
  readonly cleared: readonly string[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Log-source availability: the monitoring Zabbix or Nagios would do for log sources.
 *
 * - Watched: every `config.sources` id, matched against both `watchpost.input.id` and
 *   `event.dataset`, from process start with its fixed `maxSilenceMs`; and, when
 *   `learn` is on, every `event.dataset` seen, once it has `minSamples` arrivals, with a limit of
 *   `learnFactor` × its median inter-arrival gap (at least `minSilenceMs`).
 * - Arrivals are counted per batch by this process's clock, fed by {@link observe} from the ingest
 *   pipeline. State is in memory: after a restart, learned sources start learning again, and
 *   configured ones count their silence from the start.
 * - {@link check} raises an alert (rule `watchpost-source-silent`, severity medium) for a source
 *   silent past its limit, one per silence (its id derives from the source and the last arrival,
 *   so checking again or from a second process finds the same alert); and clears (closes, with
 *   `clearedAt`) open availability alerts whose source has sent again.
 */
export class SourceSilenceMonitor {
  /** Configured sources by id. */
  private readonly configured = new Map<string, Watched>();
  /** Learned sources by dataset. */
  private readonly learned = new Map<string, Watched>();

  constructor(
    private readonly deps: { readonly store: CaseStore; readonly clock: Clock; readonly config: AvailabilityConfig; readonly alerts: AlertManager },
  ) {
    const now = deps.clock.now();
    for (const source of deps.config.sources) {
      this.configured.set(source.id, { field: 'watchpost.input.id', value: source.id, fixedMs: source.maxSilenceMs, lastSeenMs: now, seen: false, arrivals: 0, gaps: [] });
    }
  }

  /** Records the arrival of a batch of events (the ingest pipeline's hook). Synchronous and cheap. */
  observe(events: readonly EcsEvent[]): void {
    if (!this.deps.config.enabled || events.length === 0) return;
    const now = this.deps.clock.now();
    const arrived = new Map<Watched, Watched['field']>();
    for (const event of events) {
      const dataset = event.event?.dataset;
      const input = event.watchpost?.input?.id;
      if (input) {
        const watched = this.configured.get(input);
        if (watched) arrived.set(watched, 'watchpost.input.id');
      }
      if (dataset) {
        const watched = this.configured.get(dataset) ?? this.learn(dataset, now);
        if (watched && !arrived.has(watched)) arrived.set(watched, 'event.dataset');
      }
    }
    for (const [watched, field] of arrived) {
      if (!watched.seen) watched.field = field;
      if (watched.seen && now > watched.lastSeenMs) {
        watched.gaps.push(now - watched.lastSeenMs);
        if (watched.gaps.length > GAP_SAMPLES) watched.gaps.shift();
      }
      watched.seen = true;
      watched.arrivals += 1;
      watched.lastSeenMs = now;
    }
  }

  private learn(dataset: string, now: number): Watched | undefined {
    const known = this.learned.get(dataset);
    if (known || !this.deps.config.learn || this.learned.size >= MAX_SOURCES) return known;
    const watched: Watched = { field: 'event.dataset', value: dataset, lastSeenMs: now, seen: false, arrivals: 0, gaps: [] };
    this.learned.set(dataset, watched);
    return watched;
  }

  /** The silence limit of a source, or undefined while a learned source has too few arrivals. */
  limitOf(watched: Pick<Watched, 'fixedMs' | 'arrivals' | 'gaps'>): number | undefined {
    if (watched.fixedMs !== undefined) return watched.fixedMs;
    const { minSamples, learnFactor, minSilenceMs } = this.deps.config;
    if (watched.arrivals < minSamples || watched.gaps.length === 0) return undefined;
    return Math.max(minSilenceMs, learnFactor * median(watched.gaps));
  }

  /** Raises alerts for silent sources and clears those of sources that came back. */
  async check(): Promise<AvailabilityCheck> {
    if (!this.deps.config.enabled) return { raised: [], cleared: [] };
    const now = this.deps.clock.now();
    const cleared = await this.clearReturned();
    const raised: string[] = [];
    for (const watched of [...this.configured.values(), ...this.learned.values()]) {
      const limit = this.limitOf(watched);
      if (limit === undefined || now - watched.lastSeenMs <= limit) continue;
      const id = this.alertId(watched);
      // One alert per silence: checking again while the source is still silent changes nothing.
      if (await this.deps.store.alerts.get(id)) continue;
      const result = await this.deps.alerts.raise(this.candidate(watched, now, limit), { id });
      if (result.outcome === 'created') raised.push(`${watched.field}=${watched.value}`);
    }
    return { raised, cleared };
  }

  /** The alert id of one silence: the source and the time of its last arrival. */
  private alertId(watched: Watched): string {
    return deterministicId('alert', SOURCE_SILENT_RULE, watched.field, watched.value, watched.lastSeenMs);
  }

  private candidate(watched: Watched, now: number, limitMs: number): AlertCandidate {
    const group = { [watched.field]: watched.value };
    const lastSeen = new Date(watched.lastSeenMs).toISOString();
    return {
      ruleKey: SOURCE_SILENT_RULE,
      ruleAliases: [],
      ruleTitle: `Log source silent: ${watched.value}`,
      ruleAuthor: 'Watchpost',
      severity: 'medium',
      tags: ['watchpost.availability'],
      group,
      entities: group,
      eventIds: [],
      atMs: now,
      explanation: {
        selections: [],
        matches: [{ field: watched.field, value: watched.value }],
        correlation: {
          type: 'silence',
          lastSeen: watched.seen ? lastSeen : null,
          silentForMs: now - watched.lastSeenMs,
          limitMs,
          limit: watched.fixedMs !== undefined ? 'configured' : 'learned',
        },
      },
    };
  }

  /** Closes open availability alerts whose source sent after the alert was raised. */
  private async clearReturned(): Promise<string[]> {
    const { store, clock } = this.deps;
    const open = await store.alerts.list({
      filter: {
        op: 'and',
        children: [
          { op: 'eq', field: 'ruleId', value: SOURCE_SILENT_RULE, caseSensitive: true },
          { op: 'not', child: { op: 'eq', field: 'status', value: 'closed', caseSensitive: true } },
        ],
      },
      limit: MAX_LIST_LIMIT,
    });
    const cleared: string[] = [];
    for (const alert of open.items) {
      const [field, value] = Object.entries(alert.entities)[0] ?? [];
      const watched = value === undefined ? undefined : (this.configured.get(value) ?? (field === 'event.dataset' ? this.learned.get(value) : undefined));
      if (!watched?.seen || watched.lastSeenMs <= Date.parse(alert.firstSeen)) continue;
      const nowIso = new Date(clock.now()).toISOString();
      const clearedAt = new Date(watched.lastSeenMs).toISOString();
      await modify(store.alerts, alert.id, (current: Stored<Alert>) => (current.status === 'closed' ? current : { ...current, status: 'closed' as const, clearedAt, updatedAt: nowIso }));
      cleared.push(`${field}=${value}`);
    }
    return cleared;
  }
}

/** The dedup key availability alerts carry (for filters and the console). */
export function silenceDedupKey(field: string, value: string): string {
  return dedupKeyOf(SOURCE_SILENT_RULE, { [field]: value });
}
