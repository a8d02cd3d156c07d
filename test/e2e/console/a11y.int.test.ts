import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type TestBrowser } from '../../helpers/browser.js';
import { signIn, startWatchpostServer, type ApiSession, type WatchpostServer } from '../../helpers/watchpost-server.js';
import { sendSyslog, settled, shown, signInThroughConsole, watchPage } from './fixture.js';

/**
 * The console's accessibility in Debian's Chromium against `watchpost start`: axe-core (injected
 * from its own package) over every view, signed in, in the dark and the light theme at 1280 × 800,
 * with colour contrast checked (the component tests cannot: jsdom computes no colours); a serious
 * or critical violation fails. Then a keyboard walk: the skip link is the first Tab stop, the
 * navigation follows, every navigation item shows a focus ring, and Enter on one navigates.
 * Screenshots of every view in both themes go to .test-results/screenshots/a11y-<theme>-<view>.png.
 */

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ATTACKER = '10.77.0.9';
const RULE_TITLE = 'SSH Brute Force From One Address';

type Theme = 'dark' | 'light';

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: { readonly target: unknown[]; readonly failureSummary?: string }[];
}

/** The browser globals read in page.evaluate (the server's tsconfig has no DOM library). */
interface AxeWindow {
  readonly axe: { run(context: unknown, options: unknown): Promise<{ violations: Violation[] }> };
  readonly document: {
    readonly documentElement: { getAttribute(name: string): string | null };
    readonly activeElement: FocusedElement | null;
    readonly body: FocusedElement;
  };
  getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string; outlineColor: string; boxShadow: string };
}
interface FocusedElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly id: string;
  getAttribute(name: string): string | null;
  closest(selector: string): unknown;
  blur(): void;
  focus(): void;
}

/** Runs axe over the whole page (every rule, colour contrast included); serious and critical findings, readable. */
async function axeFindings(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol: the console's CSP (script-src 'self') rightly refuses an
  // injected <script>, and the test must not weaken the policy it runs under.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const window = globalThis as unknown as AxeWindow;
    const result = await window.axe.run(window.document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`).join('\n')}`);
}

/** The focus ring as computed styles: what must differ between focused and not. */
async function ringOf(page: Page): Promise<string> {
  return page.evaluate(() => {
    const window = globalThis as unknown as AxeWindow;
    const style = window.getComputedStyle(window.document.activeElement);
    return `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow}`;
  });
}

async function active(page: Page): Promise<{ tag: string; text: string; inNav: boolean; href: string | null }> {
  return page.evaluate(() => {
    const element = (globalThis as unknown as AxeWindow).document.activeElement;
    return {
      tag: element?.tagName ?? '',
      text: (element?.textContent ?? '').trim(),
      inNav: element?.closest('nav') !== null && element?.closest('nav') !== undefined,
      href: element?.getAttribute('href') ?? null,
    };
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('console accessibility (axe-core in Chromium, both themes, keyboard)', () => {
  let server: WatchpostServer;
  let browser: TestBrowser;
  let admin: ApiSession;
  let alertId: string;
  let incidentId: string;
  const open: { context: BrowserContext; page: Page }[] = [];

  beforeAll(async () => {
    const [started, launched] = await Promise.allSettled([startWatchpostServer(), launchBrowser()]);
    if (started.status === 'fulfilled') server = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    admin = await signIn(server.baseUrl, 'admin', server.adminPassword);
    // Populated views: an alert from a real SSH brute force over syslog, in an incident.
    const lines = Array.from({ length: 12 }, (_, i) => `Failed password for root from ${ATTACKER} port ${42000 + i} ssh2`);
    await sendSyslog(server.syslogPort, lines, { tag: 'sshd', pid: 4343, protocol: 'tcp' });
    alertId = await until('the brute-force alert', async () => {
      const page = await admin.call<{ items: { id: string; ruleTitle: string }[] }>('GET', '/api/v1/alerts');
      return page.items.find((alert) => alert.ruleTitle === RULE_TITLE)?.id;
    });
    const created = await admin.call<{ incident: { id: string } }>('POST', '/api/v1/incidents', { title: `SSH brute force from ${ATTACKER}`, severity: 'high', alertIds: [alertId] });
    incidentId = created.incident.id;
  }, 180_000);

  afterEach(async (context) => {
    const last = open.at(-1);
    if (context.task.result?.state === 'fail' && last && !last.page.isClosed()) {
      await screenshot(last.page, `failed-a11y-${context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => undefined);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  /** A page in its own context with the console's stored theme set before the first script runs. */
  async function themedPage(theme: Theme): Promise<Page> {
    const opened = await browser.newPage({ colorScheme: theme });
    await opened.context.addInitScript((scheme: string) => {
      (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('watchpost-color-scheme', scheme);
    }, theme);
    open.push(opened);
    return opened.page;
  }

  const VIEWS = [
    { name: 'overview', path: () => '/', heading: /overview/i },
    { name: 'alerts', path: () => '/alerts', heading: /^alerts$/i },
    { name: 'alert-detail', path: () => `/alerts/${encodeURIComponent(alertId)}`, heading: new RegExp(RULE_TITLE, 'i') },
    { name: 'incidents', path: () => '/incidents', heading: /^incidents$/i },
    { name: 'incident-detail', path: () => `/incidents/${encodeURIComponent(incidentId)}`, heading: new RegExp(ATTACKER.replace(/\./g, '\\.')) },
    { name: 'search', path: () => '/search', heading: /search/i },
    { name: 'rules', path: () => '/rules', heading: /rules/i },
    { name: 'response', path: () => '/response', heading: /response/i },
    { name: 'reports', path: () => '/reports', heading: /reports/i },
    { name: 'settings', path: () => '/settings', heading: /settings/i },
  ] as const;

  for (const theme of ['dark', 'light'] as const) {
    it(`has no serious or critical axe violation on the sign-in page (${theme})`, async () => {
      const page = await themedPage(theme);
      await page.goto(`${server.baseUrl}/login`);
      await shown(page.getByRole('button', { name: /sign in/i }));
      expect(await page.evaluate(() => (globalThis as unknown as AxeWindow).document.documentElement.getAttribute('data-mantine-color-scheme'))).toBe(theme);
      await screenshot(page, `a11y-${theme}-login`);
      expect(await axeFindings(page)).toEqual([]);
    });

    it(`has no serious or critical axe violation on any view, signed in (${theme})`, async () => {
      const page = await themedPage(theme);
      const watched = watchPage(page);
      await signInThroughConsole(page, server.baseUrl, 'admin', server.adminPassword);
      const findings: string[] = [];
      for (const view of VIEWS) {
        await page.goto(`${server.baseUrl}${view.path()}`);
        await shown(page.getByRole('heading', { name: view.heading }), 20_000);
        await settled(page);
        expect(await page.evaluate(() => (globalThis as unknown as AxeWindow).document.documentElement.getAttribute('data-mantine-color-scheme'))).toBe(theme);
        await screenshot(page, `a11y-${theme}-${view.name}`);
        for (const finding of await axeFindings(page)) findings.push(`[${view.name}] ${finding}`);
      }
      expect(findings).toEqual([]);
      expect(watched.pageErrors).toEqual([]);
    }, 180_000);
  }

  it('reaches the skip link first, then the navigation; every item shows a focus ring; Enter navigates', async () => {
    const page = await themedPage('dark');
    await signInThroughConsole(page, server.baseUrl, 'admin', server.adminPassword);
    await page.goto(`${server.baseUrl}/incidents`);
    await shown(page.getByRole('heading', { name: /^incidents$/i }));
    await settled(page);

    await page.keyboard.press('Tab');
    const first = await active(page);
    expect(first).toMatchObject({ tag: 'A', text: 'Skip to content', href: '#main-content' });
    await screenshot(page, 'a11y-keyboard-skip-link');

    // The header's few controls, then the navigation items in order.
    const navLabels = ['Overview', 'Alerts', 'Incidents', 'Search', 'Rules', 'Response', 'Reports', 'Settings'];
    const before: string[] = [];
    let stop = await active(page);
    while (!stop.inNav) {
      await page.keyboard.press('Tab');
      stop = await active(page);
      if (!stop.inNav) before.push(stop.text || stop.tag);
      expect(before.length, `Tab stops before the navigation: ${before.join(', ')}`).toBeLessThanOrEqual(4);
    }
    const rings: string[] = [];
    for (const [index, label] of navLabels.entries()) {
      if (index > 0) {
        await page.keyboard.press('Tab');
        stop = await active(page);
      }
      expect(stop).toMatchObject({ tag: 'A', inNav: true });
      expect(stop.text).toBe(label);
      const focused = await ringOf(page);
      // The same element unfocused: blur it and read its styles again.
      const unfocused = await page.evaluate(() => {
        const window = globalThis as unknown as AxeWindow;
        const element = window.document.activeElement as FocusedElement;
        element.blur();
        const style = window.getComputedStyle(element);
        const ring = `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow}`;
        return ring;
      });
      expect(focused, `${label}: the focus ring must differ from the unfocused look`).not.toBe(unfocused);
      rings.push(focused);
      // Back to the item by keyboard, so :focus-visible applies again for the next Tab.
      await page.getByRole('navigation', { name: /main/i }).getByRole('link', { name: label, exact: true }).focus();
      if (index === 0) await screenshot(page, 'a11y-keyboard-nav-focus');
    }
    expect(rings).toHaveLength(navLabels.length);

    // Enter on a navigation item navigates.
    await page.getByRole('navigation', { name: /main/i }).getByRole('link', { name: 'Alerts', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/alerts');
    await shown(page.getByRole('heading', { name: /^alerts$/i }));

    // The skip link moves the focus to the main landmark.
    await page.goto(`${server.baseUrl}/incidents`);
    await shown(page.getByRole('heading', { name: /^incidents$/i }));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => (globalThis as unknown as AxeWindow).document.activeElement?.id)).toBe('main-content');
  }, 120_000);
});
