/**
 * What prints a report's HTML to PDF, whoever does it: Electron's printToPDF in the app,
 * a Chromium found on the machine from the command line and the bridge. Both print the
 * same pages: A4 with the report's margins, page numbers in the footer, an outline from
 * the headings and tagged text.
 */

/** A document to print: the report on A4 pages, or one figure on a page of its own size (CSS pixels). */
export interface PdfDocument {
  html: string;
  page: 'report' | { width: number; height: number };
}

/** Prints each document to PDF bytes, in order (one browser for all of them). */
export type PdfPrinter = (documents: PdfDocument[]) => Promise<Uint8Array[]>;

/** Page margins of the report in millimetres: room for the footer's page numbers. */
export const REPORT_MARGINS_MM = { top: 14, right: 14, bottom: 16, left: 14 };

export const REPORT_HEADER = '<div></div>';
/** Chromium fills the spans: the document's title, this page and the page count. */
export const REPORT_FOOTER =
  '<div style="font-size:7pt;width:100%;padding:0 14mm;color:#555;font-family:sans-serif;display:flex;justify-content:space-between">' +
  '<span class="title"></span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>';

/** A figure's SVG as a page of exactly its size, for its own PDF. */
export function figurePage(svg: string, width: number, height: number): PdfDocument {
  return {
    html: `<!DOCTYPE html><html><head><meta charset="utf-8"><style>@page{size:${width}px ${height}px;margin:0}html,body{margin:0;padding:0}svg{display:block}</style></head><body>${svg}</body></html>`,
    page: { width, height },
  };
}
