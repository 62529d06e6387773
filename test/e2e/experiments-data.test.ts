/**
 * Bringing data and marking what to forget from the window, in Debian's Chromium against
 * `lethe serve`, with real `drop` events (a DataTransfer built in the page holding Files):
 * a dataset dropped and imported (uploaded to the bridge's staging folder, removed after
 * use); the Datasets page with per-class counts and thumbnails; a CSV index list dropped,
 * its report seen, then saved; three PNGs (two samples rendered from the cache by the
 * service, one not) reported 2 matched / 1 unmatched with the unmatched one's thumbnail;
 * a random 5 % set saved from its preview with the previewed digest; a previewed list
 * discarded (its staged copy removed); and bad input (an
 * unsupported file, a corrupt image, indices out of range, a forget set of another
 * dataset, invalid form values) each shown next to its cause while every catalog row and
 * every file of the data directory stay as they were. Two small IDX datasets, no
 * training. Screenshots at 1440 and 900 px to test-output/e2e/. Needs `npm run build`
 * and /usr/bin/chromium (test/requirements.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ForgetSetRecord } from '../../src/shared/catalog-types.js';
import type { ForgetSetPreview } from '../../src/shared/forget-set.js';
import { makeTempDir, writeIdxPair } from '../helpers.js';
import { chromiumRequirement, choose, closeAll, expectNamedControls, launchChromium, lethe, serve, shoot, watchedPage, type Bridge } from './harness.js';

const chromiumBrowser = chromiumRequirement();

interface DropFile {
  name: string;
  type: string;
  bytes: Buffer;
}

describe.skipIf(chromiumBrowser.skip)('bringing data and marking what to forget in the window', () => {
  let dataDir: string;
  let server: Bridge['server'];
  let browser: Browser;
  let page: Page;
  let base: string;
  let token: string;
  let call: Bridge['call'];
  let train: number[];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    dataDir = makeTempDir('e2e-data');
    for (const [name, seed] of [['tiles', 5], ['squares', 6]] as const) {
      const source = makeTempDir(`e2e-${name}`);
      writeIdxPair(source, 300, seed);
      await lethe(['import', source, '--name', name, '--data-dir', dataDir]);
    }
    const splitFile = fs.readdirSync(path.join(dataDir, 'splits')).find((f) => f.startsWith('tiles-'))!;
    train = (JSON.parse(fs.readFileSync(path.join(dataDir, 'splits', splitFile), 'utf8')) as { train: number[] }).train;
    let url: string;
    ({ server, url, base, token, call } = await serve(dataDir));
    browser = await launchChromium();
    page = await watchedPage(browser, consoleErrors);
    await page.goto(url);
  }, 120_000);

  afterEach(() => {
    expect(consoleErrors.splice(0)).toEqual([]);
  });

  afterAll(() => closeAll(browser, server));

  /** A sample as the service renders it from the dataset's cache. */
  async function samplePng(dataset: string, index: number): Promise<Buffer> {
    const response = await fetch(new URL(`/api/thumbnails/${dataset}/${index}.png`, base), { headers: { authorization: `Bearer ${token}` } });
    expect(response.headers.get('content-type')).toBe('image/png');
    return Buffer.from(await response.arrayBuffer());
  }

  const open = (route: string) => page.goto(`${base}/#${route}`);

  /** Drags files over the page (the overlay shows what will happen), optionally shot, then drops them. */
  async function drop(files: DropFile[], shot?: string): Promise<void> {
    const dataTransfer = await page.evaluateHandle((list) => {
      // In the page (this file is type-checked without the DOM library).
      const dom = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
      };
      const transfer = new dom.DataTransfer();
      for (const f of list) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        transfer.items.add(new dom.File([bytes], f.name, { type: f.type }));
      }
      return transfer;
    }, files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString('base64') })));
    await page.dispatchEvent('main', 'dragenter', { dataTransfer });
    await page.dispatchEvent('main', 'dragover', { dataTransfer });
    await expect.poll(() => page.getByTestId('drop-overlay').count()).toBe(1);
    if (shot) await shoot(page, shot);
    await page.dispatchEvent('main', 'drop', { dataTransfer });
    await expect.poll(() => page.getByTestId('drop-overlay').count()).toBe(0);
  }

  /** Types into a PrimeVue number field, which takes the value when it loses focus. */
  async function enterNumber(spinbutton: string, value: string): Promise<void> {
    const field = page.getByRole('spinbutton', { name: spinbutton, exact: true });
    await field.fill(value);
    await field.blur();
  }

  /** Images in the page that have loaded, by test id. */
  const loadedImages = (testId: string) => page.getByTestId(testId).locator('img').evaluateAll((imgs) => imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0).length);
  const text = async (testId: string) => (await page.getByTestId(testId).textContent())?.trim();
  const stagingLeft = () => fs.existsSync(path.join(dataDir, 'staging'));

  it('imports a dropped dataset (uploaded, then its staged files removed) and shows it on the Datasets page', async () => {
    const source = makeTempDir('e2e-blocks');
    writeIdxPair(source, 200, 7);
    await open('/datasets');
    await drop(
      fs.readdirSync(source).map((name) => ({ name, type: '', bytes: fs.readFileSync(path.join(source, name)) })),
      'drop-overlay-import',
    );
    await expect.poll(() => page.getByTestId('import-panel').count()).toBe(1);
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('blocks');
    await expectNamedControls(page);
    await shoot(page, 'datasets-import-form');
    await page.getByTestId('start-import').click();
    await expect.poll(() => text('import-result'), { timeout: 30_000 }).toMatch(/^Imported blocks \(idx, 200 samples/);
    expect(stagingLeft()).toBe(false);
    await expect.poll(() => text('class-counts')).toMatch(/Classes/);
    const counts = await page.getByTestId('class-counts').locator('tbody td:nth-child(3)').allTextContents();
    const detail = await call<{ classCounts: number[] }>('getDatasetDetail', 'blocks');
    expect(detail.classCounts.reduce((a, b) => a + b, 0)).toBe(200);
    expect(counts.map(Number)).toEqual(detail.classCounts);
    await expect.poll(() => loadedImages('thumbnail-grid')).toBe(Math.min(32, detail.classCounts[0]!));
    // Choosing the shown dataset again keeps it shown.
    await page.getByTestId('dataset-blocks').click();
    expect(await page.getByTestId('dataset-detail').count()).toBe(1);
    expect(await page.getByRole('option', { name: 'blocks', exact: true }).getAttribute('aria-selected')).toBe('true');
    await expectNamedControls(page);
    await shoot(page, 'datasets-imported');
    // The next page of class 0's thumbnails holds the rest of its samples.
    expect(await text('thumbnail-page')).toBe(`page 1 of ${Math.ceil(detail.classCounts[0]! / 32)}`);
    await page.getByRole('button', { name: 'Next Page', exact: true }).click();
    await expect.poll(() => text('thumbnail-page')).toBe(`page 2 of ${Math.ceil(detail.classCounts[0]! / 32)}`);
    await expect.poll(() => loadedImages('thumbnail-grid')).toBe(Math.min(32, detail.classCounts[0]! - 32));
  });

  it('drops a CSV index list, sees its report and saves it', async () => {
    const chosen = train.slice(10, 15);
    await open('/forget-sets');
    await drop([{ name: 'forget-list.csv', type: 'text/csv', bytes: Buffer.from(`index\n${chosen.join('\n')}\n`) }], 'drop-overlay-list');
    await choose(page, page.getByRole('combobox', { name: 'Dataset to check against', exact: true }), 'tiles');
    await expect.poll(() => text('report-size')).toBe('5');
    await expectNamedControls(page);
    await shoot(page, 'forget-list-report');
    // The report is a preview: nothing is recorded until Save.
    expect(await call<ForgetSetRecord[]>('listForgetSets')).toEqual([]);
    await page.getByTestId('save-dropped').click();
    await expect.poll(() => text('dropped-saved')).toMatch(/^Saved forget set #1 \(5 samples/);
    const [saved] = await call<ForgetSetRecord[]>('listForgetSets');
    expect([saved!.name, saved!.size]).toEqual(['from forget-list.csv', 5]);
    expect(stagingLeft()).toBe(false);
    await expect.poll(() => page.getByTestId('forget-set-list').locator('tbody tr').count()).toBe(1);
    await shoot(page, 'forget-list-saved');
  });

  it('drops three PNGs, two samples of the dataset and one not: 2 matched, 1 unmatched with its thumbnail', async () => {
    const other = new PNG({ width: 8, height: 8 });
    other.data.fill(77);
    for (let p = 3; p < other.data.length; p += 4) other.data[p] = 255;
    await drop([
      { name: 'sample-a.png', type: 'image/png', bytes: await samplePng('tiles', train[20]!) },
      { name: 'sample-b.png', type: 'image/png', bytes: await samplePng('tiles', train[21]!) },
      { name: 'not-a-sample.png', type: 'image/png', bytes: PNG.sync.write(other) },
    ], 'drop-overlay-images');
    await expect.poll(() => text('report-matched')).toBe('2 matched');
    expect(await text('report-unmatched')).toBe('1 unmatched');
    expect(await page.getByTestId('unmatched-image').locator('figcaption').allTextContents()).toEqual(['not-a-sample.png']);
    await expect.poll(() => loadedImages('unmatched-image')).toBe(1);
    await expect.poll(() => loadedImages('dropped-report')).toBe(3);
    expect(await page.getByTestId('dropped-report').getByTestId('sample-thumbnail').evaluateAll((imgs) => imgs.map((i) => Number(i.getAttribute('data-index'))).sort((a, b) => a - b))).toEqual(
      [train[20]!, train[21]!].sort((a, b) => a - b),
    );
    await expectNamedControls(page);
    await shoot(page, 'forget-images-report');
    await page.getByTestId('save-dropped').click();
    await expect.poll(() => text('dropped-saved')).toMatch(/^Saved forget set #2 \(2 samples/);
    expect(stagingLeft()).toBe(false);
  });

  it('creates a random 5 % forget set from its preview, saved with the previewed digest', async () => {
    await choose(page, page.getByRole('combobox', { name: 'Dataset', exact: true }), 'tiles');
    await enterNumber('Percent', '5');
    await enterNumber('Seed', '0');
    const request = { dataset: 'tiles', rule: { kind: 'random', percent: 5, seed: 0 } };
    const expected = await call<ForgetSetPreview>('previewForgetSet', request);
    expect(expected.size).toBe(Math.round(0.05 * train.length));
    await expect.poll(() => text('preview-digest')).toBe(expected.digest.slice(0, 12));
    expect(await text('preview-size')).toBe(String(expected.size));
    await expect.poll(() => page.getByTestId('rule-preview').locator('svg path').count()).toBeGreaterThan(4);
    await expect.poll(() => loadedImages('rule-preview')).toBe(Math.min(24, expected.size));
    expect(await page.getByTestId('rule-preview').getByRole('img', { name: /Forget set per class/ }).count()).toBe(1);
    await expectNamedControls(page);
    await shoot(page, 'forget-random-preview');
    await page.getByTestId('save-rule').click();
    await expect.poll(() => text('rule-saved')).toMatch(/^Saved forget set #3/);
    const saved = (await call<ForgetSetRecord[]>('listForgetSets')).find((s) => s.id === 3)!;
    expect([saved.digest, saved.size]).toEqual([expected.digest, expected.size]);
    await shoot(page, 'forget-random-saved');
  });

  it('shows each bad input next to its cause and changes no catalog row and no file', async () => {
    const snapshot = () => {
      const db = new Database(path.join(dataDir, 'catalog.sqlite'), { readonly: true });
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
      const rows = Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
      db.close();
      const files = fs
        .readdirSync(dataDir, { recursive: true })
        .map(String)
        .filter((f) => !f.startsWith('catalog.sqlite') && fs.statSync(path.join(dataDir, f)).isFile())
        .sort()
        .map((f) => `${f} ${createHash('sha256').update(fs.readFileSync(path.join(dataDir, f))).digest('hex')}`);
      return { rows, files };
    };
    const before = snapshot();
    expect(before.files.length).toBeGreaterThan(5);

    // A list previewed, then discarded: its staged copy goes.
    await drop([{ name: 'second-thoughts.csv', type: 'text/csv', bytes: Buffer.from(`index\n${train[40]}\n`) }]);
    await expect.poll(() => text('report-size')).toBe('1');
    expect(stagingLeft()).toBe(true);
    await page.getByTestId('discard-dropped').click();
    await expect.poll(stagingLeft).toBe(false);

    // An unsupported file: refused by the drop itself, next to where it landed.
    await drop([{ name: 'notes.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: Buffer.from('PK\x03\x04') }]);
    await expect.poll(() => text('drop-refusal')).toMatch(/^notes\.docx: not a dataset \(IDX files, CIFAR \.bin batches, a CSV table, a folder\) nor a forget list/);
    await shoot(page, 'bad-unsupported');
    await page.getByRole('button', { name: 'Dismiss the message about the dropped files' }).click();

    // A corrupt image, checked against the dataset chosen before.
    await drop([{ name: 'broken.png', type: 'image/png', bytes: Buffer.from('this is not a PNG image') }]);
    await expect.poll(() => text('dropped-error')).toMatch(/^broken\.png does not decode as an image: it is neither PNG nor JPEG$/);
    expect(await text('dropped-names')).toBe('broken.png');
    await shoot(page, 'bad-corrupt');

    // Indices out of range.
    await drop([{ name: 'far.csv', type: 'text/csv', bytes: Buffer.from('index\n3\n999999\n') }]);
    await expect.poll(() => text('dropped-error')).toMatch(/^far\.csv, line 3: index 999999 is out of range \(the dataset has 300 samples\)$/);
    await shoot(page, 'bad-out-of-range');

    // A stored forget set of tiles dropped on squares.
    await choose(page, page.getByRole('combobox', { name: 'Dataset to check against', exact: true }), 'squares');
    const stored = fs.readdirSync(path.join(dataDir, 'forget-sets')).find((f) => f.startsWith('tiles-'))!;
    await drop([{ name: stored, type: 'application/json', bytes: fs.readFileSync(path.join(dataDir, 'forget-sets', stored)) }]);
    await expect.poll(() => text('dropped-error')).toMatch(new RegExp(`^${stored} is a forget set of another dataset \\('tiles', digest '[0-9a-f]{12}'\\), not of 'squares'`));
    await shoot(page, 'bad-wrong-dataset');

    // Invalid form values: each field says what it expects, and nothing can be saved.
    await enterNumber('Percent', '150');
    await enterNumber('Seed', '1.5');
    await expect.poll(() => text('error-percent')).toBe('percentage must be in (0, 100)');
    expect(await text('error-seed')).toBe('seed must be an integer');
    expect(await page.getByTestId('save-rule').isDisabled()).toBe(true);
    expect(await page.getByTestId('rule-preview').count()).toBe(0);
    await expectNamedControls(page);
    await shoot(page, 'bad-form');
    // Whole classes with none ticked: one named checkbox per class, and the field says what it needs.
    await page.getByRole('button', { name: 'whole classes', exact: true }).click();
    await expect.poll(() => page.getByTestId('rule-form').getByRole('checkbox').count()).toBe(4);
    expect(await text('error-classes')).toBe('name at least one class');
    expect(await page.getByTestId('save-rule').isDisabled()).toBe(true);
    await expectNamedControls(page);
    await shoot(page, 'bad-no-classes');

    expect(snapshot()).toEqual(before);
    // The refused requests' HTTP 400s are the only console errors.
    const errors = consoleErrors.splice(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.filter((e) => !/^Failed to load resource: the server responded with a status of 400 \(Bad Request\)$/.test(e))).toEqual([]);
  });
});
