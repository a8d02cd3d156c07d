import type {
  Alert,
  ApiToken,
  AuditEntry,
  BlockState,
  Incident,
  LoginLockout,
  NeverBlockEntry,
  PlaybookRun,
  ResponseControl,
  Session,
  TimelineEntry,
  User,
} from '../../core/cases/types.js';
import { deterministicId, hashSecret, randomId, randomSecret } from '../../core/ids.js';

/**
 * Realistic case-management records for the CaseStore contract suite: each factory returns a
 * complete record with fresh ids, and takes overrides for what a test varies.
 */

/** The time every fixture is relative to: records never fall before it unless a test says so. */
export const BASE_TIME = Date.parse('2024-05-06T09:00:00.000Z');

/** An ISO timestamp `minutes` after {@link BASE_TIME} (negative for before). */
export function at(minutes: number): string {
  return new Date(BASE_TIME + minutes * 60_000).toISOString();
}

/** A fresh marker for one test, to scope its filters and totals away from other tests' records. */
export function marker(): string {
  return `t-${randomId().slice(0, 12)}`;
}

/** A deduplicated SSH brute-force alert, the way the alert manager writes one. */
export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  const ruleId = 'f9c2a7e1-ssh-bruteforce';
  const dedupKey = `${ruleId}|source.ip=203.0.113.7|${randomId()}`;
  return {
    id: deterministicId(dedupKey, at(0)),
    dedupKey,
    ruleId,
    ruleTitle: 'SSH brute force from a single source',
    ruleAuthor: 'Watchpost contributors',
    severity: 'high',
    riskScore: 73,
    status: 'new',
    count: 1,
    firstSeen: at(0),
    lastSeen: at(0),
    entities: { 'source.ip': '203.0.113.7', 'user.name': 'root', 'host.name': 'bastion-01' },
    eventIds: [randomId(), randomId()],
    explanation: {
      selections: ['selection_failed_auth'],
      matches: [
        { field: 'event.outcome', value: 'failure' },
        { field: 'process.name', value: 'sshd' },
      ],
      correlation: { type: 'event_count', count: 25, timespan: '5m', groupBy: ['source.ip'] },
    },
    tags: ['attack.credential_access', 'attack.t1110'],
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

/** An incident grouped by source address, with observables and a task checklist. */
export function makeIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: randomId(),
    title: 'Brute force from 203.0.113.7 against bastion-01',
    status: 'investigating',
    severity: 'high',
    assignee: 'alice',
    tags: ['ssh', 'external'],
    entity: { field: 'source.ip', value: '203.0.113.7' },
    alertIds: [randomId(), randomId()],
    observables: [
      { type: 'ip', value: '203.0.113.7', note: 'AS64500, seen on three sensors' },
      { type: 'user', value: 'root' },
      { type: 'host', value: 'bastion-01' },
    ],
    tasks: [
      { id: 'block', title: 'Block the source on the edge firewall', done: true, assignee: 'bob' },
      { id: 'review', title: 'Review successful logins from the source', done: false },
    ],
    acknowledgedAt: at(5),
    createdAt: at(0),
    updatedAt: at(5),
    ...overrides,
  };
}

/** A console user with a password hash and two roles. */
export function makeUser(overrides: Partial<User> = {}): User {
  const username = `analyst-${randomId().slice(0, 8)}`;
  return {
    id: username.toLowerCase(),
    username,
    displayName: 'Ana Lyst',
    email: `${username}@example.org`,
    roles: ['viewer', 'analyst'],
    passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
    disabled: false,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

/** An API token of a user, stored by the hash of its secret. */
export function makeApiToken(overrides: Partial<ApiToken> = {}): ApiToken {
  return {
    id: randomId(),
    name: 'siem-forwarder',
    userId: 'svc-forwarder',
    secretHash: hashSecret(randomSecret()),
    roles: ['analyst'],
    revoked: false,
    expiresAt: at(60 * 24 * 90),
    createdAt: at(0),
    ...overrides,
  };
}

/** A console session keyed by the hash of its secret. */
export function makeSession(overrides: Partial<Session> = {}): Session {
  return {
    id: hashSecret(randomSecret()),
    userId: 'alice',
    csrfHash: hashSecret(randomSecret()),
    createdAt: at(0),
    lastSeenAt: at(10),
    expiresAt: at(60 * 12),
    ip: '198.51.100.23',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
    ...overrides,
  };
}

/** A block-ip run with one approved, succeeded step and one waiting for approval. */
export function makePlaybookRun(overrides: Partial<PlaybookRun> = {}): PlaybookRun {
  const alertId = randomId();
  return {
    id: deterministicId('block-bruteforce-source', alertId),
    playbookId: 'block-bruteforce-source',
    trigger: { alertId },
    status: 'running',
    steps: [
      {
        id: 'block',
        action: 'block-ip',
        status: 'succeeded',
        dryRun: false,
        attempts: 1,
        startedAt: at(1),
        finishedAt: at(2),
        result: { ruleId: 'wp-203.0.113.7', firewall: 'edge-fw-01', ttlSeconds: 14_400 },
        approvedBy: 'carol',
      },
      { id: 'notify', action: 'notify', status: 'pending_approval', dryRun: false, attempts: 0 },
    ],
    createdAt: at(0),
    updatedAt: at(2),
    ...overrides,
  };
}

/** The desired state of an active four-hour block. */
export function makeBlockState(overrides: Partial<BlockState> = {}): BlockState {
  const target = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
  return {
    id: `edge-fw-01:${target}:${randomId().slice(0, 6)}`,
    kind: 'ip',
    target,
    driver: 'edge-fw-01',
    state: 'active',
    reason: 'SSH brute force (alert 1f3a)',
    createdBy: `run:${randomId()}`,
    offense: 1,
    createdAt: at(0),
    updatedAt: at(0),
    expiresAt: at(240),
    ...overrides,
  };
}

/** A comment on an incident's timeline. */
export function makeTimelineEntry(overrides: Partial<TimelineEntry> = {}): TimelineEntry {
  return {
    id: randomId(),
    incidentId: randomId(),
    at: at(0),
    actor: 'alice',
    kind: 'comment',
    body: 'Source is a **known scanner**; blocked at the edge. See ticket SEC-1042.',
    data: { mentions: ['bob'], ticket: 'SEC-1042' },
    ...overrides,
  };
}

/** An audit entry for an analyst closing an alert. */
export function makeAuditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: randomId(),
    at: at(0),
    actor: 'alice',
    action: 'alert.status',
    target: { type: 'alert', id: randomId() },
    outcome: 'success',
    details: { from: 'new', to: 'closed', verdict: 'false_positive', ip: '198.51.100.23' },
    ...overrides,
  };
}

/** An entry of the never-block list. */
export function makeNeverBlockEntry(overrides: Partial<NeverBlockEntry> = {}): NeverBlockEntry {
  return { id: randomId(), value: '198.51.100.0/24', note: 'management network', createdBy: 'admin', createdAt: at(0), updatedAt: at(0), ...overrides };
}

/** A response control (the circuit breaker), open. */
export function makeResponseControl(overrides: Partial<ResponseControl> = {}): ResponseControl {
  return { id: randomId(), state: 'open', reason: '21 blocks in a minute (limit 20)', openedAt: at(0), createdAt: at(0), updatedAt: at(0), ...overrides };
}

/** Failed sign-ins of one key. */
export function makeLoginLockout(overrides: Partial<LoginLockout> = {}): LoginLockout {
  return { id: `user:${randomId()}`, failures: 3, windowStartedAt: at(0), createdAt: at(0), updatedAt: at(0), ...overrides };
}
