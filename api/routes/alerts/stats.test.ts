import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertingApiHarness, type AlertingApiHarness } from '../../../test/api/alerting-harness.js';
import { sshMatch } from '../../../test/integration/alerting-behaviour.js';
import type { AlertStatsResponse } from './stats.js';

const HOUR = 3_600_000;

describe('GET /api/v1/alerts/stats (sqlite)', () => {
  let h: AlertingApiHarness;
  let viewer: string;
  let t0: number;
  const at = (offsetMs: number) => new Date(t0 + offsetMs).toISOString();

  beforeEach(async () => {
    h = await alertingApiHarness({}, 'sqlite');
    t0 = Math.floor(h.clock.now() / HOUR) * HOUR + 30 * 60_000;
    viewer = await h.bearer('vera', ['viewer']);
    await h.alerting.handle([
      sshMatch('192.0.2.1', at(-2 * HOUR)),
      sshMatch('192.0.2.2', at(-HOUR), { level: 'low', ruleKey: 'port-scan' }),
      sshMatch('192.0.2.2', at(0), { level: 'medium', ruleKey: 'port-scan-2' }),
      sshMatch('192.0.2.9', at(-48 * HOUR)),
    ]);
  });
  afterEach(async () => {
    await h.close();
  });

  it('counts alerts by severity per bucket, top rules and sources, and open incidents', async () => {
    const query = `?from=${encodeURIComponent(at(-3 * HOUR))}&to=${encodeURIComponent(at(HOUR))}&bucket=1h`;
    const response = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts/stats${query}` });
    expect(response.statusCode, response.body).toBe(200);
    const stats = response.json<AlertStatsResponse>();
    expect(stats.bucket).toBe('1h');
    expect(stats.total).toBe(3);
    expect(stats.scanned).toBe(3);
    expect(stats.truncated).toBe(false);
    const nonEmpty = stats.buckets.filter((b) => Object.values(b.counts).some((n) => n > 0));
    expect(nonEmpty.map((b) => b.counts)).toEqual([
      expect.objectContaining({ high: 1, low: 0 }),
      expect.objectContaining({ low: 1, high: 0 }),
      expect.objectContaining({ medium: 1 }),
    ]);
    expect(stats.topRules.map((r) => r.ruleId).sort()).toEqual(['a1b2c3d4-ssh-failed-login', 'port-scan', 'port-scan-2']);
    expect(stats.topSources[0]).toMatchObject({ ip: '192.0.2.2', alerts: 2 });
    expect(stats.topSources).toHaveLength(2);
    expect(stats.incidents.open).toBeGreaterThanOrEqual(1);
  });

  it('locates public source addresses with GeoIP and leaves private ones without geo', async () => {
    await h.alerting.handle([sshMatch('8.8.8.8', at(-HOUR), { ruleKey: 'geo-rule' }), sshMatch('10.1.2.3', at(-HOUR), { ruleKey: 'geo-rule-2' })]);
    const query = `?from=${encodeURIComponent(at(-3 * HOUR))}&to=${encodeURIComponent(at(HOUR))}`;
    const response = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts/stats${query}` });
    expect(response.statusCode, response.body).toBe(200);
    const sources = new Map(response.json<AlertStatsResponse>().topSources.map((s) => [s.ip, s]));
    const google = sources.get('8.8.8.8');
    expect(google).toMatchObject({ ip: '8.8.8.8', alerts: 1, country: 'US' });
    expect(typeof google?.lat).toBe('number');
    expect(typeof google?.lon).toBe('number');
    for (const ip of ['10.1.2.3', '192.0.2.2', '192.0.2.1']) {
      const source = sources.get(ip);
      expect(source, ip).toBeDefined();
      expect(source?.country, ip).toBeUndefined();
      expect(source?.lat, ip).toBeUndefined();
    }
  });

  it('refuses an inverted range and too many buckets, and needs a principal', async () => {
    const bad = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts/stats?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(-HOUR))}` });
    expect(bad.statusCode).toBe(400);
    const many = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts/stats?from=2020-01-01&to=2025-01-01&bucket=5m` });
    expect(many.statusCode).toBe(400);
    const anonymous = await h.call(undefined, { method: 'GET', url: '/api/v1/alerts/stats' });
    expect(anonymous.statusCode).toBe(401);
  });
});
