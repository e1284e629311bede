// Headless Chromium (Debian's package, driven by playwright-core) for the report tests: a
// fresh profile, networking off, and what a page did wrong (console errors, page errors) and
// asked for (every request), so each test asserts a self-contained page.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { skipUnless } from './required-tools.js';

export const CHROMIUM = process.env.LOCO_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The skip reason when Chromium is missing (a failure under LOCO_REQUIRE_TOOLS). */
export function chromiumSkip(): string | false {
  return skipUnless(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install chromium)`);
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** Console and page errors so far. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** The file's own URL, the one request a self-contained page makes. */
  url: string;
}

/** Opens a local HTML file and runs `check` on it; the browser and its profile go away after. */
export async function withReportPage(file: string, check: (opened: OpenedPage) => Promise<void>): Promise<void> {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'loco-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    await check({ page, context, problems, requests, url });
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}
