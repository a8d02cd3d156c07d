/**
 * One seeded week for the figures tests: 2026-W46 in Europe/Berlin (CET, UTC+1), Monday
 * 2026-11-09 00:00 local = 2026-11-08T23:00Z to Monday 2026-11-16 00:00 local = 2026-11-15T23:00Z,
 * generated at 2026-11-16T05:00Z. Records sit on both sides of every boundary (the week's start
 * and end, the previous week's start) and the expected figures (expected.ts) are worked out by
 * hand from the tables below.
 */
import type { SlaConfig } from '../../../core/cases/sla.js';
import type { Alert, BlockState, Incident, PlaybookRun, RunStatus, Severity, TimelineEntry } from '../../../core/cases/types.js';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { PARSE_FAILURE_TAG } from '../../../core/ecs/fields.js';
import type { ReportPeriod, SourceStat } from '../../../core/reports/types.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import type { EventStore } from '../../../core/stores/event-store.js';
import type { IpInfo, IpInfoLookup } from '../../ip-info.js';

/** The seeded week, written out (the tests also check weekPeriod gives the same). */
export const PERIOD: ReportPeriod = {
  week: '2026-W46',
  timeZone: 'Europe/Berlin',
  from: '2026-11-08T23:00:00.000Z',
  to: '2026-11-15T23:00:00.000Z',
};

/** Generation time: Monday 06:00 local after the week. */
export const NOW_MS = Date.parse('2026-11-16T05:00:00.000Z');

/** The configured sources: web-http sent nothing in the week, linux-file nothing in its last 24 h. */
export const SOURCES = ['fw-syslog', 'linux-file', 'web-http', 'edge-udp'] as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The default SLA targets (core/config/schema.ts), written out. */
export const SLA: SlaConfig = {
  warnFraction: 0.8,
  checkIntervalMs: MINUTE,
  critical: { acknowledgeMs: 15 * MINUTE, resolveMs: 4 * HOUR },
  high: { acknowledgeMs: HOUR, resolveMs: 24 * HOUR },
  medium: { acknowledgeMs: 4 * HOUR, resolveMs: 72 * HOUR },
  low: { acknowledgeMs: 24 * HOUR, resolveMs: 7 * 24 * HOUR },
  informational: { acknowledgeMs: 72 * HOUR, resolveMs: 30 * 24 * HOUR },
};

/** Fixed answers for the attackers, standing in for the real lookup (a pure function argument). */
export const IP_INFO: Readonly<Record<string, IpInfo>> = {
  '203.0.113.7': { country: 'NL', countryName: 'Netherlands', asn: 64500, asOrganization: 'Example Hosting BV' },
  '198.51.100.23': { country: 'US', countryName: 'United States', asn: 64501, asOrganization: 'Example Transit' },
  '2001:db8::66': { asn: 64502, asOrganization: 'Example v6 Net' },
  '10.9.9.9': { country: 'ZZ' }, // never asked for: no alert names it
};

/** A fake lookup answering from {@link IP_INFO}, recording what it was asked. */
export function fakeIpInfo(): { readonly lookup: IpInfoLookup; readonly calls: (readonly string[])[] } {
  const calls: (readonly string[])[] = [];
  const lookup: IpInfoLookup = (ips) => {
    calls.push([...ips]);
    return Promise.resolve(new Map(ips.flatMap((ip) => (IP_INFO[ip] ? [[ip, IP_INFO[ip]] as const] : []))));
  };
  return { lookup, calls };
}

type AlertSeed = {
  readonly id: string;
  readonly firstSeen: string;
  readonly lastSeen?: string;
  readonly rule: readonly [ruleId: string, ruleTitle: string];
  readonly severity: Severity;
  readonly count: number;
  readonly entities?: Readonly<Record<string, string>>;
  readonly tags?: readonly string[];
};

const SSH = ['ssh-brute-force', 'SSH brute force'] as const;
const WEB = ['web-scan', 'Web vulnerability scan'] as const;
const PORT = ['port-scan', 'Port scan'] as const;
const MALWARE = ['malware', 'Malware detected'] as const;
const ADMIN = ['admin-login', 'Admin login outside hours'] as const;
const DNS = ['dns-tunnel', 'DNS tunnelling'] as const;

const ALERTS: readonly AlertSeed[] = [
  // The week. a01 is local Monday 00:30, still Sunday in UTC.
  { id: 'a01', firstSeen: '2026-11-08T23:30:00.000Z', rule: SSH, severity: 'high', count: 40, entities: { 'source.ip': '203.0.113.7', 'host.name': 'web-01', 'user.target.name': 'root' }, tags: ['attack.credential_access', 'attack.t1110'] },
  { id: 'a02', firstSeen: '2026-11-09T10:00:00.000Z', rule: SSH, severity: 'high', count: 25, entities: { 'source.ip': '203.0.113.7', 'host.name': 'web-02', 'user.target.name': 'admin' }, tags: ['attack.credential-access', 'attack.t1110.001'] },
  { id: 'a03', firstSeen: '2026-11-10T08:15:00.000Z', rule: WEB, severity: 'medium', count: 120, entities: { 'source.ip': '198.51.100.23', 'destination.ip': '192.0.2.10' }, tags: ['attack.reconnaissance', 'attack.t1595'] },
  { id: 'a04', firstSeen: '2026-11-10T09:00:00.000Z', rule: WEB, severity: 'medium', count: 30, entities: { 'source.ip': '198.51.100.23', 'host.name': 'web-01', 'destination.ip': '192.0.2.10' }, tags: ['attack.reconnaissance'] },
  { id: 'a05', firstSeen: '2026-11-11T12:00:00.000Z', rule: SSH, severity: 'high', count: 5, entities: { 'source.ip': '192.0.2.44', 'host.name': 'web-01', 'user.name': 'jdoe', 'user.target.name': 'root' }, tags: ['attack.credential_access'] },
  { id: 'a06', firstSeen: '2026-11-12T14:30:00.000Z', rule: MALWARE, severity: 'critical', count: 1, entities: { 'host.name': 'ws-7', 'user.name': 'jdoe' }, tags: ['attack.execution', 'attack.stealth', 'attack.t1204'] },
  { id: 'a07', firstSeen: '2026-11-13T07:00:00.000Z', rule: PORT, severity: 'low', count: 300, entities: { 'source.ip': '2001:db8::66', 'destination.ip': '192.0.2.10' }, tags: ['attack.discovery'] },
  { id: 'a08', firstSeen: '2026-11-13T07:05:00.000Z', rule: PORT, severity: 'low', count: 200, entities: { 'source.ip': '198.51.100.23', 'destination.ip': '192.0.2.11' }, tags: ['attack.discovery'] },
  { id: 'a09', firstSeen: '2026-11-14T22:30:00.000Z', rule: ADMIN, severity: 'informational', count: 1, entities: { 'user.name': 'alice', 'host.name': 'dc-1' }, tags: [] },
  { id: 'a10', firstSeen: '2026-11-15T22:59:59.999Z', rule: DNS, severity: 'medium', count: 10, entities: { 'source.ip': '192.0.2.44', 'host.name': 'ws-7' }, tags: ['attack.command_and_control', 'attack.exfiltration'] },
  { id: 'a11', firstSeen: '2026-11-15T10:00:00.000Z', rule: SSH, severity: 'high', count: 300, entities: { 'source.ip': '203.0.113.99', 'host.name': 'web-02', 'user.target.name': 'root' }, tags: ['attack.credential_access', 'attack.CREDENTIAL_ACCESS', 'attack.t1110', 'attack.g0016'] },
  // The previous week (2026-11-01T23:00Z to 2026-11-08T23:00Z).
  { id: 'p01', firstSeen: '2026-11-02T08:00:00.000Z', rule: SSH, severity: 'high', count: 3, entities: { 'source.ip': '203.0.113.7' }, tags: ['attack.impact'] },
  { id: 'p02', firstSeen: '2026-11-05T12:00:00.000Z', rule: WEB, severity: 'medium', count: 3 },
  { id: 'p03', firstSeen: '2026-11-06T12:00:00.000Z', rule: PORT, severity: 'low', count: 3 },
  { id: 'p04', firstSeen: '2026-11-07T12:00:00.000Z', rule: PORT, severity: 'low', count: 3 },
  { id: 'p05', firstSeen: '2026-11-08T22:59:59.999Z', rule: MALWARE, severity: 'critical', count: 1 },
  { id: 'p06', firstSeen: '2026-11-01T23:00:00.000Z', rule: WEB, severity: 'medium', count: 1 },
  // Neither week: the next week's first instant, the week before last (seen again in this week), October.
  { id: 'o01', firstSeen: '2026-11-15T23:00:00.000Z', rule: SSH, severity: 'high', count: 9, entities: { 'source.ip': '203.0.113.7' }, tags: ['attack.credential_access'] },
  { id: 'o02', firstSeen: '2026-11-01T22:59:59.999Z', lastSeen: '2026-11-10T10:00:00.000Z', rule: SSH, severity: 'high', count: 9, entities: { 'source.ip': '203.0.113.7' } },
  { id: 'o03', firstSeen: '2026-10-20T10:00:00.000Z', rule: PORT, severity: 'low', count: 9 },
];

function alert(seed: AlertSeed): Alert {
  const [ruleId, ruleTitle] = seed.rule;
  return {
    id: seed.id,
    dedupKey: `${ruleId}|${seed.id}`,
    ruleId,
    ruleTitle,
    ruleAuthor: 'Watchpost tests',
    severity: seed.severity,
    riskScore: 50,
    status: 'new',
    count: seed.count,
    firstSeen: seed.firstSeen,
    lastSeen: seed.lastSeen ?? seed.firstSeen,
    entities: seed.entities ?? {},
    eventIds: [],
    explanation: { selections: ['selection'], matches: [] },
    tags: [...(seed.tags ?? [])],
    createdAt: seed.firstSeen,
    updatedAt: seed.lastSeen ?? seed.firstSeen,
  };
}

type IncidentSeed = Pick<Incident, 'id' | 'title' | 'severity' | 'status' | 'createdAt' | 'alertIds'> & Partial<Pick<Incident, 'verdict' | 'acknowledgedAt' | 'resolvedAt' | 'closedAt'>>;

const INCIDENTS: readonly IncidentSeed[] = [
  // Created in the week.
  { id: 'inc-01', title: 'SSH brute force from 203.0.113.7', severity: 'high', status: 'closed', verdict: 'true_positive', createdAt: '2026-11-09T10:01:00.000Z', acknowledgedAt: '2026-11-09T10:31:00.000Z', resolvedAt: '2026-11-09T14:01:00.000Z', closedAt: '2026-11-09T15:01:00.000Z', alertIds: ['a01', 'a02'] },
  { id: 'inc-02', title: 'Malware on ws-7', severity: 'critical', status: 'closed', verdict: 'false_positive', createdAt: '2026-11-12T14:31:00.000Z', acknowledgedAt: '2026-11-12T15:01:00.000Z', resolvedAt: '2026-11-12T20:31:00.000Z', closedAt: '2026-11-12T20:31:00.000Z', alertIds: ['a06'] },
  { id: 'inc-03', title: 'Scans from 198.51.100.23', severity: 'medium', status: 'investigating', createdAt: '2026-11-10T08:20:00.000Z', acknowledgedAt: '2026-11-10T09:20:00.000Z', alertIds: ['a03', 'a04', 'a08'] },
  { id: 'inc-04', title: 'Port scan from 2001:db8::66', severity: 'low', status: 'new', createdAt: '2026-11-13T07:10:00.000Z', alertIds: ['a07'] },
  { id: 'inc-05', title: 'SSH brute force on web-02', severity: 'high', status: 'closed', verdict: 'benign', createdAt: '2026-11-15T10:05:00.000Z', acknowledgedAt: '2026-11-15T10:20:00.000Z', resolvedAt: '2026-11-15T23:30:00.000Z', closedAt: '2026-11-16T01:00:00.000Z', alertIds: ['a05', 'a11'] },
  { id: 'inc-10', title: 'Admin login at night', severity: 'informational', status: 'new', createdAt: '2026-11-14T22:35:00.000Z', alertIds: ['a09'] },
  { id: 'inc-12', title: 'DNS tunnelling from ws-7', severity: 'medium', status: 'closed', verdict: 'true_positive', createdAt: '2026-11-15T20:00:00.000Z', acknowledgedAt: '2026-11-15T20:30:00.000Z', resolvedAt: '2026-11-15T22:30:00.000Z', closedAt: '2026-11-16T02:00:00.000Z', alertIds: ['a10'] },
  // Created before the week.
  { id: 'inc-06', title: 'Web scan last week', severity: 'medium', status: 'closed', verdict: 'benign', createdAt: '2026-11-05T12:00:00.000Z', acknowledgedAt: '2026-11-05T13:00:00.000Z', resolvedAt: '2026-11-10T12:00:00.000Z', closedAt: '2026-11-10T12:00:00.000Z', alertIds: ['p02'] },
  { id: 'inc-07', title: 'Old port scan', severity: 'low', status: 'resolved', createdAt: '2026-10-20T10:00:00.000Z', acknowledgedAt: '2026-10-20T11:00:00.000Z', resolvedAt: '2026-11-11T09:00:00.000Z', alertIds: ['o03'] },
  { id: 'inc-08', title: 'Long investigation', severity: 'medium', status: 'investigating', createdAt: '2026-10-25T10:00:00.000Z', acknowledgedAt: '2026-10-25T10:30:00.000Z', alertIds: [] },
  { id: 'inc-09', title: 'Closed the week before', severity: 'low', status: 'closed', verdict: 'benign', createdAt: '2026-10-25T11:00:00.000Z', acknowledgedAt: '2026-10-25T12:00:00.000Z', resolvedAt: '2026-11-03T10:00:00.000Z', closedAt: '2026-11-03T10:00:00.000Z', alertIds: [] },
  { id: 'inc-13', title: 'Resolved at the first instant', severity: 'low', status: 'closed', verdict: 'false_positive', createdAt: '2026-11-01T22:00:00.000Z', acknowledgedAt: '2026-11-02T08:00:00.000Z', resolvedAt: '2026-11-08T23:00:00.000Z', closedAt: '2026-11-09T08:00:00.000Z', alertIds: [] },
  // Created at the next week's first instant.
  { id: 'inc-11', title: 'Next week', severity: 'high', status: 'new', createdAt: '2026-11-15T23:00:00.000Z', alertIds: ['o01'] },
];

function incident(seed: IncidentSeed): Incident {
  return { tags: [], observables: [], tasks: [], updatedAt: seed.closedAt ?? seed.resolvedAt ?? seed.acknowledgedAt ?? seed.createdAt, ...seed };
}

/** The long comment of inc-02: its first line is 18 + 182 characters. */
export const LONG_COMMENT = `Checked the host: ${'a'.repeat(182)}\nsecond line`;

const TIMELINE: readonly TimelineEntry[] = [
  { id: 's0-inc-01', incidentId: 'inc-01', at: '2026-11-09T10:01:00.000Z', actor: 'system', kind: 'created', body: 'Incident opened by alert "SSH brute force"' },
  { id: 's1-inc-01-a01', incidentId: 'inc-01', at: '2026-11-09T10:01:00.000Z', actor: 'system', kind: 'alert_linked', body: 'Alert "SSH brute force" linked' },
  { id: 's1-inc-01-a02', incidentId: 'inc-01', at: '2026-11-09T10:02:00.000Z', actor: 'system', kind: 'alert_linked', body: 'Alert "SSH brute force" linked' },
  { id: 'h-inc-01-ack', incidentId: 'inc-01', at: '2026-11-09T10:31:00.000Z', actor: 'alice', kind: 'status', data: { from: 'new', to: 'acknowledged' } }, // no body: data.to speaks
  { id: 'h-inc-01-tag', incidentId: 'inc-01', at: '2026-11-09T11:00:00.000Z', actor: 'alice', kind: 'tag', body: 'Tag ssh added' },
  { id: 'h-inc-01-res', incidentId: 'inc-01', at: '2026-11-09T14:01:00.000Z', actor: 'alice', kind: 'status', body: 'Status acknowledged → resolved (true_positive)' },
  { id: 'h-inc-01-cls', incidentId: 'inc-01', at: '2026-11-09T15:01:00.000Z', actor: 'alice', kind: 'status', body: 'Status resolved → closed' },
  { id: 's0-inc-02', incidentId: 'inc-02', at: '2026-11-12T14:31:00.000Z', actor: 'system', kind: 'created', body: 'Incident opened by alert "Malware detected"' },
  { id: 's1-inc-02-a06', incidentId: 'inc-02', at: '2026-11-12T14:31:00.000Z', actor: 'system', kind: 'alert_linked', body: 'Alert "Malware detected" linked' },
  { id: 's2-inc-02-sla', incidentId: 'inc-02', at: '2026-11-12T14:47:00.000Z', actor: 'system', kind: 'sla', body: 'Time to acknowledge breached' },
  { id: 'h-inc-02-ack', incidentId: 'inc-02', at: '2026-11-12T15:01:00.000Z', actor: 'alice', kind: 'status', body: 'Status new → acknowledged' },
  { id: 'h-inc-02-asg', incidentId: 'inc-02', at: '2026-11-12T15:02:00.000Z', actor: 'alice', kind: 'assignment', body: 'Assigned to bob' },
  { id: 'h-inc-02-act', incidentId: 'inc-02', at: '2026-11-12T15:10:00.000Z', actor: 'playbook:contain-host', kind: 'action', body: 'Disabled account jdoe on ad-1' },
  { id: 'h-inc-02-c1', incidentId: 'inc-02', at: '2026-11-12T16:00:00.000Z', actor: 'bob', kind: 'comment', body: '\n  False alarm: the EICAR test file.  \nSecond line of detail' },
  { id: 'h-inc-02-c2', incidentId: 'inc-02', at: '2026-11-12T17:00:00.000Z', actor: 'bob', kind: 'comment', body: LONG_COMMENT },
  { id: 'h-inc-02-cls', incidentId: 'inc-02', at: '2026-11-12T20:31:00.000Z', actor: 'alice', kind: 'status', body: 'Status acknowledged → closed (false_positive)' },
  { id: 'h-inc-03-c1', incidentId: 'inc-03', at: '2026-11-10T09:30:00.000Z', actor: 'carol', kind: 'comment', body: 'Nmap from the scanner subnet?' },
  { id: 'h-inc-04-c1', incidentId: 'inc-04', at: '2026-11-13T08:00:00.000Z', actor: 'carol', kind: 'comment', body: 'Not notable: low severity' },
];

type BlockSeed = Pick<BlockState, 'id' | 'kind' | 'target' | 'driver' | 'state' | 'createdAt'> & Partial<Pick<BlockState, 'expiresAt' | 'releasedAt' | 'releasedBy' | 'lastError'>>;

const BLOCKS: readonly BlockSeed[] = [
  { id: 'fw-1:203.0.113.7', kind: 'ip', target: '203.0.113.7', driver: 'fw-1', state: 'active', createdAt: '2026-11-09T10:05:00.000Z', expiresAt: '2026-11-16T09:05:00.000Z' },
  { id: 'fw-2:203.0.113.7', kind: 'ip', target: '203.0.113.7', driver: 'fw-2', state: 'active', createdAt: '2026-11-09T10:06:00.000Z' }, // made permanent
  { id: 'fw-1:198.51.100.0/24', kind: 'ip', target: '198.51.100.0/24', driver: 'fw-1', state: 'released', createdAt: '2026-11-10T09:00:00.000Z', expiresAt: '2026-11-10T13:00:00.000Z', releasedAt: '2026-11-10T13:00:05.000Z', releasedBy: 'expiry' },
  { id: 'fw-1:192.0.2.44', kind: 'ip', target: '192.0.2.44', driver: 'fw-1', state: 'failed', createdAt: '2026-11-11T12:05:00.000Z', expiresAt: '2026-11-11T16:05:00.000Z', lastError: 'the device refused the rule' },
  { id: 'fw-1:203.0.113.50', kind: 'ip', target: '203.0.113.50', driver: 'fw-1', state: 'released', createdAt: '2026-11-14T20:00:00.000Z', expiresAt: '2026-11-14T21:00:00.000Z', releasedAt: '2026-11-14T21:01:00.000Z', releasedBy: 'reconcile' },
  { id: 'rt-2:203.0.113.99', kind: 'ip', target: '203.0.113.99', driver: 'rt-2', state: 'released', createdAt: '2026-11-15T10:10:00.000Z', expiresAt: '2026-11-15T14:10:00.000Z', releasedAt: '2026-11-15T11:00:00.000Z', releasedBy: 'alice' },
  { id: 'fw-1:203.0.113.60', kind: 'ip', target: '203.0.113.60', driver: 'fw-1', state: 'active', createdAt: '2026-11-15T20:00:00.000Z', expiresAt: '2026-11-16T04:00:00.000Z' }, // expiry passed, not yet released
  { id: 'ad-1:jdoe', kind: 'account', target: 'jdoe', driver: 'ad-1', state: 'active', createdAt: '2026-11-12T14:40:00.000Z', expiresAt: '2026-11-16T14:40:00.000Z' },
  // Not of the week.
  { id: 'fw-1:2001:db8::66', kind: 'ip', target: '2001:db8::66', driver: 'fw-1', state: 'active', createdAt: '2026-11-05T10:00:00.000Z', expiresAt: '2026-11-20T10:00:00.000Z' },
  { id: 'ad-1:bob', kind: 'account', target: 'bob', driver: 'ad-1', state: 'active', createdAt: '2026-11-15T23:00:00.000Z', expiresAt: '2026-11-16T23:00:00.000Z' },
];

function block(seed: BlockSeed): BlockState {
  return { reason: 'seeded', createdBy: 'run:seed', offense: 1, updatedAt: seed.releasedAt ?? seed.createdAt, ...seed };
}

const RUNS: readonly (readonly [id: string, status: RunStatus, createdAt: string])[] = [
  ['r1', 'succeeded', '2026-11-09T10:05:00.000Z'],
  ['r2', 'failed', '2026-11-11T12:05:00.000Z'],
  ['r3', 'pending_approval', '2026-11-12T14:35:00.000Z'],
  ['r4', 'rejected', '2026-11-13T07:15:00.000Z'],
  ['r5', 'cancelled', '2026-11-14T00:00:00.000Z'],
  ['r6', 'queued', '2026-11-15T22:59:59.999Z'],
  ['r7', 'succeeded', '2026-11-08T23:00:00.000Z'],
  ['r8', 'succeeded', '2026-11-08T22:59:59.999Z'],
  ['r9', 'failed', '2026-11-15T23:00:00.000Z'],
];

function run([id, status, createdAt]: (typeof RUNS)[number]): PlaybookRun {
  return { id, playbookId: 'block-attacker', trigger: { alertId: 'a01' }, status, steps: [], createdAt, updatedAt: createdAt };
}

const STATS: readonly (readonly [source: string, startsAt: string, instance: string, dropped: number])[] = [
  ['fw-syslog', '2026-11-10T10:00:00.000Z', 'ingest-a', 3],
  ['fw-syslog', '2026-11-10T10:00:00.000Z', 'ingest-b', 4],
  ['fw-syslog', '2026-11-15T22:00:00.000Z', 'ingest-a', 1],
  ['fw-syslog', '2026-11-15T23:00:00.000Z', 'ingest-a', 100],
  ['fw-syslog', '2026-11-08T22:00:00.000Z', 'ingest-a', 50],
  ['edge-udp', '2026-11-08T23:00:00.000Z', 'ingest-a', 2],
  ['edge-udp', '2026-11-12T05:00:00.000Z', 'ingest-b', 5],
  ['web-http', '2026-11-11T00:00:00.000Z', 'ingest-a', 0],
  ['old-syslog', '2026-11-11T00:00:00.000Z', 'ingest-a', 9],
];

function stat([source, startsAt, instance, dropped]: (typeof STATS)[number]): SourceStat {
  return { id: `${source}.${startsAt}.${instance}`, source, instance, startsAt, received: 10 + dropped, parsed: 10, failed: 0, dropped, createdAt: startsAt, updatedAt: startsAt };
}

/** An event of a source (none when `source` is undefined), optionally one no parser understood. */
function event(id: string, timestamp: string, source: string | undefined, failed = false): EcsEvent {
  return {
    '@timestamp': timestamp,
    message: `seeded event ${id}`,
    event: { id, original: `<134>seeded ${id}`, kind: 'event' },
    ...(failed ? { tags: ['seed', PARSE_FAILURE_TAG] } : { tags: ['seed'] }),
    ...(source !== undefined ? { watchpost: { input: { id: source, transport: 'udp' as const }, ...(failed ? { parse: { failure: 'no_parser' } } : {}) } } : {}),
  };
}

const EVENTS: readonly EcsEvent[] = [
  event('f1', '2026-11-09T08:00:00.000Z', 'fw-syslog'),
  event('f2', '2026-11-10T08:00:00.000Z', 'fw-syslog'),
  event('f3', '2026-11-11T08:00:00.000Z', 'fw-syslog', true),
  event('f4', '2026-11-12T08:00:00.000Z', 'fw-syslog'),
  event('f5', '2026-11-13T08:00:00.000Z', 'fw-syslog'),
  event('f6', '2026-11-14T08:00:00.000Z', 'fw-syslog'),
  event('f7', '2026-11-15T08:00:00.000Z', 'fw-syslog'),
  event('f8', '2026-11-15T23:59:59.999+01:00', 'fw-syslog'), // the week's last millisecond, written with its offset
  event('f-next', '2026-11-15T23:00:00.000Z', 'fw-syslog', true),
  event('f-prev', '2026-11-08T22:59:00.000Z', 'fw-syslog', true),
  event('l1', '2026-11-08T23:00:00.000Z', 'linux-file', true),
  event('l2', '2026-11-10T12:00:00.000Z', 'linux-file'),
  event('l3', '2026-11-12T12:00:00.000Z', 'linux-file'),
  event('l4', '2026-11-14T23:00:00.000Z', 'linux-file'), // exactly 24 h before the week's end
  event('u1', '2026-11-09T12:00:00.000Z', 'edge-udp'),
  event('u2', '2026-11-15T12:00:00.000Z', 'edge-udp'),
  event('t1', '2026-11-09T10:00:00.000Z', 'legacy-tcp', true),
  event('t2', '2026-11-10T09:00:00.000Z', 'legacy-tcp', true),
  event('t3', '2026-11-10T10:00:00.000Z', 'legacy-tcp', true),
  event('n1', '2026-11-11T11:00:00.000Z', undefined, true),
  event('w-prev', '2026-11-05T10:00:00.000Z', 'web-http'),
];

/** Writes the whole seed into the stores (events refreshed, so searches see them). */
export async function seedWeek(cases: CaseStore, events: EventStore): Promise<void> {
  await Promise.all([
    ...ALERTS.map((seed) => cases.alerts.create(alert(seed))),
    ...INCIDENTS.map((seed) => cases.incidents.create(incident(seed))),
    ...TIMELINE.map((entry) => cases.timeline.append(entry)),
    ...BLOCKS.map((seed) => cases.blocks.create(block(seed))),
    ...RUNS.map((row) => cases.runs.create(run(row))),
    ...STATS.map((row) => cases.sourceStats.create(stat(row))),
  ]);
  const appended = await events.append(EVENTS);
  if (appended.written !== EVENTS.length) throw new Error(`seed: ${appended.written} of ${EVENTS.length} events written: ${JSON.stringify(appended.rejected)}`);
  await events.refresh();
}
