import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type LaunchOptions, type Page } from 'playwright-core';

/** Debian's Chromium, never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const LAUNCH: LaunchOptions = {
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  timeout: 30_000,
};

/** Why Chromium cannot run here, or undefined when it launches. */
export async function probeChromium(): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found`;
  try {
    const browser = await chromium.launch(LAUNCH);
    await browser.close();
    return undefined;
  } catch (error) {
    return `${CHROMIUM} did not launch: ${String(error).split('\n')[0]}`;
  }
}

/** A page of a dashboard browser, with what went wrong on it: page errors and Content Security Policy refusals. */
export interface WatchedPage {
  page: Page;
  problems: string[];
}

export interface DashboardBrowser {
  context: BrowserContext;
  /** A new page whose errors and CSP refusals are collected in `problems` (a test expects it empty). */
  newPage(): Promise<WatchedPage>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Debian's Chromium with a fresh profile of its own (`--user-data-dir` under the temporary
 * directory), so no cookie or cache of another run leaks in.
 *
 * @example
 * const browser = await openDashboardBrowser('dashboard-lists', { width: 390, height: 900 });
 * const { page, problems } = await browser.newPage();
 */
export async function openDashboardBrowser(name: string, viewport: { width: number; height: number } = { width: 1280, height: 1000 }): Promise<DashboardBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, { ...LAUNCH, viewport });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      return { page, problems };
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Signs `page` in to the dashboard at `baseUrl` with an API token, landing on the overview. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/dashboard/sign-in`);
  await page.locator('#token').fill(token);
  await page.locator('#sign-in-button').click();
  await page.waitForURL(`${baseUrl}/dashboard`);
}
