import { GeoComponent } from 'echarts/components';
import { registerMap, use as registerEcharts } from 'echarts/core';
import type { FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
// Natural Earth 1:110m countries (world-atlas, ISC). This module is only ever imported
// dynamically (loadWorld in worldMap.ts), so the outlines are a chunk of their own that the
// overview fetches when it draws the map: neither the first load nor the overview's own chunk
// carries them.
import countries110m from 'world-atlas/countries-110m.json';
import { WORLD_MAP, type CountryProps } from './worldNames';

const topology = countries110m as unknown as Topology<{ countries: GeometryCollection<CountryProps> }>;

/**
 * A ring that crosses the antimeridian (Russia, Fiji: world-atlas keeps them whole, for spherical
 * renderers) would draw a line across the whole flat map: its points on the minority side are
 * pinned to the ±180° edge instead.
 */
function pinToEdge(ring: number[][]): number[][] {
  if (!ring.some((p, i) => i > 0 && Math.abs((p[0] ?? 0) - (ring[i - 1]?.[0] ?? 0)) > 180)) return ring;
  const east = ring.filter((p) => (p[0] ?? 0) >= 0).length >= ring.length / 2;
  return ring.map(([lon = 0, lat = 0]) => (east && lon < 0 ? [180, lat] : !east && lon > 0 ? [-180, lat] : [lon, lat]));
}

function flatten(geometry: Geometry): Geometry {
  if (geometry.type === 'Polygon') return { ...geometry, coordinates: geometry.coordinates.map(pinToEdge) };
  if (geometry.type === 'MultiPolygon') return { ...geometry, coordinates: geometry.coordinates.map((polygon) => polygon.map(pinToEdge)) };
  return geometry;
}

/** The countries as GeoJSON (Antarctica left out: no sources there, and it takes a fifth of the height). */
export const WORLD: FeatureCollection<Geometry, CountryProps> = (() => {
  const all: FeatureCollection<Geometry, CountryProps> = feature<CountryProps>(topology, topology.objects.countries);
  return { ...all, features: all.features.filter((f) => f.properties.name !== 'Antarctica').map((f) => ({ ...f, geometry: flatten(f.geometry) })) };
})();

registerEcharts([GeoComponent]);
registerMap(WORLD_MAP, WORLD as unknown as Parameters<typeof registerMap>[1]);
