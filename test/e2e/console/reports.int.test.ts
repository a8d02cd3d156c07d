import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type TestBrowser } from '../../helpers/browser.js';
import { signIn, startWatchpostServer, type WatchpostServer } from '../../helpers/watchpost-server.js';
import { ensureConsoleBuilt } from './console-build.js';
import { brokenText, horizontalOverflow, openView, settled, shown, signInThroughConsole, watchPage } from './fixture.js';

/**
 * The weekly report end to end, in Debian's Chromium against `watchpost start`: an admin opens
 * Reports, generates last week's report, sees it become ready (the worker of the same process runs
 * the job), and downloads a real PDF through the row's link. The request is in the audit log.
 * Screenshots in both themes go to .test-results/screenshots.
 */

/** Generating runs on the worker: gathering, charts and the PDF take seconds; the console waits up to 2 minutes. */
const READY_TIMEOUT_MS = 125_000;

interface AuditPage {
  readonly items: readonly { readonly actor: string; readonly action: string; readonly target: { readonly id: string }; readonly details?: { readonly after?: Record<string, unknown> } }[];
}

describe('console: generate and download the weekly report', () => {
  let server: WatchpostServer;
  let browser: TestBrowser;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;
  let week: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    // Started together; whichever came up is kept so afterAll closes it even when the other failed.
    const [started, launched] = await Promise.allSettled([startWatchpostServer(), launchBrowser()]);
    if (started.status === 'fulfilled') server = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    ({ page } = await browser.newPage());
    watched = watchPage(page);
  }, 300_000);

  afterEach(async (context) => {
    // A failed step leaves a picture of what the browser showed.
    if (context.task.result?.state === 'fail' && page && !page.isClosed()) {
      await screenshot(page, `failed-reports-${context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => undefined);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it('opens Reports with the generate form, last full week selected', async () => {
    await signInThroughConsole(page, server.baseUrl, 'admin', server.adminPassword);
    await openView(page, 'Reports');
    await page.waitForURL((url) => url.pathname === '/reports');
    await shown(page.getByRole('heading', { name: 'Reports', level: 1 }));
    await settled(page);
    const select = page.getByRole('combobox', { name: /week/i });
    week = await select.inputValue();
    expect(week).toMatch(/^\d{4}-W\d{2}$/);
    expect(await select.locator('option').count()).toBe(12);
    expect(await page.getByRole('checkbox', { name: /mail to recipients/i }).count(), 'an admin may mail the report').toBe(1);
    expect(watched.pageErrors).toEqual([]);
  });

  it('generates last week’s report and shows it ready', async () => {
    await page.getByRole('button', { name: 'Generate' }).click();
    await shown(page.getByText(`Generating the report for ${week}`));
    await shown(page.getByText(`Report ${week} is ready`), READY_TIMEOUT_MS);
    const row = page.getByRole('table', { name: 'Past reports' }).getByRole('row').filter({ hasText: week });
    await shown(row.getByText('ready', { exact: true }));
    await settled(page);
    await screenshot(page, 'reports-generated');
    expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
    expect(watched.pageErrors).toEqual([]);
  }, READY_TIMEOUT_MS + 20_000);

  it('downloads the PDF from the row’s link', async () => {
    const link = page.getByRole('link', { name: new RegExp(`^Download report ${week}`) });
    // Keyboard: the link takes focus and Enter starts the download.
    await link.focus();
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toBe(`watchpost-weekly-${week}.pdf`);
    const path = await download.path();
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(1000);

    // The same route as the API serves it: an attachment, never cached or sniffed.
    const response = await page.request.get(`${server.baseUrl}/api/v1/reports/weekly.${week}/pdf`);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('application/pdf');
    expect(response.headers()['content-disposition']).toBe(`attachment; filename="watchpost-weekly-${week}.pdf"`);
    expect(response.headers()['cache-control']).toBe('private, no-store');
    expect(response.headers()['x-content-type-options']).toBe('nosniff');
    expect(Buffer.compare(await response.body(), bytes)).toBe(0);
  });

  it('keeps the report in the list and the request in the audit log', async () => {
    const admin = await signIn(server.baseUrl, 'admin', server.adminPassword);
    const list = await admin.call<{ items: { id: string; status: string; pages?: number; sizeBytes?: number }[] }>('GET', '/api/v1/reports');
    const report = list.items.find((item) => item.id === `weekly.${week}`);
    expect(report).toMatchObject({ status: 'ready' });
    expect(report?.pages).toBeGreaterThan(0);
    const audit = await admin.call<AuditPage>('GET', '/api/v1/audit?action=report.request');
    expect(audit.items.find((entry) => entry.target.id === `weekly.${week}`)).toMatchObject({ actor: 'admin', details: { after: { week, mail: false } } });
  });

  it('shows the list in the light theme as well', async () => {
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    await shown(page.getByRole('button', { name: 'Switch to dark theme' }));
    // Off the toggle, so its tooltip is not in the picture.
    await page.mouse.move(640, 780);
    await settled(page);
    await screenshot(page, 'reports-generated-light');
    expect(await brokenText(page)).toEqual([]);
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(watched.pageErrors).toEqual([]);
  });
});
