/**
 * PDF printing in the desktop app: each document loaded into a hidden, script-less
 * window and printed by Electron's webContents.printToPDF with the report's pages
 * (A4, margins, page numbers, outline, tagged). Takes the window factory as a parameter,
 * so this file does not import 'electron' (index.ts passes BrowserWindow) and is
 * testable without it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPORT_FOOTER, REPORT_HEADER, REPORT_MARGINS_MM, type PdfDocument, type PdfPrinter } from './pdf-printer.js';

/** The part of Electron's printToPDF options the report uses (sizes in inches). */
export interface ElectronPdfOptions {
  pageSize: 'A4' | { width: number; height: number };
  margins: { top: number; right: number; bottom: number; left: number };
  printBackground: boolean;
  displayHeaderFooter: boolean;
  headerTemplate?: string;
  footerTemplate?: string;
  generateDocumentOutline: boolean;
  generateTaggedPDF: boolean;
}

/** What the printer needs of a BrowserWindow. */
export interface PrintWindow {
  loadFile(file: string): Promise<void>;
  webContents: { printToPDF(options: ElectronPdfOptions): Promise<Uint8Array> };
  destroy(): void;
}

const MM_PER_INCH = 25.4;
const CSS_PX_PER_INCH = 96;

export function electronPdfOptions(page: PdfDocument['page']): ElectronPdfOptions {
  if (page === 'report') {
    const inches = (mm: number) => mm / MM_PER_INCH;
    return {
      pageSize: 'A4',
      margins: { top: inches(REPORT_MARGINS_MM.top), right: inches(REPORT_MARGINS_MM.right), bottom: inches(REPORT_MARGINS_MM.bottom), left: inches(REPORT_MARGINS_MM.left) },
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: REPORT_HEADER,
      footerTemplate: REPORT_FOOTER,
      generateDocumentOutline: true,
      generateTaggedPDF: true,
    };
  }
  return {
    pageSize: { width: page.width / CSS_PX_PER_INCH, height: page.height / CSS_PX_PER_INCH },
    margins: { top: 0, right: 0, bottom: 0, left: 0 },
    printBackground: true,
    displayHeaderFooter: false,
    generateDocumentOutline: false,
    generateTaggedPDF: false,
  };
}

/** A printer over windows `openWindow` makes (hidden, no preload, no script: the report has none). */
export function electronPrinter(openWindow: () => PrintWindow): PdfPrinter {
  return async (documents) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-report-'));
    const window = openWindow();
    try {
      const printed: Uint8Array[] = [];
      for (const [i, document] of documents.entries()) {
        // A file, not a data: URL, which Chromium caps at a few megabytes.
        const file = path.join(dir, `document-${i}.html`);
        fs.writeFileSync(file, document.html);
        await window.loadFile(file);
        printed.push(await window.webContents.printToPDF(electronPdfOptions(document.page)));
      }
      return printed;
    } finally {
      window.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}
