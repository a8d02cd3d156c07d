/**
 * What the runner's tests share (SQLite in the unit tests, Elasticsearch and BullMQ in the
 * integration test): a probe driver that keeps its blocks in memory and can fail on demand,
 * playbook and alert builders, and a service over the stores a test opened. Not part of the build
 * (testdata/), and free of backends so that both test projects can use it.
 */
import { Value } from '@sinclair/typebox/value';
import type { Alert, AuditEntry, Incident, PlaybookRun, RunStatus, TimelineEntry } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { ResponseConfigSchema, type ResponseConfig } from '../../../core/config/schema.js';
import { OperationalError, UserError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry, type Registry } from '../../../core/metrics.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import type { JobQueue } from '../../../core/stores/job-queue.js';
import { PLAYBOOK_TRIGGER_JOB, type AlertTrigger } from '../../../core/response/jobs.js';
import type { ActionId, Driver, DriverContext } from '../../actions/types.js';
import type { Playbook, PlaybookStep } from '../../definition/types.js';
import { createSafety, type HostFacts, type Safety } from '../../safety/index.js';
import { createResponseService } from '../index.js';
import type { ResponseService } from '../types.js';

/** One call the probe saw. */
export interface ProbeCall {
  readonly kind: 'execute' | 'verify';
  readonly action: ActionId;
  readonly input: Record<string, unknown>;
  readonly idempotencyKey: string;
  readonly changed?: boolean;
}

/** A driver of every action that keeps blocked addresses and disabled accounts in memory. */
export class ProbeDriver implements Driver {
  readonly type = 'probe';
  readonly actions: readonly ActionId[] = ['block-ip', 'unblock-ip', 'disable-account', 'enable-account', 'notify', 'create-ticket'];
  readonly calls: ProbeCall[] = [];
  /** What is in force on the "device": `ip:<address>` or `account:<name>`. */
  readonly state = new Set<string>();
  /** Failures to throw on the next executes, in order. */
  readonly failures: ('transient' | 'permanent')[] = [];
  /** Set to make execute hang until the step's time limit (or the test) ends it. */
  hang = false;
  /** Called inside execute, after the effect and before returning (a crash in between). */
  afterEffect: ((context: DriverContext) => Promise<void>) | undefined;

  constructor(readonly id: string) {}

  executes(action?: ActionId): ProbeCall[] {
    return this.calls.filter((call) => call.kind === 'execute' && (action === undefined || call.action === action));
  }

  async execute(action: ActionId, input: unknown, context: DriverContext) {
    const values = input as Record<string, unknown>;
    const failure = this.failures.shift();
    if (failure === 'transient') {
      this.calls.push({ kind: 'execute', action, input: values, idempotencyKey: context.idempotencyKey });
      throw new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `${this.id}: connection refused`);
    }
    if (failure === 'permanent') {
      this.calls.push({ kind: 'execute', action, input: values, idempotencyKey: context.idempotencyKey });
      throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `${this.id}: 403 forbidden`);
    }
    if (this.hang) await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
    const key = keyOf(action, values);
    let changed = true;
    if (action === 'block-ip' || action === 'disable-account') {
      changed = key !== undefined && !this.state.has(key);
      if (key) this.state.add(key);
    } else if (action === 'unblock-ip' || action === 'enable-account') {
      changed = key !== undefined && this.state.delete(key);
    }
    this.calls.push({ kind: 'execute', action, input: values, idempotencyKey: context.idempotencyKey, changed });
    if (this.afterEffect) await this.afterEffect(context);
    return { changed, detail: { device: this.id, ...(action === 'create-ticket' ? { ticket: 'INC0001' } : {}) } };
  }

  async verify(action: ActionId, input: unknown, context: DriverContext) {
    const values = input as Record<string, unknown>;
    this.calls.push({ kind: 'verify', action, input: values, idempotencyKey: context.idempotencyKey });
    const key = keyOf(action, values);
    const present = key !== undefined && this.state.has(key);
    if (action === 'block-ip' || action === 'disable-account') return { holds: present };
    if (action === 'unblock-ip' || action === 'enable-account') return { holds: !present };
    return { holds: true };
  }
}

function keyOf(action: ActionId, input: Record<string, unknown>): string | undefined {
  if (action === 'block-ip' || action === 'unblock-ip') return `ip:${String(input.address)}`;
  if (action === 'disable-account' || action === 'enable-account') return `account:${String(input.account)}`;
  return undefined;
}

/** A step with the loader's defaults. */
export function step(partial: Partial<PlaybookStep> & Pick<PlaybookStep, 'id' | 'action' | 'with'>): PlaybookStep {
  return { approval: 'auto', dryRun: false, continueOnError: false, ...partial };
}

/** A playbook on alerts of `rule`, with the loader's defaults. */
export function playbook(id: string, steps: readonly PlaybookStep[], extra: Partial<Playbook> = {}): Playbook {
  return { id, title: `Playbook ${id}`, enabled: true, dryRun: false, trigger: { on: 'alert', rules: ['test_rule'] }, steps, source: { file: `${id}.yml`, line: 1 }, ...extra };
}

/** The usual block step: the alert's source.ip, for `duration` when given. */
export function blockStep(extra: Partial<PlaybookStep> = {}, duration?: string): PlaybookStep {
  return step({ id: 'block', action: 'block-ip', with: { address: '{{ alert.entities.source.ip }}', reason: 'brute force from {{ alert.entities.source.ip }}', ...(duration ? { duration } : {}) }, ...extra });
}

/** The config of the tests: the schema's defaults with `patch` over them (limits below the schema's minimums are fine here). */
export function responseConfig(patch: Partial<ResponseConfig> = {}, safety: Partial<ResponseConfig['safety']> = {}): ResponseConfig {
  const defaults = Value.Default(ResponseConfigSchema, {}) as ResponseConfig;
  return { ...defaults, ...patch, safety: { ...defaults.safety, ...safety } };
}

/** This host as the tests see it: no addresses, gateways or resolvers of the machine the tests run on. */
export const NO_HOST: HostFacts = { addresses: [], gateways: [], dnsServers: [] };

let counter = 0;

/** Stores an alert (and its incident) from 203.0.113.x and returns them; `ip` picks the attacker. */
export async function seedAlert(cases: CaseStore, ip: string, extra: Partial<Alert> = {}): Promise<{ alert: Alert; incident: Incident }> {
  counter += 1;
  const now = new Date().toISOString();
  const id = `a${process.pid}x${counter}x${Date.now().toString(36)}`;
  const incident: Incident = {
    id: `i-${id}`,
    title: `Attacks from ${ip}`,
    status: 'new',
    severity: 'high',
    tags: [],
    entity: { field: 'source.ip', value: ip },
    alertIds: [id],
    observables: [],
    tasks: [],
    createdAt: now,
    updatedAt: now,
  };
  const alert: Alert = {
    id,
    dedupKey: `test_rule|${ip}`,
    ruleId: 'test_rule',
    ruleTitle: 'Test brute force',
    severity: 'high',
    riskScore: 73,
    status: 'new',
    incidentId: incident.id,
    count: 1,
    firstSeen: now,
    lastSeen: now,
    entities: { 'source.ip': ip, 'user.name': 'mallory' },
    eventIds: ['e1'],
    explanation: { selections: ['selection'], matches: [{ field: 'source.ip', value: ip }] },
    tags: ['attack.t1110'],
    transports: ['tcp'],
    createdAt: now,
    updatedAt: now,
    ...extra,
  };
  await cases.incidents.create(incident);
  await cases.alerts.create(alert);
  return { alert, incident };
}

/** Queues the trigger of a new alert, as the alerting outbox does. */
export async function trigger(queue: JobQueue, alert: Alert): Promise<void> {
  await queue.add<AlertTrigger>({
    name: PLAYBOOK_TRIGGER_JOB,
    id: `alert-${alert.id}-created`,
    data: { trigger: 'alert.created', alertId: alert.id, ruleKey: alert.ruleId, severity: alert.severity, entities: alert.entities, ...(alert.incidentId ? { incidentId: alert.incidentId } : {}) },
  });
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A response service over a test's stores, with a probe driver `edge`, fast retries and its own metrics. */
export interface TestResponse {
  readonly service: ResponseService;
  readonly safety: Safety;
  readonly driver: ProbeDriver;
  readonly drivers: Map<string, Driver>;
  readonly metrics: Registry;
  readonly playbooks: Playbook[];
}

/** Options of {@link startTestResponse}. */
export interface TestResponseOptions {
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  readonly playbooks: Playbook[];
  readonly config?: ResponseConfig;
  readonly drivers?: readonly Driver[];
  readonly clock?: Clock;
  /** @defaultValue true */
  readonly start?: boolean;
  /** Jobs at once per job name. @defaultValue 4 */
  readonly concurrency?: number;
}

/** Builds (and starts) the service. */
export function startTestResponse(options: TestResponseOptions): TestResponse {
  const config = options.config ?? responseConfig();
  const driver = new ProbeDriver('edge');
  const drivers = new Map<string, Driver>((options.drivers ?? [driver]).map((d) => [d.id, d]));
  const clock = options.clock ?? SYSTEM_CLOCK;
  const safety = createSafety({ config: config.safety, cases: options.cases, clock, host: NO_HOST });
  const metrics = createMetricsRegistry();
  const service = createResponseService({
    config,
    cases: options.cases,
    queue: options.queue,
    playbooks: () => options.playbooks,
    drivers,
    safety,
    clock,
    logger: silentLogger(),
    metrics,
    retry: { attempts: 3, backoffMs: 20 },
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  if (options.start !== false) service.start();
  return { service, safety, driver, drivers, metrics, playbooks: options.playbooks };
}

/** Waits until the run exists and has one of `statuses`. */
export async function waitForRun(cases: CaseStore, runId: string, statuses: readonly RunStatus[], timeoutMs = 10_000): Promise<PlaybookRun> {
  return waitFor(async () => {
    const run = await cases.runs.get(runId);
    return run && statuses.includes(run.status) ? run : undefined;
  }, `run ${runId} to be ${statuses.join(' or ')}`, timeoutMs);
}

/** The timeline entries of an incident. */
export async function timelineOf(cases: CaseStore, incidentId: string): Promise<TimelineEntry[]> {
  return (await cases.timeline.list({ filter: { op: 'eq', field: 'incidentId', value: incidentId, caseSensitive: true }, limit: 1000 })).items;
}

/** The audit entries of an action (`response.execute`). */
export async function auditOf(cases: CaseStore, action: string): Promise<AuditEntry[]> {
  return (await cases.audit.list({ filter: { op: 'eq', field: 'action', value: action, caseSensitive: true }, limit: 1000 })).items;
}

/** A series' value (`watchpost_x_total`, or `watchpost_x_seconds_count` of a histogram) for the given labels. */
export async function metricValue(registry: Registry, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number | undefined> {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values) {
      const series = (value as { metricName?: string }).metricName ?? metric.name;
      if (series === name && Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted)) return value.value;
    }
  }
  return undefined;
}
