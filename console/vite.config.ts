import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';

/**
 * Heavy libraries get chunks of their own, named so that they stay cached across releases of the
 * views that use them: ECharts (with its renderer zrender), shared by the overview and the search
 * histogram, and the world map's outlines with the code that reads them. Neither is reachable
 * from the entry: views are lazy routes, and the outlines are imported dynamically by the
 * overview. Only modules of these packages are placed, so nothing the entry needs (tslib, React)
 * is pulled into them, which would make the entry import them.
 */
const CHUNKS: readonly { readonly name: string; readonly packages: readonly string[] }[] = [
  { name: 'echarts', packages: ['echarts', 'zrender'] },
  { name: 'world-map', packages: ['world-atlas', 'topojson-client'] },
];

function manualChunks(id: string): string | undefined {
  return CHUNKS.find((chunk) => chunk.packages.some((pkg) => id.includes(`/node_modules/${pkg}/`)))?.name;
}

const config = {
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: { output: { manualChunks } },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
} satisfies UserConfig;

/**
 * The console's build: `npm run build` writes it to dist/console, which the API role serves at `/`.
 * `vite --config console/vite.config.ts` serves it for development with the API proxied.
 */
export default defineConfig(config);
