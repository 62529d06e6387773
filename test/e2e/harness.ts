/**
 * What every end-to-end test of the window does the same way: `lethe serve` started on a
 * data directory and its HTTP bridge called as the window calls it, Debian's Chromium
 * launched with a page that collects console errors, screenshots at 1440 and 900 px,
 * the accessible-name check and PrimeVue's Select driven like a user. The tests need
 * `npm run build` (serve hands out the built renderer) and /usr/bin/chromium.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { requirement } from '../requirements.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshots go. */
export const shots = path.resolve('test-output/e2e');
/** Roles a user operates: each needs a name a screen reader can say. */
const CONTROL_ROLES = new Set(['button', 'link', 'checkbox', 'combobox', 'textbox', 'tab', 'radio', 'switch', 'slider', 'spinbutton', 'listbox', 'menuitem', 'option', 'searchbox']);

/** Registers the check that Chromium is there where it is required; `skip` where it is missing and not. */
export const chromiumRequirement = () => requirement('chromium', 'Chromium', fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} does not exist (apt-get install chromium)`);

/** The environment the tests run Lethe in: the wasm backend, the same everywhere. */
export const letheEnv = { ...process.env, LETHE_BACKEND: 'wasm' };

const execFileAsync = promisify(execFile);
/** Runs a `lethe` command to its end, as a user would from the shell. */
export const lethe = (args: string[]) => execFileAsync(process.execPath, ['bin/lethe.mjs', ...args], { env: letheEnv });

export interface Bridge {
  server: ChildProcess;
  /** The address serve prints, with the one-time token. */
  url: string;
  /** The address without the token. */
  base: string;
  token: string;
  /** Calls the service over the bridge, as the window does. */
  call: <T>(method: string, ...args: unknown[]) => Promise<T>;
}

/** Starts `lethe serve` on the data directory and waits for the address it prints. */
export async function serve(dataDir: string): Promise<Bridge> {
  const server = spawn(process.execPath, ['bin/lethe.mjs', 'serve', '--json', '--data-dir', dataDir], { env: letheEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`lethe serve exited with ${code}`)));
  });
  const { url, token } = JSON.parse(firstLine) as { url: string; token: string };
  const base = url.replace(/\/\?token=.*/, '');
  async function call<T>(method: string, ...args: unknown[]): Promise<T> {
    const response = await fetch(new URL(`/api/call/${method}`, base), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(args) });
    const body = (await response.json()) as { result: T; error?: string };
    if (!response.ok) throw new Error(body.error);
    return body.result;
  }
  return { server, url, base, token, call };
}

export const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

/** A 1440 x 900 page in a context of its own whose console errors and uncaught exceptions land in `errors`. */
export async function watchedPage(browser: Browser, errors: string[], options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

export async function closeAll(browser: Browser | undefined, server: ChildProcess | undefined): Promise<void> {
  await browser?.close();
  server?.kill('SIGTERM');
}

/** Screenshots at full width and at 900 px; at 900 the page must not scroll sideways. */
export async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(shots, { recursive: true });
  await page.waitForTimeout(300); // let the charts finish their resize animation frame
  await page.screenshot({ path: path.join(shots, `${name}-1440.png`), fullPage: true });
  await page.setViewportSize({ width: 900, height: 900 });
  await page.waitForTimeout(300);
  expect(await page.locator('html').evaluate((html) => html.scrollWidth), `${name} overflows at 900 px`).toBeLessThanOrEqual(900);
  await page.screenshot({ path: path.join(shots, `${name}-900.png`), fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Every control in the accessibility tree has a name. */
export async function expectNamedControls(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; backendDOMNodeId?: number }[] };
  const unnamed = nodes.filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value ?? '') && !n.name?.value?.trim());
  await cdp.detach();
  expect(unnamed.map((n) => `${n.role?.value} #${n.backendDOMNodeId}`)).toEqual([]);
}

/** Picks an option of a PrimeVue Select: its options open in an overlay, which closes once one is picked. */
export async function choose(page: Page, select: Locator, option: string | RegExp): Promise<void> {
  const overlay = page.locator('.p-select-overlay');
  await select.click();
  await overlay.getByRole('option', { name: option, exact: true }).click();
  await expect.poll(() => overlay.count()).toBe(0);
}

/**
 * A real study small enough for a test: the MNIST MLP, FT and RAUL-UniDist-UPGrad, two
 * seeds, one-epoch schedules, boundary accuracy the only extra check.
 */
export const tinyMnistStudy = (name: string, { description, batchSize }: { description?: string; batchSize: number }) => `name: ${name}
${description ? `description: ${description}\n` : ''}dataset: mnist
model: mlp
original: { epochs: 1, batchSize: ${batchSize}, lr: 0.05, seed: 0 }
forget: { kind: random, percent: 10, seed: 1 }
seeds: [1, 2]
evaluation: { relearn: false, pgd: false, boundary: true }
methods:
  - { label: FT, method: ft, epochs: 1 }
  - { label: RAUL-UniDist-UPGrad, method: raul, reference: uniform, aggregator: upgrad, epochs: 1 }
`;
