/**
 * The part of pdfmake 0.3's server API (node_modules/pdfmake/js/index.js, which ships no types)
 * that the report uses: the module's default export is a ready instance with font and access-policy
 * setters and `createPdf`. Only the document-definition keys the report writes are declared, so a
 * misspelt key is a type error instead of a silently ignored one.
 */
declare module 'pdfmake' {
  export type Alignment = 'left' | 'right' | 'center' | 'justify';

  /** [left, top, right, bottom], [horizontal, vertical] or one value for all four. */
  export type Margin = number | readonly [number, number] | readonly [number, number, number, number];

  export interface Style {
    readonly font?: string;
    readonly fontSize?: number;
    readonly bold?: boolean;
    readonly italics?: boolean;
    readonly color?: string;
    /** Background of a table cell. */
    readonly fillColor?: string;
    readonly alignment?: Alignment;
    readonly margin?: Margin;
    readonly lineHeight?: number;
    readonly characterSpacing?: number;
    readonly noWrap?: boolean;
  }

  /** What pdfmake's table layout callbacks receive about the table being drawn. */
  export interface TableNodeInfo {
    readonly table: { readonly body: readonly (readonly unknown[])[]; readonly headerRows?: number };
  }

  export interface TableLayout {
    readonly hLineWidth?: (i: number, node: TableNodeInfo) => number;
    readonly vLineWidth?: (i: number, node: TableNodeInfo) => number;
    readonly hLineColor?: (i: number, node: TableNodeInfo) => string;
    readonly vLineColor?: (i: number, node: TableNodeInfo) => string;
    readonly paddingLeft?: (i: number, node: TableNodeInfo) => number;
    readonly paddingRight?: (i: number, node: TableNodeInfo) => number;
    readonly paddingTop?: (i: number, node: TableNodeInfo) => number;
    readonly paddingBottom?: (i: number, node: TableNodeInfo) => number;
  }

  export interface Table {
    readonly body: readonly (readonly Content[])[];
    /** Numbers (points), `'*'` (share the rest) or `'auto'` (fit the content). */
    readonly widths?: readonly (number | '*' | 'auto')[];
    readonly headerRows?: number;
    /** Keep this many rows after the header rows on the header's page. */
    readonly keepWithHeaderRows?: number;
    readonly dontBreakRows?: boolean;
  }

  /** A vector shape of a `canvas` node. */
  export interface CanvasElement {
    readonly type: 'rect' | 'line';
    readonly x?: number;
    readonly y?: number;
    readonly w?: number;
    readonly h?: number;
    readonly r?: number;
    readonly x1?: number;
    readonly y1?: number;
    readonly x2?: number;
    readonly y2?: number;
    readonly color?: string;
    readonly lineColor?: string;
    readonly lineWidth?: number;
  }

  /** Options handed through to svg-to-pdfkit by an `svg` node. */
  export interface SvgOptions {
    /** Maps an <image> href to what PDFKit opens; return '' to open nothing. */
    readonly imageCallback?: (link: string) => string;
    /** Receives the converter's complaints, which otherwise go to console.warn. */
    readonly warningCallback?: (message: string) => void;
  }

  export interface ContentNode extends Style {
    readonly text?: string | readonly (string | ContentNode)[];
    readonly stack?: readonly Content[];
    readonly columns?: readonly Content[];
    readonly columnGap?: number;
    readonly ul?: readonly Content[];
    readonly table?: Table;
    /** A layout registered by name (`noBorders`, `lightHorizontalLines`, …) or one given inline. */
    readonly layout?: string | TableLayout;
    /** An SVG document as a string. */
    readonly svg?: string;
    readonly options?: SvgOptions;
    /** A key of the document's `images`. */
    readonly image?: string;
    readonly canvas?: readonly CanvasElement[];
    readonly width?: number | '*' | 'auto';
    readonly fit?: readonly [number, number];
    readonly style?: string | readonly string[];
    readonly pageBreak?: 'before' | 'after';
    /** Keeps the node on one page; pdfmake drops what does not fit, so only for blocks shorter than a page. */
    readonly unbreakable?: boolean;
    readonly colSpan?: number;
    /** Places the node at these page coordinates, outside the flow. */
    readonly absolutePosition?: { readonly x: number; readonly y: number };
  }

  export type Content = string | ContentNode | readonly Content[];

  /** Called for each page; pages count from 1. */
  export type DynamicContent = (currentPage: number, pageCount: number, pageSize: { readonly width: number; readonly height: number }) => Content | null;

  /** PDF Info dictionary; pdfmake capitalises the keys. */
  export interface DocumentInfo {
    readonly title?: string;
    readonly author?: string;
    readonly subject?: string;
    readonly keywords?: string;
    readonly creator?: string;
    readonly producer?: string;
    readonly creationDate?: Date;
    readonly modDate?: Date;
  }

  export interface DocumentDefinition {
    readonly content: Content;
    readonly pageSize?: 'A4' | 'LETTER';
    readonly pageMargins?: Margin;
    readonly header?: DynamicContent;
    readonly footer?: DynamicContent;
    /** Drawn behind each page's content. */
    readonly background?: (currentPage: number, pageSize: { readonly width: number; readonly height: number }) => Content | null;
    readonly styles?: Readonly<Record<string, Style>>;
    readonly defaultStyle?: Style;
    /** Name → data URL (`data:image/png;base64,…`). */
    readonly images?: Readonly<Record<string, string>>;
    readonly info?: DocumentInfo;
    readonly language?: string;
  }

  /** A font family: a TrueType file path (or virtual-file name) per style. */
  export interface FontDescriptor {
    readonly normal: string;
    readonly bold?: string;
    readonly italics?: string;
    readonly bolditalics?: string;
  }

  export interface OutputDocument {
    getBuffer(): Promise<Buffer>;
    getBase64(): Promise<string>;
    write(filename: string): Promise<void>;
  }

  export interface PdfMake {
    setFonts(fonts: Record<string, FontDescriptor>): void;
    /** Called before any URL (font, image, attachment) is fetched; anything but `true` refuses it. */
    setUrlAccessPolicy(callback: ((url: string) => boolean) | undefined): void;
    /** Called before any local file (font, image, attachment) is read; anything but `true` refuses it. */
    setLocalAccessPolicy(callback: ((path: string) => boolean) | undefined): void;
    createPdf(definition: DocumentDefinition, options?: Record<string, never>): OutputDocument;
  }

  const pdfmake: PdfMake;
  export default pdfmake;
}
