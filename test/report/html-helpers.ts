// Helpers of the report tests. Opens a page from disk in Debian's Chromium, headless,
// with a fresh profile, and records what a reader's browser would complain about:
// console errors, page errors, and any request that is not for a local file (a report
// must need no network). Makes run directories from recorded results.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { writeCsvFiles } from '../../lab/report/csv.ts';
import { readResults, type Results } from '../../lab/report/results.ts';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

export interface OpenedPage {
  page: Page;
  consoleErrors: string[];
  networkRequests: string[];
  close(): Promise<void>;
}

export async function openFromDisk(file: string, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'mplab-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors: string[] = [];
    const networkRequests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      networkRequests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const opened = context;
    return {
      page,
      consoleErrors,
      networkRequests,
      async close() {
        await opened.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

/** Share of a canvas's pixels that something was drawn on (alpha > 0). */
export async function inkedShare(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let inked = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++;
    return inked / (c.width * c.height);
  });
}

export const FIXTURE_RUNS = path.resolve(import.meta.dirname, '../fixtures/runs');
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../reports/screenshots');

/**
 * A run directory in a temp dir (removed at teardown) made from a recorded results.json,
 * with the CSV files the runner writes next to it (by the runner's own code).
 */
export async function runDirFrom(t: { teardown(fn: () => Promise<void>): void }, results: Results, parent?: string): Promise<string> {
  const dir = parent ?? (await mkdtemp(path.join(os.tmpdir(), 'mplab-run-')));
  if (!parent) t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'results.json'), JSON.stringify(results));
  await writeCsvFiles(dir, results);
  return dir;
}

export async function fixture(name: string): Promise<Results> {
  return readResults(path.join(FIXTURE_RUNS, `${name}.json`));
}
