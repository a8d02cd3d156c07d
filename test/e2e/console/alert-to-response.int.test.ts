import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type PageGlobals, type TestBrowser } from '../../helpers/browser.js';
import { signIn, startWatchpostServer, type ApiSession, type WatchpostServer } from '../../helpers/watchpost-server.js';
import { brokenText, horizontalOverflow, openView, sendSyslog, settled, shown, signInThroughConsole, watchPage } from './fixture.js';

/**
 * An analyst's day in the console, in Debian's Chromium against `watchpost start`: an SSH brute
 * force sent over syslog during the test appears in the queue live, is acknowledged, linked into
 * a new incident and found again by search; the playbook it starts waits for approval (the source
 * is internal) and a second user with the approver role approves it in the Response view, after
 * which the address is really on the blocklist feed.
 */

const FEED_TOKEN = 'e2e-feed-token-0123456789abcdef';
const CONFIG = ['response:', '  drivers:', '    - id: blocklist', '      type: feed', `      credentials: { token: ${FEED_TOKEN} }`, ''].join('\n');
const ATTACKER = '10.66.0.7';
const RULE_TITLE = 'SSH Brute Force From One Address';
const INCIDENT_TITLE = `E2E: SSH brute force from ${ATTACKER}`;
const APPROVER = { username: 'e2e-approver', password: 'approver-e2e-password-1234' };

interface Alert {
  readonly id: string;
  readonly status: string;
  readonly ruleTitle: string;
  readonly incidentId?: string;
}
interface Run {
  readonly id: string;
  readonly status: string;
  readonly steps: readonly { readonly id: string; readonly status: string; readonly approvalReasons?: readonly string[] }[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('console: from a syslog line to an approved block', () => {
  let server: WatchpostServer;
  let browser: TestBrowser;
  let admin: ApiSession;
  let context: BrowserContext;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;
  let alertId: string;

  const alertOf = async (): Promise<Alert | undefined> =>
    (await admin.call<{ items: Alert[] }>('GET', '/api/v1/alerts')).items.find((alert) => alert.ruleTitle === RULE_TITLE);

  beforeAll(async () => {
    // Started together; whichever came up is kept so afterAll closes it even when the other failed.
    const [started, launched] = await Promise.allSettled([startWatchpostServer({ config: CONFIG }), launchBrowser()]);
    if (started.status === 'fulfilled') server = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    admin = await signIn(server.baseUrl, 'admin', server.adminPassword);
    await admin.call('POST', '/api/v1/users', { username: APPROVER.username, roles: ['approver'], password: APPROVER.password });
    ({ context, page } = await browser.newPage());
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

  it('shows an SSH brute force sent over syslog during the test in the queue, live, without a reload', async () => {
    const streams: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/v1/stream/alerts') streams.push(request.headers().accept ?? '');
    });
    await signInThroughConsole(page, server.baseUrl, 'admin', server.adminPassword);
    await openView(page, 'Alerts');
    await shown(page.getByText(/no alerts match/i));
    await shown(page.getByRole('status', { name: /live updates: live|live updates: connected/i }));
    // A marker in the page's window survives only if the page is never reloaded.
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).e2eMarker = 'same page';
    });

    const lines = Array.from({ length: 12 }, (_, i) => `Failed password for root from ${ATTACKER} port ${41000 + i} ssh2`);
    await sendSyslog(server.syslogPort, lines, { tag: 'sshd', pid: 4242, protocol: 'tcp' });

    // The queue inserts new alerts, or (when the analyst has a place to keep) offers to show them.
    const row = page.getByRole('link', { name: RULE_TITLE });
    const offer = page.getByRole('button', { name: /^show (it|them)$/i });
    await shown(row.or(offer), 30_000);
    if (await offer.isVisible()) await offer.click();
    await shown(row);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).e2eMarker)).toBe('same page');
    // It came over the server-sent event stream the queue holds open (the queue does not poll).
    expect(streams).toContain('text/event-stream');
    alertId = (await until('the alert in the API', alertOf)).id;
    await settled(page);
    await screenshot(page, 'alerts');
    expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
    expect(watched.pageErrors).toEqual([]);
  });

  it('acknowledges it from the queue', async () => {
    await page.getByRole('checkbox', { name: `Select alert ${RULE_TITLE} (${alertId})` }).check();
    await page.getByRole('toolbar', { name: /triage/i }).getByRole('button', { name: 'Acknowledge' }).click();
    const alert = await until('the alert to be acknowledged', async () => {
      const current = await alertOf();
      return current?.status === 'acknowledged' ? current : undefined;
    });
    expect(alert.status).toBe('acknowledged');
  });

  it('links it into a new incident', async () => {
    const before = (await alertOf())?.incidentId;
    const checkbox = page.getByRole('checkbox', { name: `Select alert ${RULE_TITLE} (${alertId})` });
    if ((await checkbox.count()) === 0) {
      // The default filter may hide acknowledged alerts: show every status.
      await page.goto(`${server.baseUrl}/alerts?status=new&status=acknowledged&status=in_progress&status=closed`);
    }
    if (!(await checkbox.isChecked())) await checkbox.check();
    await page.getByRole('toolbar', { name: /triage/i }).getByRole('button', { name: /link to incident/i }).click();
    const dialog = page.getByRole('dialog', { name: /link .* to an incident/i });
    await shown(dialog);
    await dialog.getByText('New incident', { exact: true }).click();
    await dialog.getByLabel(/incident title/i).fill(INCIDENT_TITLE);
    await dialog.getByRole('button', { name: 'Link', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    const linked = await until('the alert to be linked to a new incident', async () => {
      const current = await alertOf();
      return current?.incidentId !== undefined && current.incidentId !== before ? current : undefined;
    });
    const incident = await admin.call<{ title: string }>('GET', `/api/v1/incidents/${linked.incidentId}`);
    expect(incident.title).toBe(INCIDENT_TITLE);
  });

  it('explains the alert on its detail page: rule, author and the matched address', async () => {
    await page.goto(`${server.baseUrl}/alerts/${alertId}`);
    await shown(page.getByRole('heading', { name: RULE_TITLE }));
    await shown(page.getByText('Watchpost', { exact: true }));
    await shown(page.getByText(ATTACKER));
    await settled(page);
    await screenshot(page, 'alert-detail');
    expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
    expect(watched.pageErrors).toEqual([]);
  });

  it('lists the incident and shows the linked alert on its detail page', async () => {
    await openView(page, 'Incidents');
    const link = await shown(page.getByRole('link', { name: INCIDENT_TITLE }));
    await settled(page);
    await screenshot(page, 'incidents');
    expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
    await link.click();
    await shown(page.getByRole('heading', { name: INCIDENT_TITLE }));
    // The timeline records the link, by whom.
    await shown(page.getByText(`Alert "${RULE_TITLE}" linked`));
    await settled(page);
    await screenshot(page, 'incident-detail');
    expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
    await page.getByRole('tab', { name: /^alerts/i }).click();
    await shown(page.getByRole('table', { name: /alerts linked/i }).getByRole('link', { name: RULE_TITLE }));
    expect(watched.pageErrors).toEqual([]);
  });

  it('finds the failed logins by search', async () => {
    await openView(page, 'Search');
    const query = page.getByRole('search', { name: 'Event search' });
    await query.getByLabel(/query/i).fill(`source.ip:${ATTACKER} and event.outcome:failure`);
    await query.getByLabel(/query/i).press('Escape');
    await query.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('q')?.includes(ATTACKER) === true);
    const results = page.getByRole('table', { name: /events matching/i });
    await shown(results);
    await shown(results.getByText(`Failed password for root from ${ATTACKER}`, { exact: false }));
    await shown(page.getByText(/12 of 12/));
    await settled(page);
    await screenshot(page, 'search');
    expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
    expect(watched.pageErrors).toEqual([]);
  });

  it('draws the overview with the alert: over time, top rule, top source, ingest health', async () => {
    await openView(page, 'Overview');
    await shown(page.getByRole('heading', { name: /overview/i }));
    await settled(page);
    await shown(page.getByText(RULE_TITLE));
    await screenshot(page, 'overview-data');
    expect(await brokenText(page)).toEqual([]);
    expect(await horizontalOverflow(page), 'wider than 1280 px').toBe(0);
    expect(watched.pageErrors).toEqual([]);
  });

  it('lets an approver approve the waiting block step in the Response view; the address is then on the feed', async () => {
    const run = await until('the playbook run waiting for approval', async () =>
      (await admin.call<{ items: Run[] }>('GET', '/api/v1/runs')).items.find((item) => item.status === 'pending_approval'),
    );
    expect(run.steps[0]?.approvalReasons).toContain('internal-address');

    const approver = await browser.newPage();
    const approverErrors = watchPage(approver.page);
    try {
      await signInThroughConsole(approver.page, server.baseUrl, APPROVER.username, APPROVER.password);
      await openView(approver.page, 'Response');
      const approvals = approver.page.getByRole('table', { name: 'Pending approvals' });
      await shown(approvals.getByText(ATTACKER));
      await settled(approver.page);
      await screenshot(approver.page, 'response-approval');
      expect(await brokenText(approver.page)).toEqual([]);
      expect(await horizontalOverflow(approver.page), 'wider than 1280 px').toBe(0);

      await approvals.getByRole('button', { name: 'Approve block-ssh-brute-force step block' }).click();
      const done = await until(
        'the block step to run',
        async () => {
          const current = await admin.call<Run>('GET', `/api/v1/runs/${encodeURIComponent(run.id)}`);
          return ['pending_approval', 'queued', 'running'].includes(current.steps[0]?.status ?? 'queued') ? undefined : current;
        },
        30_000,
      );
      expect(done.steps[0]?.status).toBe('succeeded');
      // The real outcome: the feed the firewalls poll now lists the address.
      const feed = await fetch(`${server.baseUrl}/api/v1/feeds/blocklist`, { headers: { authorization: `Bearer ${FEED_TOKEN}` } });
      expect(await feed.text()).toContain(ATTACKER);

      // The view follows without a reload: the approval leaves the list, the block appears with
      // its time left (the blocks panel polls every 30 s, so allow for one poll).
      await shown(approver.page.getByText('No approvals pending'));
      await shown(approver.page.getByRole('table', { name: 'Active blocks' }).getByText(ATTACKER), 40_000);
      await settled(approver.page);
      await screenshot(approver.page, 'response');
      expect(await brokenText(approver.page)).toEqual([]);
      expect(await horizontalOverflow(approver.page), 'wider than 1280 px').toBe(0);
      expect(approverErrors.pageErrors).toEqual([]);
    } catch (error) {
      await screenshot(approver.page, 'failed-approver').catch(() => undefined);
      throw error;
    } finally {
      await approver.context.close();
    }
  }, 120_000);

  it('closes the admin session cleanly', async () => {
    await context.close();
  });
});
