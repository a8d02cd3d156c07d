/**
 * The fonts the report is set in: the Roboto files pdfmake ships, found through module resolution
 * (so the report renders the same from the source tree, from dist/ and from any working
 * directory). These four files are the only local files the PDF writer may open.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

const ROBOTO_DIR = join(dirname(require.resolve('pdfmake/package.json')), 'fonts', 'Roboto');

/** pdfmake's font table: Roboto, with Medium as its bold. */
export const REPORT_FONTS = {
  Roboto: {
    normal: join(ROBOTO_DIR, 'Roboto-Regular.ttf'),
    bold: join(ROBOTO_DIR, 'Roboto-Medium.ttf'),
    italics: join(ROBOTO_DIR, 'Roboto-Italic.ttf'),
    bolditalics: join(ROBOTO_DIR, 'Roboto-MediumItalic.ttf'),
  },
} as const;

/** Every file path the PDF writer is allowed to read. */
export const FONT_FILES: ReadonlySet<string> = new Set(Object.values(REPORT_FONTS.Roboto));
