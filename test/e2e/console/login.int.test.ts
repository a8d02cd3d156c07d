import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type PageGlobals, type TestBrowser } from '../../helpers/browser.js';
import { startWatchpostServer, type WatchpostServer } from '../../helpers/watchpost-server.js';
import { brokenText, horizontalOverflow, openView, settled, shown, signInThroughConsole, watchPage } from './fixture.js';

/**
 * The console end to end in Debian's Chromium against `watchpost start`: signing in (a wrong
 * password is refused, the printed admin password lands on the overview) and every screen of the
 * navigation drawing its heading without an uncaught error. Screenshots of each screen go to
 * .test-results/screenshots.
 */
describe('console: sign in and every screen', () => {
  let server: WatchpostServer;
  let browser: TestBrowser;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;

  beforeAll(async () => {
    // Started together; whichever came up is kept so afterAll closes it even when the other failed.
    const [started, launched] = await Promise.allSettled([startWatchpostServer(), launchBrowser()]);
    if (started.status === 'fulfilled') server = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    ({ page } = await browser.newPage());
    watched = watchPage(page);
  }, 150_000);

  afterEach(async (context) => {
    // A failed step leaves a picture of what the browser showed.
    if (context.task.result?.state === 'fail' && page && !page.isClosed()) {
      await screenshot(page, `failed-${context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => undefined);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it('sends a signed-out visitor to the login page, which refuses a wrong password', async () => {
    await page.goto(`${server.baseUrl}/alerts`);
    await page.waitForURL(/\/login/);
    await shown(page.getByRole('button', { name: /sign in/i }));
    await screenshot(page, 'login');
    await page.getByLabel(/user ?name/i).fill('admin');
    await page.getByLabel(/^password/i).fill('not-the-password');
    await page.getByRole('button', { name: /sign in/i }).click();
    await shown(page.getByRole('alert'));
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('signs in as admin with the password printed at the first start and lands on the overview', async () => {
    await signInThroughConsole(page, server.baseUrl, 'admin', server.adminPassword);
    expect(new URL(page.url()).pathname).toBe('/');
    await shown(page.getByRole('heading', { name: /overview/i }));
    await settled(page);
    await screenshot(page, 'overview');
    expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
    expect(watched.pageErrors).toEqual([]);
  });

  const SCREENS = [
    { label: 'Alerts', path: '/alerts', heading: /alerts/i, shot: 'alerts-empty' },
    { label: 'Incidents', path: '/incidents', heading: /incidents/i, shot: 'incidents-empty' },
    { label: 'Search', path: '/search', heading: /search/i, shot: 'search-empty' },
    { label: 'Rules', path: '/rules', heading: /rules/i, shot: 'rules' },
    { label: 'Response', path: '/response', heading: /response/i, shot: 'response-empty' },
    { label: 'Reports', path: '/reports', heading: /reports/i, shot: 'reports' },
    { label: 'Settings', path: '/settings', heading: /settings/i, shot: 'settings' },
  ] as const;

  for (const screen of SCREENS) {
    it(`opens ${screen.label} from the navigation with its heading and no error`, async () => {
      await openView(page, screen.label);
      await page.waitForURL((url) => url.pathname === screen.path);
      await shown(page.getByRole('heading', { name: screen.heading }).first());
      await settled(page);
      const errors = await page.getByRole('alert').allInnerTexts();
      await screenshot(page, screen.shot);
      expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
      // A view with nothing to show says so; an API error is an alert and fails the test.
      expect(errors.filter((text) => /could not|error|failed/i.test(text))).toEqual([]);
      expect(watched.pageErrors).toEqual([]);
    });
  }

  it('switches to the light theme and keeps it across a reload', async () => {
    await openView(page, 'Overview');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    await shown(page.getByRole('button', { name: 'Switch to dark theme' }));
    await page.reload();
    await shown(page.getByRole('heading', { name: /overview/i }));
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.getAttribute('data-mantine-color-scheme'))).toBe('light');
    await settled(page);
    await screenshot(page, 'overview-light');
    await openView(page, 'Alerts');
    await settled(page);
    await screenshot(page, 'alerts-light');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  });

  it('keeps the session on reload and signs out', async () => {
    await page.goto(`${server.baseUrl}/incidents`);
    await shown(page.getByRole('heading', { name: /incidents/i }));
    await page.reload();
    await shown(page.getByRole('heading', { name: /incidents/i }));
    expect(new URL(page.url()).pathname).toBe('/incidents');
    await page.getByRole('button', { name: /^account: /i }).click();
    await (await shown(page.getByRole('menuitem', { name: /sign out/i }))).click();
    await page.waitForURL(/\/login/);
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
    expect(me).toBe(401);
  });
});
