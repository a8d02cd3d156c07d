import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderView } from '../../test/render';
import type { AlertStatsResponse } from './overviewApi';
import { FIRST_RATE_MS } from './IngestHealth';
import { basisOf, OverviewView } from './OverviewView';
import { parseSourceCounters } from './overviewApi';
import { countryAt, escapeHtml, worldMapOption, type SourcePoint } from './worldMap';
import { WORLD } from './worldGeometry';
import { expectNoAxeViolations } from '../../test/axe';

const zero = { informational: 0, low: 0, medium: 0, high: 0, critical: 0 };
const STATS: AlertStatsResponse = {
  from: '2026-02-01T00:00:00.000Z',
  to: '2026-02-02T00:00:00.000Z',
  bucket: '15m',
  buckets: [
    { start: '2026-02-01T00:00:00.000Z', counts: { ...zero, high: 2 } },
    { start: '2026-02-01T00:15:00.000Z', counts: { ...zero, low: 1 } },
  ],
  total: 3,
  scanned: 3,
  truncated: false,
  topRules: [
    { ruleId: 'ssh-brute-force', ruleTitle: 'SSH brute force', alerts: 2, matches: 40, severity: 'high' },
    { ruleId: 'port-scan', ruleTitle: 'Port scan', alerts: 1, matches: 1, severity: 'low' },
  ],
  topSources: [
    { ip: '8.8.8.8', alerts: 4, country: 'US', lat: 37.751, lon: -97.822 },
    { ip: '145.100.1.1', alerts: 1, country: 'NL', lat: 52.4, lon: 4.9 },
    { ip: '10.0.0.5', alerts: 2 },
  ],
  incidents: { open: 4 },
};

const metrics = (received: number) => [
  '# TYPE watchpost_source_received_total counter',
  `watchpost_source_received_total{source="syslog-udp"} ${received}`,
  'watchpost_source_failed_total{source="syslog-udp"} 3',
  'watchpost_source_dropped_total{source="syslog-udp",reason="queue_full"} 2',
  'watchpost_source_dropped_total{source="syslog-udp",reason="too_large"} 1',
].join('\n');
const METRICS = metrics(120);

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function mockApi(statsResponse: () => Response) {
  let readings = 0;
  const fetchMock = vi.fn(async (input: string) => {
    const url = new URL(input, 'http://localhost');
    if (url.pathname === '/api/v1/alerts/stats') return statsResponse();
    if (url.pathname === '/api/v1/incidents') return json({ items: [{ id: 'inc-1' }, { id: 'inc-2' }], nextCursor: 'c2' });
    // The received counter grows by 20 between readings.
    if (url.pathname === '/metrics') return new Response(metrics(120 + 20 * readings++), { status: 200 });
    if (url.pathname === '/api/v1/alerts') return json({ items: [], total: 0 });
    return json({ error: 'not_found', message: `unexpected ${url.pathname}` }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('OverviewView', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('renders the chart containers, the top rules, the counters and ingest health from the stats', async () => {
    const fetchMock = mockApi(() => json(STATS));
    renderView(<OverviewView />, '/?range=7d');
    const rules = await screen.findByRole('table', { name: 'Top rules by alerts' });
    const rows = within(rules).getAllByRole('row');
    expect(rows[1]?.textContent).toContain('SSH brute force');
    expect(within(rules).getByRole('link', { name: 'SSH brute force' }).getAttribute('href')).toBe('/alerts?rule=ssh-brute-force');
    expect(screen.getByRole('img', { name: /Alerts per 15m bucket by severity/ })).toBeTruthy();
    // The map's outlines are a chunk of their own: the map appears once they loaded.
    expect(await screen.findByRole('img', { name: 'World map of the top source addresses: 2 of 3 located' })).toBeTruthy();
    const sources = screen.getByRole('table', { name: 'Top source addresses by alerts' });
    expect(within(sources).getAllByRole('row')[1]?.textContent).toContain('US (United States)');
    expect(screen.getByRole('link', { name: 'Open incidents: 4' })).toBeTruthy();
    expect((await screen.findByRole('link', { name: 'SLA breaches (open incidents): 2+' })).getAttribute('href')).toContain('sla=breached');
    const health = await screen.findByRole('table', { name: 'Ingest health per source' });
    expect(within(health).getByText('syslog-udp')).toBeTruthy();
    expect(within(health).getAllByRole('cell').map((c) => c.textContent)).toEqual(['syslog-udp', 'measuring…', '120', '3', '3']);
    await expectNoAxeViolations();
    const statsCall = fetchMock.mock.calls.map(([u]) => new URL(u, 'http://localhost')).find((u) => u.pathname === '/api/v1/alerts/stats');
    const span = Date.parse(statsCall?.searchParams.get('to') ?? '') - Date.parse(statsCall?.searchParams.get('from') ?? '');
    expect(span).toBe(7 * 86_400_000);
  });

  it('says which alerts the figures are based on, singular and plural, and never "undefined"', async () => {
    mockApi(() => json({ ...STATS, total: 1, scanned: 1 }));
    const { container } = renderView(<OverviewView />, '/');
    expect(await screen.findByText('Based on the 1 most recent alert')).toBeTruthy();
    expect(container.textContent).not.toContain('undefined');
    expect(basisOf({ total: 3, scanned: 3, truncated: false })).toBe('Based on the 3 most recent alerts');
    expect(basisOf({ total: 12345, scanned: 5000, truncated: true })).toBe('Based on the 5,000 most recent of 12,345 alerts (capped)');
    expect(basisOf({ total: 0, scanned: 0, truncated: false })).toBe('No alerts in this range');
  });

  it('shows events/s from the second reading of /metrics, taken seconds after the first', async () => {
    mockApi(() => json(STATS));
    renderView(<OverviewView />, '/');
    const health = await screen.findByRole('table', { name: 'Ingest health per source' });
    expect(within(health).getByText('measuring…')).toBeTruthy();
    // 20 more events over about FIRST_RATE_MS: roughly 10/s.
    await vi.waitFor(() => expect(within(health).getAllByRole('cell')[1]?.textContent).toMatch(/^\d+\.\d$/), { timeout: FIRST_RATE_MS + 3000 });
    const perSecond = Number(within(health).getAllByRole('cell')[1]?.textContent);
    expect(perSecond).toBeGreaterThan(4);
    expect(perSecond).toBeLessThanOrEqual(20);
    expect(within(health).getAllByRole('cell')[2]?.textContent).toBe('140');
  }, 10_000);

  it('shows the API error message and an empty state', async () => {
    mockApi(() => json({ error: 'unavailable', message: 'this process has no case store' }, 503));
    renderView(<OverviewView />);
    expect((await screen.findAllByText('this process has no case store', {}, { timeout: 4000 })).length).toBeGreaterThan(0);
  });

  it('shows an empty state when no alert fired', async () => {
    mockApi(() => json({ ...STATS, buckets: [], total: 0, scanned: 0, topRules: [], topSources: [] }));
    renderView(<OverviewView />);
    expect(await screen.findByRole('heading', { name: 'No alerts in this range' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'No rules fired in this range' })).toBeTruthy();
  });

  it('builds the world map option: geo countries, shaded where sources are, scatter of located sources sized by alerts', () => {
    expect(WORLD.features.length).toBeGreaterThan(150);
    expect(countryAt(-97.822, 37.751, WORLD)).toBe('United States of America');
    expect(countryAt(4.9, 52.4, WORLD)).toBe('Netherlands');
    expect(countryAt(-30, 0, WORLD)).toBeUndefined();
    expect(countryAt(100, 60, WORLD)).toBe('Russia');
    expect(countryAt(178, -17.8, WORLD)).toBe('Fiji');
    // No ring jumps across the map (a line from +180 to -180 would cross the whole map).
    const jumps = WORLD.features.flatMap((f) => (f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates.flat() : f.geometry.type === 'Polygon' ? f.geometry.coordinates : []))
      .filter((ring) => ring.some((p, i) => i > 0 && Math.abs((p[0] ?? 0) - (ring[i - 1]?.[0] ?? 0)) > 180));
    expect(jumps).toEqual([]);
    const option = worldMapOption(STATS, 'light', WORLD) as {
      geo: { map: string; regions: { name: string }[]; itemStyle: { areaColor: string } };
      series: { type: string; coordinateSystem: string; data: SourcePoint[]; symbolSize: (v: [number, number, number]) => number }[];
      tooltip: { formatter: (p: unknown) => string };
    };
    expect(option.geo.map).toBe('world');
    expect(option.geo.regions.map((r) => r.name).sort()).toEqual(['Netherlands', 'United States of America']);
    const [scatter] = option.series;
    expect(scatter?.type).toBe('scatter');
    expect(scatter?.coordinateSystem).toBe('geo');
    expect(scatter?.data).toEqual([
      { name: '8.8.8.8', value: [-97.822, 37.751, 4], country: 'US' },
      { name: '145.100.1.1', value: [4.9, 52.4, 1], country: 'NL' },
    ]);
    expect(scatter?.symbolSize([0, 0, 4])).toBeGreaterThan(scatter?.symbolSize([0, 0, 1]) ?? Infinity);
    const tip = option.tooltip.formatter({ componentType: 'series', data: scatter?.data[0] });
    expect(tip).toBe('8.8.8.8<br/>US (United States)<br/>4 alerts');
    expect(option.tooltip.formatter({ componentType: 'series', data: { name: '<img src=x>', value: [0, 0, 1] } })).toBe('&lt;img src=x&gt;<br/>unknown country<br/>1 alert');
    expect(escapeHtml(`a&"'`)).toBe('a&amp;&quot;&#39;');
    const dark = worldMapOption(STATS, 'dark', WORLD) as { geo: { itemStyle: { areaColor: string } } };
    expect(dark.geo.itemStyle.areaColor).not.toBe(option.geo.itemStyle.areaColor);
  });

  it('parses per-source counters, summing drops over reasons', () => {
    expect(parseSourceCounters(METRICS)).toEqual([{ source: 'syslog-udp', received: 120, parsed: 0, failed: 3, dropped: 3 }]);
  });
});
