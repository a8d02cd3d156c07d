/**
 * The pdfmake document definition of the weekly report: A4, a cover page, then the sections, with
 * the organisation's name in the header and "Page n of N" in the footer of every page but the
 * cover. Pure: figures in, definition out, so it can be inspected without writing a PDF.
 */
import type { Content, ContentNode, DocumentDefinition, Style } from 'pdfmake';
import type { WeeklyFigures } from '../../core/reports/types.js';
import { INK } from './blocks.js';
import { breakable, dateTime, longDate, plain, weekLabel, zoneName } from './format.js';
import { alertsSection, appendixSection, attackersSection, detectionsSection, incidentsSection, ingestSection, notableSection, responseSection, summarySection } from './sections.js';
import { executiveSummary } from './summary.js';

/** A validated logo, as the data URL pdfmake embeds (never a path or URL it would open). */
export interface LogoImage {
  readonly dataUrl: string;
}

/** What the document needs besides the figures. */
export interface DocumentInput {
  readonly logo?: LogoImage;
  readonly attribution?: string;
  /** Collects what the SVG converter would otherwise print to the console. */
  readonly warnings: string[];
  /** Called by the footer with the page count, which pdfmake knows only once laid out. */
  readonly onPageCount: (pages: number) => void;
}

const MARGIN_X = 40;

const STYLES: Readonly<Record<string, Style>> = {
  h1: { fontSize: 15, bold: true, color: INK.accent, margin: [0, 16, 0, 6] },
  h2: { fontSize: 10.5, bold: true, margin: [0, 8, 0, 4] },
  th: { fontSize: 7.5, bold: true, color: INK.muted },
  table: { fontSize: 8.5, margin: [0, 0, 0, 8] },
  small: { fontSize: 7.5, color: INK.muted },
  empty: { fontSize: 9, italics: true, color: INK.muted, margin: [0, 2, 0, 8] },
  summary: { fontSize: 10, lineHeight: 1.25, margin: [0, 0, 0, 8] },
  tileLabel: { fontSize: 7.5, color: INK.muted },
  tileValue: { fontSize: 16, bold: true, margin: [0, 2, 0, 1] },
  tileNote: { fontSize: 7, color: INK.muted },
  incidentTitle: { fontSize: 10, margin: [0, 4, 0, 1] },
};

/** The instant the report says it was generated, falling back to the week's end so output stays deterministic. */
function generatedAt(figures: WeeklyFigures): Date {
  for (const value of [figures.generatedAt, figures.period.to]) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return new Date(0);
}

function weekDates(figures: WeeklyFigures): string {
  const { from, to, timeZone } = figures.period;
  // `to` is the next Monday 00:00 (exclusive): the last day shown is the Sunday before it.
  const last = Date.parse(to) - 1;
  return `${longDate(from, timeZone)} – ${longDate(Number.isNaN(last) ? undefined : last, timeZone)}`;
}

function cover(figures: WeeklyFigures, input: DocumentInput): Content[] {
  const tz = figures.period.timeZone;
  const generated = generatedAt(figures).toISOString();
  const organization = breakable(figures.organization, 120) || 'Watchpost';
  return [
    input.logo ? { image: 'logo', fit: [200, 80], margin: [0, 40, 0, 0] } : { text: ' ', margin: [0, 40, 0, 40] },
    { canvas: [{ type: 'rect', x: 0, y: 0, w: 60, h: 3, color: INK.accent }], margin: [0, 90, 0, 14] },
    { text: organization, fontSize: 16, color: INK.muted, margin: [0, 0, 0, 6] },
    { text: 'Weekly threat report', fontSize: 32, bold: true, color: INK.text },
    { text: `${weekLabel(figures.period.week)}  ·  ${plain(figures.period.week, 10)}`, fontSize: 14, color: INK.accent, bold: true, margin: [0, 18, 0, 4] },
    { text: weekDates(figures), fontSize: 11 },
    { text: `Times in ${plain(tz, 60)}`, fontSize: 9, color: INK.muted, margin: [0, 4, 0, 0] },
    {
      stack: [
        { text: `Generated ${dateTime(generated, tz)} ${zoneName(generated, tz)} by Watchpost`, fontSize: 9, color: INK.muted },
        { text: 'Contains security-sensitive information: share on a need-to-know basis.', fontSize: 8, color: INK.muted, margin: [0, 3, 0, 0] },
      ],
      absolutePosition: { x: MARGIN_X, y: 760 },
      pageBreak: 'after',
    },
  ];
}

/** The whole document definition for one week. */
export function reportDocument(figures: WeeklyFigures, input: DocumentInput): DocumentDefinition {
  const organization = plain(figures.organization, 120) || 'Watchpost';
  // Header and footer have one line each: a long name is cut shorter there than on the cover.
  const shortOrganization = breakable(figures.organization, 60) || 'Watchpost';
  const week = weekLabel(figures.period.week);
  const created = generatedAt(figures);
  const tz = figures.period.timeZone;
  return {
    pageSize: 'A4',
    pageMargins: [MARGIN_X, 62, MARGIN_X, 48],
    language: 'en',
    info: {
      title: `Weekly threat report, ${plain(figures.period.week, 10)} — ${organization}`,
      author: organization,
      subject: `Security alerts, incidents and response for ${weekDates(figures)}`,
      creator: 'Watchpost',
      producer: 'Watchpost (pdfmake)',
      creationDate: created,
      modDate: created,
    },
    ...(input.logo ? { images: { logo: input.logo.dataUrl } } : {}),
    defaultStyle: { font: 'Roboto', fontSize: 9, color: INK.text, lineHeight: 1.15 },
    styles: STYLES,
    background: (page, size) =>
      page === 1 ? { canvas: [{ type: 'rect', x: 0, y: 0, w: size.width, h: 14, color: INK.accent }] } : null,
    header: (page, _pages, size) => {
      if (page === 1) return null;
      const left: ContentNode[] = input.logo ? [{ image: 'logo', fit: [70, 18], width: 'auto', margin: [0, 0, 8, 0] }] : [];
      return {
        stack: [
          {
            columns: [
              ...left,
              { text: shortOrganization, bold: true, fontSize: 8.5, width: '*', margin: [0, 4, 0, 0] },
              { text: `Weekly threat report · ${week}`, fontSize: 8.5, color: INK.muted, width: 'auto', noWrap: true, margin: [0, 4, 0, 0] },
            ],
            columnGap: 4,
          },
          { canvas: [{ type: 'line', x1: 0, y1: 4, x2: size.width - 2 * MARGIN_X, y2: 4, lineWidth: 0.5, lineColor: INK.rule }] },
        ],
        margin: [MARGIN_X, 24, MARGIN_X, 0],
      };
    },
    footer: (page, pages) => {
      input.onPageCount(pages);
      if (page === 1) return null;
      return {
        columns: [
          { text: `${shortOrganization} · ${plain(figures.period.week, 10)} · generated ${dateTime(created.toISOString(), tz)}`, fontSize: 7.5, color: INK.muted, width: '*' },
          { text: `Page ${page} of ${pages}`, fontSize: 7.5, color: INK.muted, alignment: 'right', width: 'auto', noWrap: true },
        ],
        margin: [MARGIN_X, 18, MARGIN_X, 0],
      };
    },
    content: [
      ...cover(figures, input),
      ...summarySection(figures, executiveSummary(figures)),
      ...alertsSection(figures, input.warnings),
      ...detectionsSection(figures, input.warnings),
      ...attackersSection(figures),
      ...responseSection(figures),
      ...incidentsSection(figures),
      ...notableSection(figures),
      ...ingestSection(figures),
      ...appendixSection(figures, input.attribution),
    ],
  };
}
