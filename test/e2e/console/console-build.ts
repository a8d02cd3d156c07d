import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;
/** The built console the API role serves at `/`. */
export const CONSOLE_DIST = join(ROOT, 'dist', 'console');
const SOURCES = [join(ROOT, 'console', 'src'), join(ROOT, 'console', 'index.html'), join(ROOT, 'console', 'vite.config.ts')];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const item of readdirSync(path)) latest = Math.max(latest, newest(join(path, item)));
  return latest;
}

/**
 * Builds the console into dist/console (as `npm run build` does) when it is missing or older than
 * its sources, so the end-to-end tests always drive the code under test.
 */
export function ensureConsoleBuilt(): void {
  const index = join(CONSOLE_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...SOURCES.map(newest))) return;
  const vite = join(dirname(createRequire(join(ROOT, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', join(ROOT, 'console', 'vite.config.ts'), '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    // vitest sets NODE_ENV=test, which Vite would honour with React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
