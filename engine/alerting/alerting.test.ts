import { describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import type { Incident } from '../../core/cases/types.js';
import { ManualClock } from '../../core/clock.js';
import { alertingConfig, describeAlertingBehaviour, sshMatch } from '../../test/integration/alerting-behaviour.js';
import { candidateOf, dedupKeyOf, windowStartOf } from './dedup.js';
import { createAlertingService } from './service.js';
import { applyStatus } from './incident-rules.js';
import { riskScore } from './severity.js';
import { slaOf } from './sla.js';
import { suppresses } from './suppressions.js';
import { systemEntryId } from './timeline.js';

describeAlertingBehaviour('sqlite', async () => {
  const db = openSqliteDatabase(':memory:');
  const store = new SqliteCaseStore(db);
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 50 });
  return {
    store,
    queue,
    cleanup: async () => {
      await queue.close();
      db.close();
    },
  };
});

const MINUTE = 60_000;

describe('dedup keys and windows', () => {
  it('sorts grouping fields and escapes separators, so no two groups share a key', () => {
    expect(dedupKeyOf('r', { 'user.name': 'a', 'source.ip': '1.2.3.4' })).toBe('r|source.ip=1.2.3.4|user.name=a');
    expect(dedupKeyOf('r', { a: 'x|b=y' })).not.toBe(dedupKeyOf('r', { a: 'x', b: 'y' }));
  });

  it('aligns windows to the epoch', () => {
    expect(windowStartOf(Date.parse('2024-01-01T10:59:59.999Z'), 3_600_000)).toBe(Date.parse('2024-01-01T10:00:00.000Z'));
    expect(windowStartOf(Date.parse('2024-01-01T11:00:00.000Z'), 3_600_000)).toBe(Date.parse('2024-01-01T11:00:00.000Z'));
  });

  it('falls back to the clock for a timestamp that does not parse, and spells numbers as strings', () => {
    const candidate = candidateOf({ ...sshMatch('192.0.2.1', 'not a time'), entities: { 'source.port': 22 } }, 1234);
    expect(candidate.atMs).toBe(1234);
    expect(candidate.entities).toEqual({ 'source.port': '22' });
  });
});

describe('suppression matching', () => {
  const candidate = candidateOf(sshMatch('192.0.2.1', '2024-01-01T00:00:00.000Z'), 0);
  const base = { id: 's', startsAt: '', expiresAt: '', author: 'a', reason: 'r', suppressedCount: 0, createdAt: '', updatedAt: '' };
  it('needs every field equal and the rule (key or alias) when one is named', () => {
    expect(suppresses({ ...base, fields: { 'source.ip': '192.0.2.1' } }, candidate)).toBe(true);
    expect(suppresses({ ...base, fields: { 'source.ip': '192.0.2.1', 'user.name': 'other' } }, candidate)).toBe(false);
    expect(suppresses({ ...base, rule: 'another-rule', fields: { 'source.ip': '192.0.2.1' } }, candidate)).toBe(false);
    expect(suppresses({ ...base, rule: candidate.ruleKey, fields: { 'source.ip': '192.0.2.1' } }, candidate)).toBe(true);
    expect(suppresses({ ...base, fields: {} }, candidate)).toBe(false);
  });
});

describe('risk score', () => {
  it('adds the repeat-offender bump up to its cap and never passes 100', () => {
    const repeat = { windowMs: 1, bumpPerAlert: 5, maxBump: 20 };
    expect([0, 1, 4, 10].map((n) => riskScore('high', n, repeat))).toEqual([75, 80, 95, 95]);
    expect(riskScore('critical', 10, repeat)).toBe(100);
  });
});

describe('incident status rules', () => {
  const incident: Incident = { id: 'i', title: 't', status: 'new', severity: 'low', tags: [], alertIds: [], observables: [], tasks: [], createdAt: 'c', updatedAt: 'c' };
  it('stamps acknowledgement once, requires a verdict to close, and clears resolution on reopening', () => {
    expect(() => applyStatus(incident, 'closed', 't1')).toThrow(/verdict/);
    expect(() => applyStatus(incident, 'investigating', 't1', 'benign')).toThrow(/verdict/);
    const investigating = applyStatus(incident, 'investigating', 't1');
    expect(investigating.acknowledgedAt).toBe('t1');
    const resolved = applyStatus(investigating, 'resolved', 't2');
    expect(resolved).toMatchObject({ acknowledgedAt: 't1', resolvedAt: 't2' });
    const closed = applyStatus(resolved, 'closed', 't3', 'benign');
    expect(closed).toMatchObject({ resolvedAt: 't2', closedAt: 't3', verdict: 'benign' });
    const reopened = applyStatus(closed, 'new', 't4');
    expect(reopened).toMatchObject({ status: 'new', acknowledgedAt: 't1' });
    expect(reopened).not.toHaveProperty('resolvedAt');
    expect(reopened).not.toHaveProperty('verdict');
  });
});

describe('SLA clocks', () => {
  const config = alertingConfig({ sla: { warnFraction: 0.8, medium: { acknowledgeMs: 10 * MINUTE, resolveMs: 100 * MINUTE } } }).sla;
  const created = Date.parse('2024-01-01T00:00:00.000Z');
  const incident = { severity: 'medium' as const, createdAt: new Date(created).toISOString() };
  it('runs ok, warns at the fraction, breaches past the target; stopped clocks are met or missed', () => {
    expect(slaOf(incident, config, created + 7 * MINUTE).acknowledge.state).toBe('ok');
    expect(slaOf(incident, config, created + 8 * MINUTE)).toMatchObject({ warning: true, acknowledge: { state: 'warning', dueAt: '2024-01-01T00:10:00.000Z' } });
    expect(slaOf(incident, config, created + 10 * MINUTE).acknowledge.state).toBe('warning');
    expect(slaOf(incident, config, created + 10 * MINUTE + 1)).toMatchObject({ breached: true, acknowledge: { state: 'breached' } });
    const acked = { ...incident, acknowledgedAt: new Date(created + 9 * MINUTE).toISOString() };
    expect(slaOf(acked, config, created + 50 * MINUTE)).toMatchObject({ breached: false, acknowledge: { state: 'met', elapsedMs: 9 * MINUTE } });
    const closedLate = { ...acked, closedAt: new Date(created + 101 * MINUTE).toISOString() };
    expect(slaOf(closedLate, config, created + 500 * MINUTE).resolve).toMatchObject({ state: 'missed', elapsedMs: 101 * MINUTE });
  });
});

describe('timeline ids', () => {
  it('are deterministic for system entries, and list created before alert_linked within one millisecond', () => {
    expect(systemEntryId('i', 'sla', 'acknowledge', 'warning')).toBe(systemEntryId('i', 'sla', 'acknowledge', 'warning'));
    expect(systemEntryId('i', 'sla', 'acknowledge', 'warning')).not.toBe(systemEntryId('i', 'sla', 'acknowledge', 'breached'));
    expect(systemEntryId('i', 'created') < systemEntryId('i', 'alert_linked', 'a')).toBe(true);
  });
});

describe('transports on alerts', () => {
  it('records how the events came (distinct, sorted), merges them on repeats, and leaves them out when unknown', async () => {
    const db = openSqliteDatabase(':memory:');
    const store = new SqliteCaseStore(db);
    const queue = new SqliteJobQueue(db, { pollIntervalMs: 50 });
    try {
      const clock = new ManualClock(Date.parse('2024-05-01T08:00:00.000Z'));
      const alerting = createAlertingService({ store, queue, clock, config: alertingConfig() });
      const at = new Date(clock.now()).toISOString();
      const first = await alerting.handle([{ ...sshMatch('192.0.2.7', at), transports: ['udp', 'udp'] }]);
      expect(first.alerts[0]?.transports).toEqual(['udp']);
      await alerting.handle([{ ...sshMatch('192.0.2.7', at), transports: ['tls'] }]);
      await alerting.handle([sshMatch('192.0.2.7', at)]);
      const stored = await store.alerts.get(first.alerts[0]?.id as string);
      expect(stored).toMatchObject({ count: 3, transports: ['tls', 'udp'] });
      const unknown = await alerting.handle([sshMatch('192.0.2.8', at)]);
      expect(unknown.alerts[0]).not.toHaveProperty('transports');
    } finally {
      await queue.close();
      db.close();
    }
  });
});
