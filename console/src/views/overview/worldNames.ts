import type { FeatureCollection, Geometry } from 'geojson';

/** The properties world-atlas gives each country. */
export type CountryProps = { name: string };

/** The country outlines, as worldGeometry.ts registers them. */
export type World = FeatureCollection<Geometry, CountryProps>;

/** The echarts map name the overview registers. */
export const WORLD_MAP = 'world';
