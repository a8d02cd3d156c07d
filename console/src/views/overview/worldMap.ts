import type { EChartsCoreOption } from 'echarts/core';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { SEVERITY_COLOURS, type AlertStatsResponse } from './overviewApi';
import { WORLD_MAP, type CountryProps, type World } from './worldNames';

export { WORLD_MAP, type CountryProps, type World } from './worldNames';

type CountryFeature = Feature<Polygon | MultiPolygon, CountryProps>;


/**
 * Loads the country outlines (about 100 KB) and registers them with echarts as {@link WORLD_MAP}:
 * a chunk of its own, fetched once when the overview first draws the map.
 */
export async function loadWorld(): Promise<World> {
  return (await import('./worldGeometry')).WORLD;
}

function ringContains(ring: readonly (readonly number[])[], lon: number, lat: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi = 0, yi = 0] = ring[i] ?? [];
    const [xj = 0, yj = 0] = ring[j] ?? [];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The country (feature name) whose outline holds the point, by even-odd ray casting over all rings. */
export function countryAt(lon: number, lat: number, world: World): string | undefined {
  for (const f of world.features as CountryFeature[]) {
    const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [];
    for (const polygon of polygons) {
      let inside = false;
      for (const ring of polygon) if (ringContains(ring, lon, lat)) inside = !inside;
      if (inside) return f.properties.name;
    }
  }
  return undefined;
}

const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region' });

/** "US (United States)"; the code alone when the runtime has no name for it. */
export function countryLabel(code: string | undefined): string {
  if (!code) return 'unknown country';
  try {
    const name = REGION_NAMES.of(code);
    return name && name !== code ? `${code} (${name})` : code;
  } catch {
    return code;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** echarts puts tooltip text in as HTML: API strings go through this first. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** One located source as the scatter series holds it. */
export interface SourcePoint {
  readonly name: string;
  readonly value: [number, number, number];
  readonly country?: string;
}

const PALETTE = {
  light: { land: '#e9ecef', border: '#adb5bd', shaded: '#ffd8a8', hover: '#dee2e6', point: SEVERITY_COLOURS.critical, text: '#212529' },
  dark: { land: '#2c2e33', border: '#5c5f66', shaded: '#5f3b16', hover: '#373a40', point: SEVERITY_COLOURS.high, text: '#c1c2c5' },
} as const;

/**
 * The world map of the top sources: the countries as an echarts `geo` (shaded where a source
 * lies), the located sources as a scatter sized by alert count, a tooltip with address, country
 * and alerts. Sources without coordinates (private addresses) are left off. `world` must be the
 * outlines {@link loadWorld} registered.
 */
export function worldMapOption(stats: Pick<AlertStatsResponse, 'topSources'>, scheme: 'light' | 'dark', world: World): EChartsCoreOption {
  const colours = PALETTE[scheme];
  const located = stats.topSources.filter((s): s is typeof s & { lat: number; lon: number } => typeof s.lat === 'number' && typeof s.lon === 'number');
  const most = Math.max(1, ...located.map((s) => s.alerts));
  const shaded = [...new Set(located.map((s) => countryAt(s.lon, s.lat, world)).filter((name): name is string => name !== undefined))];
  const points: SourcePoint[] = located.map((s) => ({ name: s.ip, value: [s.lon, s.lat, s.alerts], ...(s.country ? { country: s.country } : {}) }));
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p: { componentType?: string; name?: string; data?: SourcePoint }) => {
        if (p.componentType === 'series' && p.data) {
          const alerts = p.data.value[2];
          return `${escapeHtml(p.data.name)}<br/>${escapeHtml(countryLabel(p.data.country))}<br/>${alerts} alert${alerts === 1 ? '' : 's'}`;
        }
        return escapeHtml(p.name ?? '');
      },
    },
    geo: {
      map: WORLD_MAP,
      roam: true,
      scaleLimit: { min: 1, max: 8 },
      top: 4,
      bottom: 4,
      left: 4,
      right: 4,
      silent: false,
      itemStyle: { areaColor: colours.land, borderColor: colours.border, borderWidth: 0.5 },
      emphasis: { label: { show: false }, itemStyle: { areaColor: colours.hover } },
      select: { disabled: true },
      regions: shaded.map((name) => ({ name, itemStyle: { areaColor: colours.shaded } })),
    },
    series: [
      {
        name: 'Top sources',
        type: 'scatter',
        coordinateSystem: 'geo',
        data: points,
        symbolSize: (value: [number, number, number]) => 6 + 12 * Math.sqrt(value[2] / most),
        itemStyle: { color: colours.point, opacity: 0.85, borderColor: colours.text, borderWidth: 0.5 },
        emphasis: { scale: 1.3 },
        zlevel: 1,
      },
    ],
  };
}
