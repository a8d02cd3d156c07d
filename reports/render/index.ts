/**
 * Writes the weekly threat report as an A4 PDF on the server, with no browser: pdfmake lays out
 * the document, ECharts draws the charts as SVG.
 *
 * The figures carry attacker-influenced text (rule titles, user and host names, even the
 * organisation's name comes from config): it only ever becomes the text of text nodes, and pdfmake
 * is told to refuse every URL and every local file but the report's own fonts, so nothing in a
 * document can make the renderer fetch or read anything.
 */
import pdfmake from 'pdfmake';
import { OperationalError, UserError } from '../../core/errors.js';
import { MAX_REPORT_BYTES, type WeeklyFigures } from '../../core/reports/types.js';
import { reportDocument, type LogoImage } from './document.js';
import { FONT_FILES, REPORT_FONTS } from './fonts.js';

export { executiveSummary } from './summary.js';

/** Largest logo accepted, bytes. */
export const MAX_LOGO_BYTES = 2 * 1024 * 1024;

export interface RenderOptions {
  /** PNG or JPEG bytes for the cover and header; checked by magic number, ≤ 2 MB, else UserError WATCHPOST_ERR_REPORT_INVALID. */
  readonly logo?: Buffer;
  /** Credit line for the IP data used (country/ASN), printed in the appendix when given. */
  readonly attribution?: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** JPEG start-of-frame markers: the segment that carries the image's size. */
const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function invalidLogo(reason: string): UserError {
  return new UserError('WATCHPOST_ERR_REPORT_INVALID', `the report logo ${reason}: give a PNG or JPEG file of at most 2 MB`);
}

/** True when a PNG's header chunk is present and names a non-empty image. */
function pngHasSize(bytes: Buffer): boolean {
  return bytes.length >= 24 && bytes.toString('latin1', 12, 16) === 'IHDR' && bytes.readUInt32BE(16) > 0 && bytes.readUInt32BE(20) > 0;
}

/** True when a JPEG's segments lead to a start-of-frame with a non-empty size. */
function jpegHasSize(bytes: Buffer): boolean {
  let at = 2;
  while (at + 9 <= bytes.length) {
    if (bytes[at] !== 0xff) return false;
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (JPEG_SOF.has(marker)) return bytes.readUInt16BE(at + 5) > 0 && bytes.readUInt16BE(at + 7) > 0;
    if (marker === 0xd9 || marker === 0xda) return false; // end of image, or scan data before any frame
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return false;
}

/**
 * Checks a logo by its bytes, not its name, and turns it into the data URL pdfmake embeds; a
 * truncated or disguised file is refused here rather than failing deep inside the PDF writer.
 */
export function checkLogo(logo: Buffer): LogoImage {
  if (!Buffer.isBuffer(logo) || logo.length === 0) throw invalidLogo('is empty');
  if (logo.length > MAX_LOGO_BYTES) throw invalidLogo(`is ${logo.length} bytes`);
  if (logo.subarray(0, 8).equals(PNG_SIGNATURE)) {
    if (!pngHasSize(logo)) throw invalidLogo('is a damaged PNG');
    return { dataUrl: `data:image/png;base64,${logo.toString('base64')}` };
  }
  if (logo[0] === 0xff && logo[1] === 0xd8 && logo[2] === 0xff) {
    if (!jpegHasSize(logo)) throw invalidLogo('is a damaged JPEG');
    return { dataUrl: `data:image/jpeg;base64,${logo.toString('base64')}` };
  }
  throw invalidLogo('is neither PNG nor JPEG');
}

/**
 * Sets pdfmake up before each document. pdfmake is one shared instance per process, so the fonts
 * and both access policies are set every time rather than trusted to have stayed as left; the
 * font table is copied because pdfmake rewrites it while resolving.
 */
function configurePdfmake(): void {
  pdfmake.setUrlAccessPolicy(() => false);
  pdfmake.setLocalAccessPolicy((path) => FONT_FILES.has(path));
  pdfmake.setFonts({ Roboto: { ...REPORT_FONTS.Roboto } });
}

/**
 * Renders one week's report. The output is deterministic for the same figures and options: the
 * PDF's dates come from `figures.generatedAt`.
 *
 * @throws UserError WATCHPOST_ERR_REPORT_INVALID when the logo is not a PNG or JPEG of at most 2 MB.
 * @throws OperationalError WATCHPOST_ERR_REPORT_RENDER when the PDF cannot be written or grows past {@link MAX_REPORT_BYTES}.
 */
export async function renderWeeklyReport(figures: WeeklyFigures, options: RenderOptions = {}): Promise<{ pdf: Buffer; pages: number }> {
  const logo = options.logo === undefined ? undefined : checkLogo(options.logo);
  const warnings: string[] = [];
  let pages = 0;
  const definition = reportDocument(figures, {
    ...(logo ? { logo } : {}),
    ...(options.attribution ? { attribution: options.attribution } : {}),
    warnings,
    onPageCount: (count) => {
      pages = Math.max(pages, count);
    },
  });
  configurePdfmake();
  let pdf: Buffer;
  try {
    pdf = await pdfmake.createPdf(definition).getBuffer();
  } catch (error) {
    throw new OperationalError('WATCHPOST_ERR_REPORT_RENDER', `the report of ${figures.period.week} could not be written: ${(error as Error).message}`, { cause: error });
  }
  if (pdf.length > MAX_REPORT_BYTES) {
    throw new OperationalError('WATCHPOST_ERR_REPORT_RENDER', `the report of ${figures.period.week} is ${pdf.length} bytes, over the ${MAX_REPORT_BYTES}-byte limit`);
  }
  return { pdf, pages };
}
