import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type * as GeoipLite from 'geoip-lite';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { SEVERITIES, type Alert, type Role, type Severity } from '../../../core/cases/types.js';
import type { Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import type { FilterNode } from '../../../core/query/filter.js';
import { MAX_LIST_LIMIT, type CaseStore } from '../../../core/stores/case-store.js';
import { requireRole } from '../../plugins/require-role.js';
import { parseInstant } from './query.js';
import { SeveritySchema } from './schemas.js';
import { isSpecialAddress } from '../../../core/net/special-ranges.js';

/** The most alerts one stats request reads; past it the figures cover the newest ones only. */
export const MAX_STATS_ALERTS = 5_000;

/** Rows of the top lists. */
const TOP = 10;

const BUCKETS = { '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '1d': 86_400_000 } as const;
type Bucket = keyof typeof BUCKETS;

/** The most buckets one answer may hold (a 30-day range in hours is 720). */
const MAX_BUCKETS = 1_000;

/** Incident statuses that count as open. */
const OPEN_INCIDENT = ['new', 'acknowledged', 'investigating', 'contained'] as const;

const VIEWERS = ['viewer'] as const satisfies readonly Role[];

const instant = (description: string) => Type.String({ minLength: 10, maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}', description });

export const AlertStatsQuery = Type.Object(
  {
    from: Type.Optional(instant('lastSeen at or after (ISO-8601). @defaultValue 24 hours before `to`')),
    to: Type.Optional(instant('lastSeen before (ISO-8601). @defaultValue now')),
    bucket: Type.Optional(
      Type.Union(
        Object.keys(BUCKETS).map((b) => Type.Literal(b)),
        { description: 'Bucket width; by default the smallest giving at most 200 buckets.' },
      ),
    ),
  },
  { additionalProperties: false },
);

const Counts = Type.Object(Object.fromEntries(SEVERITIES.map((s) => [s, Type.Integer()])) as Record<Severity, ReturnType<typeof Type.Integer>>);

export const AlertStatsResponse = Type.Object({
  from: Type.String(),
  to: Type.String(),
  bucket: Type.String(),
  buckets: Type.Array(Type.Object({ start: Type.String(), counts: Counts }), { description: 'Alerts by lastSeen bucket and severity, oldest first.' }),
  total: Type.Integer({ description: 'Alerts whose lastSeen is in the range.' }),
  scanned: Type.Integer({ description: 'Alerts read to compute the figures (the newest ones).' }),
  truncated: Type.Boolean({ description: `True when more than ${MAX_STATS_ALERTS} alerts matched: the figures cover the newest ${MAX_STATS_ALERTS}.` }),
  topRules: Type.Array(Type.Object({ ruleId: Type.String(), ruleTitle: Type.String(), alerts: Type.Integer(), matches: Type.Integer(), severity: SeveritySchema })),
  topSources: Type.Array(
    Type.Object({
      ip: Type.String(),
      alerts: Type.Integer(),
      country: Type.Optional(Type.String({ description: 'ISO country code: the source.geo.country_iso_code entity, else a GeoIP lookup of a public address.' })),
      lat: Type.Optional(Type.Number()),
      lon: Type.Optional(Type.Number()),
    }),
    { description: 'By the `source.ip` entity of the alerts. Geo from the source.geo.* entities when the rule grouped by them, else from a GeoIP lookup (geoip-lite) of the address; none for private and other special-purpose addresses.' },
  ),
  incidents: Type.Object({ open: Type.Integer({ description: 'Incidents new, acknowledged, investigating or contained (all time).' }) }),
});
export type AlertStatsResponse = Static<typeof AlertStatsResponse>;

/** A public address's country and coordinates; undefined for special-purpose ranges, non-addresses and misses. */
export type SourceGeoLookup = (ip: string) => { country: string; lat?: number; lon?: number } | undefined;

let geoipLite: typeof GeoipLite | undefined;

/**
 * geoip-lite, required on the first public address (its import reads ~100 MB of data
 * synchronously, which a server whose alerts name only private addresses should not pay for).
 */
export const lookupSourceGeo: SourceGeoLookup = (ip) => {
  const family = isIP(ip);
  if (family === 0 || isSpecialAddress(ip)) return undefined;
  geoipLite ??= createRequire(import.meta.url)('geoip-lite') as typeof GeoipLite;
  const found = geoipLite.lookup(ip);
  if (!found?.country) return undefined;
  const [lat, lon] = found.ll;
  return typeof lat === 'number' && typeof lon === 'number' && Number.isFinite(lat) && Number.isFinite(lon) ? { country: found.country, lat, lon } : { country: found.country };
};

function zeroCounts(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

function pickBucket(spanMs: number, asked: Bucket | undefined): Bucket {
  if (asked !== undefined) {
    if (spanMs / BUCKETS[asked] > MAX_BUCKETS) {
      throw new UserError('WATCHPOST_ERR_QUERY_SYNTAX', `${asked} buckets over this range would be more than ${MAX_BUCKETS}`, { problems: [{ path: 'bucket', message: 'too many buckets' }] });
    }
    return asked;
  }
  const fit = (Object.keys(BUCKETS) as Bucket[]).find((b) => spanMs / BUCKETS[b] <= 200);
  return fit ?? '1d';
}

function top<T>(map: Map<string, T & { alerts: number }>): (T & { alerts: number })[] {
  return [...map.values()].sort((a, b) => b.alerts - a.alerts).slice(0, TOP);
}

/**
 * GET /api/v1/alerts/stats: the overview's figures, computed from the case store's list API (so
 * the same on SQLite and Elasticsearch) over at most {@link MAX_STATS_ALERTS} alerts, newest first.
 * SLA breaches are not here: GET /api/v1/incidents?sla=breached counts them with the SLA policy.
 */
export function registerAlertStats(app: FastifyInstance, cases: () => CaseStore | undefined, clock: Clock, geo: SourceGeoLookup = lookupSourceGeo): void {
  app.get<{ Querystring: Static<typeof AlertStatsQuery> }>(
    '/api/v1/alerts/stats',
    {
      config: { roles: VIEWERS },
      onRequest: requireRole(...VIEWERS),
      schema: {
        summary: 'Alert figures for the overview: by severity over time, top rules, top sources, open incidents',
        tags: ['alerts'],
        querystring: AlertStatsQuery,
        response: { 200: AlertStatsResponse },
      },
    },
    async (request, reply) => {
      const store = cases();
      if (!store) return reply.code(503).send({ error: 'unavailable', message: 'this process has no case store' });
      const to = request.query.to === undefined ? new Date(clock.now()).toISOString() : parseInstant(request.query.to, 'to');
      const from = request.query.from === undefined ? new Date(Date.parse(to) - 86_400_000).toISOString() : parseInstant(request.query.from, 'from');
      if (from >= to) throw new UserError('WATCHPOST_ERR_QUERY_SYNTAX', 'from must be before to', { problems: [{ path: 'from', message: 'from must be before to' }] });
      const fromMs = Date.parse(from);
      const bucket = pickBucket(Date.parse(to) - fromMs, request.query.bucket as Bucket | undefined);
      const width = BUCKETS[bucket];
      const start = Math.floor(fromMs / width) * width;
      const buckets = Array.from({ length: Math.ceil((Date.parse(to) - start) / width) }, (_, i) => ({ start: new Date(start + i * width).toISOString(), counts: zeroCounts() }));

      const filter: FilterNode = { op: 'range', field: 'lastSeen', gte: from, lt: to };
      const rules = new Map<string, { ruleId: string; ruleTitle: string; alerts: number; matches: number; severity: Severity }>();
      const sources = new Map<string, { ip: string; alerts: number; country?: string; lat?: number; lon?: number }>();
      let scanned = 0;
      let total = 0;
      let cursor: string | undefined;
      do {
        const page = await store.alerts.list({ filter, sort: 'lastSeen', order: 'desc', limit: Math.min(MAX_LIST_LIMIT, MAX_STATS_ALERTS - scanned), ...(cursor ? { cursor } : {}) });
        total = page.total;
        for (const alert of page.items) tally(alert);
        scanned += page.items.length;
        cursor = page.nextCursor;
      } while (cursor !== undefined && scanned < MAX_STATS_ALERTS);

      function tally(alert: Alert): void {
        const index = Math.floor((Date.parse(alert.lastSeen) - start) / width);
        const row = buckets[index];
        if (row) row.counts[alert.severity] += 1;
        const rule = rules.get(alert.ruleId) ?? { ruleId: alert.ruleId, ruleTitle: alert.ruleTitle, alerts: 0, matches: 0, severity: alert.severity };
        rule.alerts += 1;
        rule.matches += alert.count;
        rules.set(alert.ruleId, rule);
        const ip = alert.entities['source.ip'];
        if (ip === undefined) return;
        const source: { ip: string; alerts: number; country?: string; lat?: number; lon?: number } = sources.get(ip) ?? { ip, alerts: 0 };
        source.alerts += 1;
        const country = alert.entities['source.geo.country_iso_code'];
        const lat = Number(alert.entities['source.geo.location.lat']);
        const lon = Number(alert.entities['source.geo.location.lon']);
        if (country !== undefined) source.country = country;
        if (Number.isFinite(lat) && Number.isFinite(lon) && alert.entities['source.geo.location.lat'] !== undefined) Object.assign(source, { lat, lon });
        sources.set(ip, source);
      }

      // GeoIP for the top sources the alert entities did not locate (alerts carry no geo unless the
      // rule grouped by source.geo.*): only the few shown, so the lookup cost stays bounded.
      const topSources = top(sources).map((source) => {
        if (source.lat !== undefined) return source;
        const found = geo(source.ip);
        return found ? { ...source, ...found, country: source.country ?? found.country } : source;
      });

      const open = await store.incidents.list({ filter: { op: 'or', children: OPEN_INCIDENT.map((value) => ({ op: 'eq' as const, field: 'status', value, caseSensitive: true })) }, limit: 1 });
      return {
        from,
        to,
        bucket,
        buckets,
        total,
        scanned,
        truncated: total > scanned,
        topRules: top(rules),
        topSources,
        incidents: { open: open.total },
      };
    },
  );
}
