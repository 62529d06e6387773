/**
 * PDF printing outside the app: a Chromium-based browser found on this machine, driven
 * by playwright-core's page.pdf. LETHE_CHROMIUM names one; otherwise the usual names
 * are looked for on PATH and in the usual places.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPORT_FOOTER, REPORT_HEADER, REPORT_MARGINS_MM, type PdfDocument, type PdfPrinter } from './pdf-printer.js';

/** Executable names of Chromium-based browsers, in the order they are tried on PATH. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge', 'brave-browser'];
/** Where browsers live off PATH (macOS apps, snaps). */
export const CHROMIUM_PLACES = [
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
];

/** No browser to print with: says what was looked for and how to name one. */
export class ChromiumNotFoundError extends Error {}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.LETHE_CHROMIUM;
  if (named) {
    if (!executable(named)) throw new ChromiumNotFoundError(`LETHE_CHROMIUM is '${named}', which is not an executable file`);
    return named;
  }
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) if (executable(path.join(dir, name))) return path.join(dir, name);
  }
  const found = CHROMIUM_PLACES.find(executable);
  if (found) return found;
  throw new ChromiumNotFoundError(
    `printing a PDF needs a Chromium-based browser and none was found: looked for ${CHROMIUM_NAMES.join(', ')} on PATH and in ${CHROMIUM_PLACES.join(', ')}; install one (apt-get install chromium) or set LETHE_CHROMIUM to its executable`,
  );
}

const mm = (v: number) => `${v}mm`;

/** Prints with the browser at `executablePath` (default: the one findChromium finds). */
export function chromiumPrinter(executablePath?: string): PdfPrinter {
  return async (documents: PdfDocument[]) => {
    const browserPath = executablePath ?? findChromium();
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: browserPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      const printed: Uint8Array[] = [];
      for (const document of documents) {
        await page.setContent(document.html, { waitUntil: 'load' });
        const size = document.page;
        printed.push(
          size === 'report'
            ? await page.pdf({
                format: 'A4',
                printBackground: true,
                displayHeaderFooter: true,
                headerTemplate: REPORT_HEADER,
                footerTemplate: REPORT_FOOTER,
                margin: { top: mm(REPORT_MARGINS_MM.top), right: mm(REPORT_MARGINS_MM.right), bottom: mm(REPORT_MARGINS_MM.bottom), left: mm(REPORT_MARGINS_MM.left) },
                outline: true,
                tagged: true,
              })
            : await page.pdf({ width: `${size.width}px`, height: `${size.height}px`, printBackground: true, pageRanges: '1', margin: { top: '0', right: '0', bottom: '0', left: '0' } }),
        );
      }
      return printed;
    } finally {
      await browser.close();
    }
  };
}
