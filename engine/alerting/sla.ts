import type { Incident } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { MAX_LIST_LIMIT } from '../../core/stores/case-store.js';
import { slaOf, type SlaConfig } from '../../core/cases/sla.js';
import { OPEN_STATUSES } from './incident-rules.js';
import { SYSTEM_ACTOR, systemEntryId, timelineEntry } from './timeline.js';

export { responseFigures, slaOf, type IncidentSla, type ResponseFigures, type ResponseReport, type SlaClock, type SlaConfig, type SlaState } from '../../core/cases/sla.js';

const CLOCK_NAMES = { acknowledge: 'Time to acknowledge', resolve: 'Time to resolve' } as const;

function minutes(ms: number): string {
  return ms >= 3_600_000 ? `${Math.round(ms / 360_000) / 10} h` : `${Math.round(ms / 60_000)} min`;
}

/** How many entry ids a monitor remembers having written before it forgets them all (they are idempotent anyway). */
const MAX_REMEMBERED = 100_000;

/**
 * The periodic SLA check: for every open incident, a `sla` timeline entry when a clock reaches
 * its warning and again when it breaches, each written once (ids from incident, clock and state;
 * the log's append is idempotent, and this process remembers what it wrote to skip the write).
 */
export class SlaMonitor {
  private readonly written = new Set<string>();

  constructor(
    private readonly store: CaseStore,
    private readonly clock: Clock,
    private readonly config: SlaConfig,
  ) {}

  /** Checks every open incident once; returns how many entries it wrote. */
  async check(): Promise<number> {
    const nowMs = this.clock.now();
    const filter: FilterNode = { op: 'or', children: OPEN_STATUSES.map((status) => ({ op: 'eq', field: 'status', value: status, caseSensitive: true })) };
    let cursor: string | undefined;
    let wrote = 0;
    do {
      const page = await this.store.incidents.list({ filter, limit: MAX_LIST_LIMIT, ...(cursor ? { cursor } : {}) });
      for (const incident of page.items) wrote += await this.checkOne(incident, nowMs);
      cursor = page.nextCursor;
    } while (cursor);
    return wrote;
  }

  private async checkOne(incident: Stored<Incident>, nowMs: number): Promise<number> {
    const sla = slaOf(incident, this.config, nowMs);
    let wrote = 0;
    for (const name of ['acknowledge', 'resolve'] as const) {
      const clock = sla[name];
      if (clock.state !== 'warning' && clock.state !== 'breached') continue;
      const id = systemEntryId(incident.id, 'sla', name, clock.state);
      if (this.written.has(id)) continue;
      const body =
        clock.state === 'warning'
          ? `${CLOCK_NAMES[name]}: ${Math.round(this.config.warnFraction * 100)} % of ${minutes(clock.targetMs)} elapsed (due ${clock.dueAt})`
          : `${CLOCK_NAMES[name]} breached: ${minutes(clock.targetMs)} passed at ${clock.dueAt}`;
      await this.store.timeline.append(
        timelineEntry({ id, incidentId: incident.id, actor: SYSTEM_ACTOR, kind: 'sla', body, data: { clock: name, state: clock.state, dueAt: clock.dueAt, severity: incident.severity } }, nowMs),
      );
      if (this.written.size >= MAX_REMEMBERED) this.written.clear();
      this.written.add(id);
      wrote += 1;
    }
    return wrote;
  }
}
