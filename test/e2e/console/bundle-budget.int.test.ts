import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

/**
 * What the browser must download before the console can draw anything: the entry script and every
 * module it preloads, gzipped as the API serves them. Views and heavy libraries (charts, the map,
 * the YAML editor) belong in lazily loaded chunks (react-router's `lazy` routes); a budget breach
 * says one of them leaked into the first load. Measured: {@link MEASURED}.
 */
const JS_BUDGET_GZ = 250 * 1024;
const CSS_BUDGET_GZ = 60 * 1024;
const MEASURED =
  '2026-11-24: 487 KB gz with every view in the entry; 194 KB gz with route-level lazy loading; CSS 37 KB gz. ' +
  'Later: 195 KB gz first load, with ECharts (236 KB gz) and the world map (39 KB gz) in chunks of their own';

/**
 * The heavy libraries that console/vite.config.ts puts in named chunks, each with a string found in
 * that library's code only, to prove no other chunk carries a copy.
 */
const HEAVY = [
  { chunk: 'echarts', marker: '__ec_inner_' },
  { chunk: 'world-map', marker: 'Fr. S. Antarctic Lands' },
] as const;

function firstLoad(html: string): { js: string[]; css: string[] } {
  const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]+)"`).exec(tag)?.[1];
  const js: string[] = [];
  const css: string[] = [];
  for (const [tag] of html.matchAll(/<(script|link)\b[^>]*>/g)) {
    if (tag.startsWith('<script')) {
      const src = attr(tag, 'src');
      if (src) js.push(src);
    } else if (attr(tag, 'rel') === 'modulepreload') js.push(attr(tag, 'href') as string);
    else if (attr(tag, 'rel') === 'stylesheet') css.push(attr(tag, 'href') as string);
  }
  return { js, css };
}

function gzipped(files: readonly string[]): number {
  return files.reduce((sum, file) => sum + gzipSync(readFileSync(join(CONSOLE_DIST, file.replace(/^\//, '')))).length, 0);
}

describe('console first-load budget', () => {
  let html = '';
  beforeAll(() => {
    ensureConsoleBuilt();
    html = readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8');
  }, 120_000);

  it(`keeps the entry script and its modulepreloads under ${JS_BUDGET_GZ / 1024} KB gzipped`, () => {
    const { js } = firstLoad(html);
    expect(js.length, html).toBeGreaterThan(0);
    for (const file of js) expect(statSync(join(CONSOLE_DIST, file.replace(/^\//, ''))).isFile(), file).toBe(true);
    const size = gzipped(js);
    console.info(`console first-load JS: ${(size / 1024).toFixed(1)} KB gzipped in ${js.length} file(s)`);
    expect(size, `first-load JS ${js.join(', ')} (measured ${MEASURED}): split views and charts out with lazy routes`).toBeLessThanOrEqual(JS_BUDGET_GZ);
  });

  it(`keeps the first-load CSS under ${CSS_BUDGET_GZ / 1024} KB gzipped`, () => {
    const { css } = firstLoad(html);
    const size = gzipped(css);
    console.info(`console first-load CSS: ${(size / 1024).toFixed(1)} KB gzipped in ${css.length} file(s)`);
    expect(size).toBeLessThanOrEqual(CSS_BUDGET_GZ);
  });

  for (const { chunk, marker } of HEAVY) {
    it(`loads ${chunk} lazily from one chunk of its own, copied into no other chunk`, () => {
      const assets = readdirSync(join(CONSOLE_DIST, 'assets')).filter((file) => file.endsWith('.js'));
      const own = assets.filter((file) => file.startsWith(`${chunk}-`));
      expect(own, assets.join(', ')).toHaveLength(1);
      const sizeGz = gzipped([`assets/${own[0] as string}`]);
      console.info(`console ${chunk} chunk: ${(sizeGz / 1024).toFixed(1)} KB gzipped`);
      const holders = assets.filter((file) => readFileSync(join(CONSOLE_DIST, 'assets', file), 'utf8').includes(marker));
      expect(holders).toEqual(own);
      const { js } = firstLoad(html);
      expect(js.filter((file) => file.includes(`/${chunk}-`))).toEqual([]);
      // Nor pulled in by the entry: a static import would load it before the first view.
      for (const file of js) expect(readFileSync(join(CONSOLE_DIST, file.replace(/^\//, '')), 'utf8')).not.toMatch(new RegExp(`from\\s*"\\./${chunk}-`));
    });
  }
});
