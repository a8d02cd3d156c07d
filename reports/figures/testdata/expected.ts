/**
 * The figures of the seeded week (seed.ts), worked out by hand from its tables — not computed by
 * the code under test. Each number says where it comes from.
 */
import type { WeeklyFigures } from '../../../core/reports/types.js';

const none = { informational: 0, low: 0, medium: 0, high: 0, critical: 0 };

export const EXPECTED: WeeklyFigures = {
  period: { week: '2026-W46', timeZone: 'Europe/Berlin', from: '2026-11-08T23:00:00.000Z', to: '2026-11-15T23:00:00.000Z' },
  previous: { from: '2026-11-01T23:00:00.000Z', to: '2026-11-08T23:00:00.000Z' },
  organization: 'Example GmbH',
  generatedAt: '2026-11-16T05:00:00.000Z',
  alerts: {
    // a01–a11; p01–p06 (p06 at the previous week's first instant, p05 at its last millisecond).
    total: 11,
    previousTotal: 6,
    // (11 − 6) / 6 × 100 = 83.33…
    changePercent: 83.3,
    // informational a09; low a07 a08; medium a03 a04 a10; high a01 a02 a05 a11; critical a06.
    bySeverity: { informational: 1, low: 2, medium: 3, high: 4, critical: 1 },
    // low p03 p04; medium p02 p06; high p01; critical p05.
    previousBySeverity: { informational: 0, low: 2, medium: 2, high: 1, critical: 1 },
    byDay: [
      { date: '2026-11-09', counts: { ...none, high: 2 } }, // a01 (local 00:30, UTC Sunday), a02
      { date: '2026-11-10', counts: { ...none, medium: 2 } }, // a03, a04
      { date: '2026-11-11', counts: { ...none, high: 1 } }, // a05
      { date: '2026-11-12', counts: { ...none, critical: 1 } }, // a06
      { date: '2026-11-13', counts: { ...none, low: 2 } }, // a07, a08
      { date: '2026-11-14', counts: { ...none, informational: 1 } }, // a09 (local 23:30)
      { date: '2026-11-15', counts: { ...none, medium: 1, high: 1 } }, // a11, a10 (local 23:59:59.999)
    ],
  },
  topRules: [
    { ruleId: 'ssh-brute-force', ruleTitle: 'SSH brute force', severity: 'high', alerts: 4, matches: 370 }, // 40 + 25 + 5 + 300
    { ruleId: 'port-scan', ruleTitle: 'Port scan', severity: 'low', alerts: 2, matches: 500 }, // 300 + 200
    { ruleId: 'web-scan', ruleTitle: 'Web vulnerability scan', severity: 'medium', alerts: 2, matches: 150 }, // 120 + 30
    { ruleId: 'dns-tunnel', ruleTitle: 'DNS tunnelling', severity: 'medium', alerts: 1, matches: 10 },
    { ruleId: 'admin-login', ruleTitle: 'Admin login outside hours', severity: 'informational', alerts: 1, matches: 1 }, // tie: by rule id
    { ruleId: 'malware', ruleTitle: 'Malware detected', severity: 'critical', alerts: 1, matches: 1 },
  ],
  topAttackers: [
    // a03 a04 a08; blocked by the /24 that expired in the week.
    { ip: '198.51.100.23', alerts: 3, matches: 350, country: 'US', countryName: 'United States', asn: 64501, asOrganization: 'Example Transit', blocked: true },
    // a01 a02 (o01, o02 are not of the week); blocked on fw-1 and fw-2.
    { ip: '203.0.113.7', alerts: 2, matches: 65, country: 'NL', countryName: 'Netherlands', asn: 64500, asOrganization: 'Example Hosting BV', blocked: true },
    // a05 a10; its only block failed.
    { ip: '192.0.2.44', alerts: 2, matches: 15, blocked: false },
    // a07; blocked, but by a block of the previous week. Ties with 203.0.113.99 on 1 and 300: by address.
    { ip: '2001:db8::66', alerts: 1, matches: 300, asn: 64502, asOrganization: 'Example v6 Net', blocked: false },
    // a11; blocked, then released by alice.
    { ip: '203.0.113.99', alerts: 1, matches: 300, blocked: true },
  ],
  // host.name, else destination.ip: web-01 a01 a04 a05; 192.0.2.10 a03 a07; web-02 a02 a11; ws-7 a06 a10; 192.0.2.11 a08; dc-1 a09.
  topTargetHosts: [
    { name: 'web-01', alerts: 3 },
    { name: '192.0.2.10', alerts: 2 },
    { name: 'web-02', alerts: 2 },
    { name: 'ws-7', alerts: 2 },
    { name: '192.0.2.11', alerts: 1 },
    { name: 'dc-1', alerts: 1 },
  ],
  // user.name, else user.target.name: jdoe a05 a06; root a01 a11; admin a02; alice a09.
  topTargetUsers: [
    { name: 'jdoe', alerts: 2 },
    { name: 'root', alerts: 2 },
    { name: 'admin', alerts: 1 },
    { name: 'alice', alerts: 1 },
  ],
  response: {
    blocked: [
      // 2026-11-16T09:05Z − 05:00Z = 4 h 5 min.
      { target: '203.0.113.7', driver: 'fw-1', createdAt: '2026-11-09T10:05:00.000Z', expiresAt: '2026-11-16T09:05:00.000Z', status: 'active', ttlLeftSeconds: 14_700 },
      { target: '203.0.113.7', driver: 'fw-2', createdAt: '2026-11-09T10:06:00.000Z', status: 'active' },
      {
        target: '198.51.100.0/24',
        driver: 'fw-1',
        createdAt: '2026-11-10T09:00:00.000Z',
        expiresAt: '2026-11-10T13:00:00.000Z',
        status: 'expired',
        releasedAt: '2026-11-10T13:00:05.000Z',
        releasedBy: 'expiry',
      },
      { target: '192.0.2.44', driver: 'fw-1', createdAt: '2026-11-11T12:05:00.000Z', expiresAt: '2026-11-11T16:05:00.000Z', status: 'failed' },
      {
        target: '203.0.113.50',
        driver: 'fw-1',
        createdAt: '2026-11-14T20:00:00.000Z',
        expiresAt: '2026-11-14T21:00:00.000Z',
        status: 'expired',
        releasedAt: '2026-11-14T21:01:00.000Z',
        releasedBy: 'reconcile',
      },
      {
        target: '203.0.113.99',
        driver: 'rt-2',
        createdAt: '2026-11-15T10:10:00.000Z',
        expiresAt: '2026-11-15T14:10:00.000Z',
        status: 'released',
        releasedAt: '2026-11-15T11:00:00.000Z',
        releasedBy: 'alice',
      },
      // Its expiry passed an hour before generation: no TTL left.
      { target: '203.0.113.60', driver: 'fw-1', createdAt: '2026-11-15T20:00:00.000Z', expiresAt: '2026-11-16T04:00:00.000Z', status: 'active', ttlLeftSeconds: 0 },
    ],
    // 2026-11-16T14:40Z − 05:00Z = 9 h 40 min; ad-1:bob was created at the next week's first instant.
    disabledAccounts: [{ target: 'jdoe', driver: 'ad-1', createdAt: '2026-11-12T14:40:00.000Z', expiresAt: '2026-11-16T14:40:00.000Z', status: 'active', ttlLeftSeconds: 34_800 }],
    // r1–r7 (r7 at the first instant); r8, r9 outside. other: r5 cancelled, r6 queued.
    runs: { total: 7, succeeded: 2, failed: 1, pendingApproval: 1, rejected: 1, other: 2 },
  },
  incidents: {
    // inc-01 02 03 04 05 10 12.
    opened: 7,
    // By resolvedAt (else closedAt): inc-01, 02, 12 (resolved 22:30, closed after the week), 06, 07, 13 (resolved at the first instant).
    closed: 6,
    byVerdict: { true_positive: 2, false_positive: 2, benign: 1 }, // tp inc-01 12; fp inc-02 13; benign inc-06
    noVerdict: 1, // inc-07, resolved without one
    // inc-03, 04, 05 (resolved after the week's end), 10, 08; inc-11 was created at the end.
    openAtEnd: 5,
  },
  responseTimes: {
    incidents: 7,
    // inc-01 30 min, inc-02 30, inc-03 60, inc-05 15, inc-12 30 → 165 / 5.
    acknowledged: 5,
    mttaMinutes: 33,
    // inc-01 240 min, inc-02 360, inc-05 805 (resolved 23:30 after the week), inc-12 150 → 1555 / 4 = 388.75.
    resolved: 4,
    mttrMinutes: 388.8,
    // inc-02 acknowledged after 30 > 15 min; inc-04 unacknowledged for 69 h 50 > 24 h.
    acknowledgeBreaches: 2,
    // inc-02 resolved after 6 > 4 h; inc-03 open for 140 h 40 > 72 h.
    resolveBreaches: 2,
  },
  ingest: {
    sources: [
      // f1–f8 (f8 written as 23:59:59.999+01:00); f3 failed; 3 + 4 + 1 dropped (the 23:00 and 22:00-before rows are outside).
      { source: 'fw-syslog', events: 8, parseFailures: 1, parseFailureRate: 0.125, dropped: 8, lastEventAt: '2026-11-15T22:59:59.999Z', silent: false },
      // l1 (at the first instant, failed) – l4, which is exactly 24 h before the end: silent.
      { source: 'linux-file', events: 4, parseFailures: 1, parseFailureRate: 0.25, dropped: 0, lastEventAt: '2026-11-14T23:00:00.000Z', silent: true },
      // Not configured: listed, never silent.
      { source: 'legacy-tcp', events: 3, parseFailures: 3, parseFailureRate: 1, dropped: 0, lastEventAt: '2026-11-10T10:00:00.000Z', silent: false },
      { source: 'edge-udp', events: 2, parseFailures: 0, parseFailureRate: 0, dropped: 7, lastEventAt: '2026-11-15T12:00:00.000Z', silent: false },
      // Only counters: dropped everything it received.
      { source: 'old-syslog', events: 0, parseFailures: 0, parseFailureRate: 0, dropped: 9, silent: false },
      // Configured, nothing all week (w-prev is of the previous week).
      { source: 'web-http', events: 0, parseFailures: 0, parseFailureRate: 0, dropped: 0, silent: true },
    ],
    // 8 + 4 + 3 + 2 + n1 (no source id).
    events: 18,
    // f3, l1, t1–t3, n1.
    parseFailures: 6,
    dropped: 24,
  },
  tactics: [
    { tactic: 'credential_access', alerts: 4 }, // a01, a02 (hyphenated), a05, a11 (twice in one alert, once upper-case)
    { tactic: 'discovery', alerts: 2 },
    { tactic: 'reconnaissance', alerts: 2 },
    { tactic: 'command_and_control', alerts: 1 },
    { tactic: 'execution', alerts: 1 },
    { tactic: 'exfiltration', alerts: 1 },
    { tactic: 'stealth', alerts: 1 },
  ],
  notableIncidents: [
    {
      id: 'inc-02',
      title: 'Malware on ws-7',
      severity: 'critical',
      status: 'closed',
      verdict: 'false_positive',
      createdAt: '2026-11-12T14:31:00.000Z',
      closedAt: '2026-11-12T20:31:00.000Z',
      alerts: 1,
      // Seven entries of the reported kinds (sla and assignment are not): the first and the newest five.
      timeline: [
        { at: '2026-11-12T14:31:00.000Z', actor: 'system', text: 'Incident opened by alert "Malware detected"' },
        { at: '2026-11-12T15:01:00.000Z', actor: 'alice', text: 'Status new → acknowledged' },
        { at: '2026-11-12T15:10:00.000Z', actor: 'playbook:contain-host', text: 'Disabled account jdoe on ad-1' },
        { at: '2026-11-12T16:00:00.000Z', actor: 'bob', text: 'False alarm: the EICAR test file.' },
        { at: '2026-11-12T17:00:00.000Z', actor: 'bob', text: `Checked the host: ${'a'.repeat(141)}…` },
        { at: '2026-11-12T20:31:00.000Z', actor: 'alice', text: 'Status acknowledged → closed (false_positive)' },
      ],
    },
    {
      id: 'inc-01',
      title: 'SSH brute force from 203.0.113.7',
      severity: 'high',
      status: 'closed',
      verdict: 'true_positive',
      createdAt: '2026-11-09T10:01:00.000Z',
      closedAt: '2026-11-09T15:01:00.000Z',
      alerts: 2,
      timeline: [
        { at: '2026-11-09T10:01:00.000Z', actor: 'system', text: 'Incident opened by alert "SSH brute force"' },
        { at: '2026-11-09T10:01:00.000Z', actor: 'system', text: 'Alert "SSH brute force" linked' },
        { at: '2026-11-09T10:02:00.000Z', actor: 'system', text: 'Alert "SSH brute force" linked' },
        { at: '2026-11-09T10:31:00.000Z', actor: 'alice', text: 'Status → acknowledged' },
        { at: '2026-11-09T14:01:00.000Z', actor: 'alice', text: 'Status acknowledged → resolved (true_positive)' },
        { at: '2026-11-09T15:01:00.000Z', actor: 'alice', text: 'Status resolved → closed' },
      ],
    },
    // Ties with inc-01 on severity and alerts: the older first.
    {
      id: 'inc-05',
      title: 'SSH brute force on web-02',
      severity: 'high',
      status: 'closed',
      verdict: 'benign',
      createdAt: '2026-11-15T10:05:00.000Z',
      closedAt: '2026-11-16T01:00:00.000Z',
      alerts: 2,
      timeline: [],
    },
    {
      id: 'inc-03',
      title: 'Scans from 198.51.100.23',
      severity: 'medium',
      status: 'investigating',
      createdAt: '2026-11-10T08:20:00.000Z',
      alerts: 3,
      timeline: [{ at: '2026-11-10T09:30:00.000Z', actor: 'carol', text: 'Nmap from the scanner subnet?' }],
    },
    {
      id: 'inc-12',
      title: 'DNS tunnelling from ws-7',
      severity: 'medium',
      status: 'closed',
      verdict: 'true_positive',
      createdAt: '2026-11-15T20:00:00.000Z',
      closedAt: '2026-11-16T02:00:00.000Z',
      alerts: 1,
      timeline: [],
    },
  ],
};

/** The addresses the lookup is asked for: the top attackers, in rank order, once. */
export const EXPECTED_LOOKUP = ['198.51.100.23', '203.0.113.7', '192.0.2.44', '2001:db8::66', '203.0.113.99'];
