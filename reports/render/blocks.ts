/**
 * The building blocks the report's sections are made of: headings, tables, key-figure tiles,
 * charts and notes. Untrusted text only ever enters a document through {@link cell} and friends,
 * as the `text` of a text node — never as an image name, a link or a style.
 */
import type { Alignment, Content, ContentNode, TableLayout } from 'pdfmake';
import type { ChartSvg } from './charts.js';
import { breakable } from './format.js';

/** Rows any one table may show, whatever the figures hold. */
export const MAX_TABLE_ROWS = 20;

/** Tables up to this many rows are kept on one page rather than split across two. */
const KEEP_TOGETHER_ROWS = 12;

/** The width between an A4 page's margins, points. */
export const CONTENT_WIDTH = 515;

/** The palette of the document, apart from the severity colours. */
export const INK = { text: '#1d2939', muted: '#667085', rule: '#d0d5dd', band: '#f2f4f7', accent: '#1f3a8a', good: '#067647', bad: '#b42318', warn: '#b54708' } as const;

/** One column of a {@link table}. */
export interface Column {
  readonly header: string;
  /** Points, or `'*'` for a share of what is left. */
  readonly width: number | '*';
  readonly align?: Alignment;
}

/** Rules under the title row (if any), under the column headers, and at the end; hairlines between rows. */
function tableLayout(titleRows: number): TableLayout {
  return {
    hLineWidth: (i, node) => {
      if (i < titleRows) return 0;
      return i === titleRows || i === (node.table.headerRows ?? 0) || i === node.table.body.length ? 0.8 : 0.3;
    },
    vLineWidth: () => 0,
    hLineColor: (i, node) => (i === titleRows || i === node.table.body.length ? INK.muted : INK.rule),
    paddingLeft: (i) => (i === 0 ? 0 : 5),
    paddingRight: (i, node) => (i === (node.table.body[titleRows]?.length ?? 1) - 1 ? 0 : 5),
    paddingTop: () => 3,
    paddingBottom: () => 3,
  };
}

/** A section heading. */
export function heading(text: string): ContentNode {
  return { text, style: 'h1' };
}

/** A sub-heading inside a section. */
export function subheading(text: string): ContentNode {
  return { text, style: 'h2' };
}

/** True for a block known to fit on one page, which may therefore be kept together with its heading. */
function fitsOnePage(block: Content | undefined): block is ContentNode {
  return typeof block === 'object' && !Array.isArray(block) && (block as ContentNode).unbreakable === true;
}

/**
 * A section: its heading, kept on the same page as the first block when that block fits on one page,
 * so no page ends with a heading whose content starts on the next.
 */
export function section(title: string, blocks: readonly Content[]): Content[] {
  const [first, ...rest] = blocks;
  if (fitsOnePage(first)) return [{ stack: [heading(title), first], unbreakable: true }, ...rest];
  return [heading(title), ...blocks];
}

/** A table cell of untrusted or computed text: always a plain string of bounded length. */
export function cell(value: unknown, options: { readonly max?: number; readonly align?: Alignment; readonly color?: string; readonly bold?: boolean } = {}): ContentNode {
  return {
    text: breakable(value, options.max ?? 80),
    ...(options.align ? { alignment: options.align } : {}),
    ...(options.color ? { color: options.color } : {}),
    ...(options.bold ? { bold: true } : {}),
  };
}

/** A muted sentence saying a table or chart has nothing to show. */
export function emptyNote(text: string): ContentNode {
  return { text, style: 'empty' };
}

/** How a {@link table} is titled and capped. */
export interface TableOptions {
  /** A sub-heading printed above the table (and repeated on a continuation page). */
  readonly title?: string;
  /** What to say instead of an empty table; nothing at all when absent. */
  readonly empty?: string;
  /** @defaultValue {@link MAX_TABLE_ROWS} */
  readonly max?: number;
}

/**
 * A table with a repeated header row, capped at `max` rows (a note says how many were left out),
 * or its title and a note when there are no rows. A table short enough to fit on a page is kept on
 * one page with its title; a longer one carries its title as a repeated header row, so the title
 * still never stands alone at the foot of a page.
 */
export function table(columns: readonly Column[], rows: readonly (readonly Content[])[], options: TableOptions = {}): ContentNode {
  const max = options.max ?? MAX_TABLE_ROWS;
  const title = options.title === undefined ? [] : [subheading(options.title)];
  if (rows.length === 0) return { stack: [...title, ...(options.empty ? [emptyNote(options.empty)] : [])], unbreakable: true };
  const shown = rows.slice(0, max);
  const more = rows.length > max ? [emptyNote(`${rows.length - max} more not shown.`)] : [];
  const header = columns.map((column) => ({ text: column.header, style: 'th', ...(column.align ? { alignment: column.align } : {}) }));
  const body = shown.map((row) => row.map((value, i) => withAlignment(value, columns[i]?.align)));
  const widths = columns.map((c) => c.width);
  if (shown.length <= KEEP_TOGETHER_ROWS) {
    return {
      stack: [...title, { table: { headerRows: 1, dontBreakRows: true, widths, body: [header, ...body] }, layout: tableLayout(0), style: 'table' }, ...more],
      unbreakable: true,
    };
  }
  const titleRow: Content[] = options.title === undefined ? [] : [{ ...subheading(options.title), colSpan: columns.length }, ...columns.slice(1).map(() => '')];
  const headerRows = titleRow.length > 0 ? 2 : 1;
  return {
    stack: [
      {
        table: { headerRows, keepWithHeaderRows: 3, dontBreakRows: true, widths, body: [...(titleRow.length > 0 ? [titleRow] : []), header, ...body] },
        layout: tableLayout(headerRows - 1),
        style: 'table',
      },
      ...more,
    ],
  };
}

function withAlignment(value: Content, align: Alignment | undefined): Content {
  if (!align || typeof value !== 'object' || Array.isArray(value)) return typeof value === 'string' && align ? { text: value, alignment: align } : value;
  const node = value as ContentNode;
  return node.alignment ? node : { ...node, alignment: align };
}

/** One key figure: a big number, its label and an optional remark (the trend). */
export interface Tile {
  readonly label: string;
  readonly value: string;
  readonly note?: string;
  readonly noteColor?: string;
}

const TILE_PADDING = 8;
const TILE_GAP = 4;

/** A row of key-figure tiles across the page. */
export function tiles(items: readonly Tile[]): ContentNode {
  // pdfmake adds paddings and rules to the column widths it is given: subtract them here so the
  // row ends exactly at the right margin.
  const width = (CONTENT_WIDTH - items.length * 2 * TILE_PADDING - (items.length - 1) * TILE_GAP) / items.length;
  return {
    table: {
      widths: items.map(() => width),
      body: [
        items.map((item) => ({
          stack: [
            { text: item.label, style: 'tileLabel' },
            { text: item.value, style: 'tileValue' },
            { text: item.note ?? ' ', style: 'tileNote', ...(item.noteColor ? { color: item.noteColor } : {}) },
          ],
          fillColor: INK.band,
        })),
      ],
    },
    layout: {
      hLineWidth: () => 0,
      vLineWidth: (i) => (i === 0 || i === items.length ? 0 : TILE_GAP),
      vLineColor: () => '#ffffff',
      paddingLeft: () => TILE_PADDING,
      paddingRight: () => TILE_PADDING,
      paddingTop: () => 6,
      paddingBottom: () => 6,
    },
    margin: [0, 4, 0, 12],
  };
}

/**
 * A chart with its title, kept on one page, or the title and a sentence when there is nothing to
 * draw. The SVG converter gets no way to open images, and its warnings are collected instead of
 * printed.
 */
export function chart(title: string, svg: ChartSvg | undefined, empty: string, warnings: string[]): ContentNode {
  if (!svg) return { stack: [subheading(title), emptyNote(empty)], unbreakable: true };
  // Unbreakable is safe: a chart is never taller than a page.
  return {
    stack: [
      subheading(title),
      {
        svg: svg.svg,
        width: svg.width,
        options: { imageCallback: () => '', warningCallback: (message) => void warnings.push(message) },
        margin: [0, 2, 0, 10],
      },
    ],
    unbreakable: true,
  };
}

/** A small coloured label ("Critical", "Silent"). */
export function badge(text: string, color: string): ContentNode {
  return { text, color, bold: true };
}
