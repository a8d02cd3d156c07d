/**
 * SLA clocks and response figures (MTTA, MTTR, breaches), derived from an incident's timestamps
 * and the SLA config: pure, so the alerting engine, the API and the weekly report all compute them
 * the same way. The periodic SLA check that writes timeline entries is engine/alerting/sla.ts.
 */
import type { AlertingConfig } from '../config/schema.js';
import type { FilterNode } from '../query/filter.js';
import type { CaseStore } from '../stores/case-store.js';
import { MAX_LIST_LIMIT } from '../stores/case-store.js';
import type { Incident, Severity } from './types.js';
import { SEVERITIES } from './types.js';

/**
 * The state of one SLA clock. Running: `ok`, `warning` (past the warning fraction), `breached`
 * (past the target). Stopped (acknowledged, resolved): `met` or `missed`.
 */
export type SlaState = 'ok' | 'warning' | 'breached' | 'met' | 'missed';

/** One SLA clock of an incident. */
export interface SlaClock {
  readonly targetMs: number;
  readonly dueAt: string;
  /** From creation to the stop, or to now while running. */
  readonly elapsedMs: number;
  readonly state: SlaState;
  readonly stoppedAt?: string;
}

/** Both clocks of an incident, with the flags the console shows. */
export interface IncidentSla {
  readonly acknowledge: SlaClock;
  readonly resolve: SlaClock;
  /** Either clock breached (running) or missed (stopped late). */
  readonly breached: boolean;
  /** Either running clock past the warning fraction and not yet breached. */
  readonly warning: boolean;
}

/** The SLA slice of the config. */
export type SlaConfig = Readonly<AlertingConfig['sla']>;

function clockOf(createdMs: number, targetMs: number, stoppedAt: string | undefined, nowMs: number, warnFraction: number): SlaClock {
  const stoppedMs = stoppedAt === undefined ? undefined : Date.parse(stoppedAt);
  const endMs = stoppedMs !== undefined && Number.isFinite(stoppedMs) ? stoppedMs : nowMs;
  const elapsedMs = Math.max(0, endMs - createdMs);
  let state: SlaState;
  if (stoppedAt !== undefined) state = elapsedMs <= targetMs ? 'met' : 'missed';
  else if (elapsedMs > targetMs) state = 'breached';
  else if (elapsedMs >= targetMs * warnFraction) state = 'warning';
  else state = 'ok';
  return { targetMs, dueAt: new Date(createdMs + targetMs).toISOString(), elapsedMs, state, ...(stoppedAt !== undefined ? { stoppedAt } : {}) };
}

/**
 * The SLA clocks of an incident at `nowMs`, per its severity: time to acknowledge runs from
 * `createdAt` to `acknowledgedAt`, time to resolve from `createdAt` to `resolvedAt` (or
 * `closedAt`). Nothing is stored: the clocks are derived from the timestamps every time.
 */
export function slaOf(incident: Pick<Incident, 'severity' | 'createdAt' | 'acknowledgedAt' | 'resolvedAt' | 'closedAt'>, config: SlaConfig, nowMs: number): IncidentSla {
  const target = config[incident.severity];
  const createdMs = Date.parse(incident.createdAt);
  const acknowledge = clockOf(createdMs, target.acknowledgeMs, incident.acknowledgedAt, nowMs, config.warnFraction);
  const resolve = clockOf(createdMs, target.resolveMs, incident.resolvedAt ?? incident.closedAt, nowMs, config.warnFraction);
  const breached = [acknowledge, resolve].some((c) => c.state === 'breached' || c.state === 'missed');
  const warning = [acknowledge, resolve].some((c) => c.state === 'warning');
  return { acknowledge, resolve, breached, warning };
}

/** Response figures for a set of incidents. */
export interface ResponseFigures {
  readonly incidents: number;
  readonly acknowledged: number;
  readonly resolved: number;
  /** Mean time to acknowledge, ms; absent when none was acknowledged. */
  readonly mttaMs?: number;
  /** Mean time to resolve, ms; absent when none was resolved. */
  readonly mttrMs?: number;
  /** Incidents whose acknowledge clock breached or was missed. */
  readonly acknowledgeBreaches: number;
  readonly resolveBreaches: number;
}

/** {@link ResponseFigures} overall and per severity. */
export interface ResponseReport extends ResponseFigures {
  readonly from: string;
  readonly to: string;
  readonly bySeverity: Readonly<Record<Severity, ResponseFigures>>;
}

class FiguresAccumulator {
  incidents = 0;
  acknowledged = 0;
  resolved = 0;
  ackTotal = 0;
  resolveTotal = 0;
  acknowledgeBreaches = 0;
  resolveBreaches = 0;

  add(incident: Incident, sla: IncidentSla): void {
    this.incidents += 1;
    const created = Date.parse(incident.createdAt);
    if (incident.acknowledgedAt !== undefined && incident.mergedInto === undefined) {
      this.acknowledged += 1;
      this.ackTotal += Math.max(0, Date.parse(incident.acknowledgedAt) - created);
    }
    const resolvedAt = incident.resolvedAt ?? incident.closedAt;
    // Merged incidents were stamped when merged, not worked on their own: their target carries the case on.
    if (resolvedAt !== undefined && incident.mergedInto === undefined) {
      this.resolved += 1;
      this.resolveTotal += Math.max(0, Date.parse(resolvedAt) - created);
    }
    if (sla.acknowledge.state === 'breached' || sla.acknowledge.state === 'missed') this.acknowledgeBreaches += 1;
    if (sla.resolve.state === 'breached' || sla.resolve.state === 'missed') this.resolveBreaches += 1;
  }

  figures(): ResponseFigures {
    return {
      incidents: this.incidents,
      acknowledged: this.acknowledged,
      resolved: this.resolved,
      ...(this.acknowledged > 0 ? { mttaMs: Math.round(this.ackTotal / this.acknowledged) } : {}),
      ...(this.resolved > 0 ? { mttrMs: Math.round(this.resolveTotal / this.resolved) } : {}),
      acknowledgeBreaches: this.acknowledgeBreaches,
      resolveBreaches: this.resolveBreaches,
    };
  }
}

/**
 * MTTA and MTTR over the incidents created in [from, to): means of acknowledgedAt − createdAt
 * and of (resolvedAt or closedAt) − createdAt over those that have them, with SLA breach counts
 * as of `nowMs`. For the weekly report and the API.
 */
export async function responseFigures(store: CaseStore, range: { readonly from: Date; readonly to: Date }, config: SlaConfig, nowMs: number): Promise<ResponseReport> {
  const all = new FiguresAccumulator();
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, new FiguresAccumulator()])) as Record<Severity, FiguresAccumulator>;
  const filter: FilterNode = { op: 'range', field: 'createdAt', gte: range.from.toISOString(), lt: range.to.toISOString() };
  let cursor: string | undefined;
  do {
    const page = await store.incidents.list({ filter, limit: MAX_LIST_LIMIT, ...(cursor ? { cursor } : {}) });
    for (const incident of page.items) {
      const sla = slaOf(incident, config, nowMs);
      all.add(incident, sla);
      bySeverity[incident.severity]?.add(incident, sla);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    ...all.figures(),
    bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, bySeverity[s].figures()])) as Record<Severity, ResponseFigures>,
  };
}
