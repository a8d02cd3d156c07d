import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import type { PageGlobals } from '../../helpers/browser.js';

const run = promisify(execFile);

/**
 * Sends syslog lines to Watchpost with util-linux `logger`, one process per line (as a host's
 * syslog daemon forwards them), RFC 5424 with the program as the app name.
 */
export async function sendSyslog(
  port: number,
  lines: readonly string[],
  options: { readonly tag: string; readonly pid?: number; readonly protocol?: 'tcp' | 'udp'; readonly priority?: string },
): Promise<void> {
  const transport = options.protocol === 'udp' ? '-d' : '-T';
  for (const line of lines) {
    await run('logger', [
      '-n',
      '127.0.0.1',
      '-P',
      String(port),
      transport,
      '-t',
      options.tag,
      ...(options.pid !== undefined ? [`--id=${options.pid}`] : []),
      '-p',
      options.priority ?? 'auth.info',
      line,
    ]);
  }
}

/**
 * Uncaught exceptions in the page, collected so a test can assert there were none; console errors
 * are kept for the failure message (a 401 before signing in is one and is expected).
 */
export function watchPage(page: Page): { readonly pageErrors: string[]; readonly consoleErrors: string[] } {
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  return { pageErrors, consoleErrors };
}

/** Signs in through the console's login form, as a person does, and waits to leave /login. */
export async function signInThroughConsole(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel(/user ?name/i).fill(username);
  await page.getByLabel(/^password/i).fill(password);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** The navigation link of a view in the main navigation. */
export async function openView(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: /main/i }).getByRole('link', { name: label, exact: true }).click();
}

/** Waits until the locator shows (the default timeout of the page applies) and returns it. */
export async function shown(locator: Locator, timeout?: number): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', ...(timeout !== undefined ? { timeout } : {}) });
  return locator.first();
}

/**
 * Waits until the view has drawn its data: the network is quiet and no loading state (a
 * `role=status` that says Loading…, Checking…, Searching… or Counting…) is left on the page.
 */
export async function settled(page: Page, timeout = 20_000): Promise<void> {
  const loading = page.getByRole('status').filter({ hasText: /loading|checking|searching|counting/i });
  const deadline = Date.now() + timeout;
  // A client-side navigation renders its loading state a moment later: require a quiet spell.
  let quietSince = Date.now();
  while (Date.now() - quietSince < 600) {
    if (Date.now() > deadline) throw new Error(`the view was still loading after ${timeout} ms`);
    if ((await loading.count()) > 0) {
      await loading.first().waitFor({ state: 'detached', timeout: Math.max(1, deadline - Date.now()) });
      quietSince = Date.now();
    }
    await page.waitForTimeout(150);
  }
  await page.waitForLoadState('networkidle');
}

/** Text a view must never show: a value the code failed to format, or a library's internal error. */
const BROKEN_TEXT = /\bundefined\b|\bNaN\b|\[object Object\]|Invalid Date/;

/** The lines of the page's visible text that look broken ({@link BROKEN_TEXT}); empty when none. */
export async function brokenText(page: Page): Promise<string[]> {
  const text = await page.locator('body').innerText();
  return text.split('\n').filter((line) => BROKEN_TEXT.test(line));
}

/** How far the page is wider than its viewport (0 when it fits): the console is built for 1280 px and up. */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const window = globalThis as unknown as PageGlobals;
    return Math.max(0, window.document.documentElement.scrollWidth - window.innerWidth);
  });
}
