import { existsSync } from 'node:fs';
import { chromium, type LaunchOptions } from 'playwright-core';

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
