import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`deploy/dev/test-tools.sh` installs it); playwright-core drives it over CDP. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where screenshots go: a test artifact, kept after the run (git-ignored). */
export const SCREENSHOT_DIR = new URL('../../.test-results/screenshots/', import.meta.url).pathname;

/** A headless Chromium with its own throwaway profile. */
export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh context (own cookies) at 1280 × 800, the console's narrowest supported width. */
  newPage(options?: { readonly colorScheme?: 'dark' | 'light' }): Promise<{ context: BrowserContext; page: Page }>;
  /** Closes the browser (Playwright removes its profile directory). */
  close(): Promise<void>;
}

/**
 * Launches /usr/bin/chromium headless, without the network chatter a first run makes (component
 * updates, sync, QUIC). Playwright gives it a fresh --user-data-dir of its own (a temporary
 * `playwright_chromiumdev_profile-*` removed on close; it refuses one in `args`), and every
 * {@link TestBrowser.newPage} is a separate context with its own cookies.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'dark' });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return { context, page };
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/**
 * The few browser globals read inside `page.evaluate` (the server's tsconfig has no DOM library;
 * the cast is erased before Playwright serializes the function).
 */
export interface PageGlobals {
  readonly document: {
    readonly documentElement: { readonly scrollWidth: number; readonly scrollHeight: number; getAttribute(name: string): string | null };
  };
  readonly innerWidth: number;
  e2eMarker?: string;
}

/** The tallest screenshot kept: a page longer than this is cut (and is itself worth a look). */
const MAX_SCREENSHOT_HEIGHT = 2400;

/**
 * Saves a full-page screenshot (at most {@link MAX_SCREENSHOT_HEIGHT} px tall) as
 * .test-results/screenshots/<name>.png and returns its path.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  const size = await page.evaluate(() => {
    const { documentElement } = (globalThis as unknown as PageGlobals).document;
    return { width: documentElement.scrollWidth, height: documentElement.scrollHeight };
  });
  await page.screenshot({
    path,
    fullPage: true,
    animations: 'disabled',
    ...(size.height > MAX_SCREENSHOT_HEIGHT ? { clip: { x: 0, y: 0, width: size.width, height: MAX_SCREENSHOT_HEIGHT } } : {}),
  });
  return path;
}
