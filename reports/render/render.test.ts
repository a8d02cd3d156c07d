import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import pdfmake from 'pdfmake';
import type { Content } from 'pdfmake';
import { UserError } from '../../core/errors.js';
import type { WeeklyFigures } from '../../core/reports/types.js';
import { alertsPerDayChart, severityComparisonChart, tacticsChart, topRulesChart } from './charts.js';
import { reportDocument } from './document.js';
import { MAX_LOGO_BYTES, checkLogo, executiveSummary, renderWeeklyReport } from './index.js';

const run = promisify(execFile);

/** Where the PDFs and page images are left for a person to look at. */
const OUT = fileURLToPath(new URL('../../.test-results/report-pages/', import.meta.url));

/** A4 width and the report's side margins, points. */
const PAGE_WIDTH = 595.28;
const MARGIN = 40;

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function fixture(name: 'figures' | 'empty'): Mutable<WeeklyFigures> {
  return JSON.parse(readFileSync(new URL(`./testdata/${name}.json`, import.meta.url), 'utf8')) as Mutable<WeeklyFigures>;
}

/** A solid-colour RGB PNG, written chunk by chunk. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [31, 58, 138]).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]);
}

interface Rendered {
  readonly pdf: Buffer;
  readonly pages: number;
  /** `pdftotext -layout` output. */
  readonly text: string;
  /** The same with whitespace collapsed and zero-width spaces removed, for sentences that wrap. */
  readonly flat: string;
  readonly pngs: readonly string[];
}

/** Writes the PDF under .test-results/report-pages/, extracts its text and renders every page to PNG. */
async function inspect(name: string, pdf: Buffer, pages: number): Promise<Rendered> {
  const file = join(OUT, `${name}.pdf`);
  writeFileSync(file, pdf);
  for (const old of readdirSync(OUT).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png'))) rmSync(join(OUT, old));
  const { stdout: text } = await run('pdftotext', ['-layout', file, '-'], { maxBuffer: 16 * 1024 * 1024 });
  await run('pdftoppm', ['-png', '-r', '60', file, join(OUT, name)]);
  const pngs = readdirSync(OUT).filter((f) => new RegExp(`^${name}-\\d+\\.png$`).test(f));
  return { pdf, pages, text, flat: text.replace(/\u200b/g, '').replace(/\s+/g, ' '), pngs };
}

async function pdfPages(pdf: Buffer, name: string): Promise<number> {
  const file = join(OUT, `${name}.pdf`);
  writeFileSync(file, pdf);
  const { stdout } = await run('pdfinfo', [file]);
  return Number(/^Pages:\s+(\d+)$/m.exec(stdout)?.[1]);
}

/** Every word's box, from `pdftotext -bbox`, to check that nothing is drawn past the margins. */
async function wordBoxes(name: string): Promise<{ word: string; xMin: number; xMax: number }[]> {
  const { stdout } = await run('pdftotext', ['-bbox', join(OUT, `${name}.pdf`), '-'], { maxBuffer: 32 * 1024 * 1024 });
  return [...stdout.matchAll(/<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g)].map((m) => ({ xMin: Number(m[1]), xMax: Number(m[2]), word: m[3] as string }));
}

/** Every node of a document definition, depth first. */
function nodes(content: Content): object[] {
  if (typeof content === 'string') return [];
  if (Array.isArray(content)) return content.flatMap((c: Content) => nodes(c));
  const node = content as Record<string, unknown>;
  const children = ['stack', 'columns', 'ul'].flatMap((key) => (Array.isArray(node[key]) ? (node[key] as Content[]) : []));
  const table = node.table as { body: Content[][] } | undefined;
  return [node, ...children.flatMap((c) => nodes(c)), ...(table ? table.body.flat().flatMap((c) => nodes(c)) : [])];
}

const consoleCalls = { warn: vi.spyOn(console, 'warn'), log: vi.spyOn(console, 'log'), error: vi.spyOn(console, 'error') };

beforeAll(() => {
  mkdirSync(OUT, { recursive: true });
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('executiveSummary', () => {
  it('opens with the volume, the trend and the severe alerts of the week', () => {
    const sentences = executiveSummary(fixture('figures'));
    expect(sentences[0]).toBe('Watchpost raised 1,284 alerts this week, 12.4 % more than the week before; 9 were critical and 41 high.');
    expect(sentences).toContain('7 incidents were opened and 5 closed (3 true positives, 1 false positive and 1 benign); 4 were open at the week’s end.');
    expect(sentences.join(' ')).toContain('203.0.113.77 (CN, AS4134) with 96 alerts; 6 of the top 10 addresses were blocked');
    expect(sentences.join(' ')).toContain('acknowledged in 14.2 min');
  });

  it('says "1 alert", "1 was", and "none the week before" for a first week', () => {
    const figures = fixture('empty');
    figures.alerts.total = 1;
    figures.alerts.bySeverity.critical = 1;
    figures.incidents.opened = 1;
    figures.incidents.openAtEnd = 1;
    const sentences = executiveSummary(figures);
    expect(sentences[0]).toBe('Watchpost raised 1 alert this week (none the week before); 1 was critical and none high.');
    expect(sentences).toContain('1 incident was opened and none closed; 1 was open at the week’s end.');
  });

  it('reports fewer, as many, and a change it has to compute itself', () => {
    const figures = fixture('figures');
    Object.assign(figures.alerts, { total: 90, previousTotal: 100, changePercent: -10 });
    expect(executiveSummary(figures)[0]).toMatch(/^Watchpost raised 90 alerts this week, 10\.0 % fewer than the week before;/);
    Object.assign(figures.alerts, { total: 100, previousTotal: 100, changePercent: 0 });
    expect(executiveSummary(figures)[0]).toMatch(/^Watchpost raised 100 alerts this week, as many as the week before;/);
    Object.assign(figures.alerts, { total: 150, previousTotal: 100, changePercent: null });
    expect(executiveSummary(figures)[0]).toMatch(/^Watchpost raised 150 alerts this week, 50\.0 % more than the week before;/);
  });

  it('says there were no alerts, with or without any the week before', () => {
    const figures = fixture('empty');
    expect(executiveSummary(figures)[0]).toBe('Watchpost raised no alerts this week, and none the week before.');
    figures.alerts.previousTotal = 37;
    expect(executiveSummary(figures)[0]).toBe('Watchpost raised no alerts this week, down from 37 the week before.');
  });

  it('handles incidents nobody has acknowledged yet', () => {
    const figures = fixture('figures');
    Object.assign(figures.responseTimes, { mttaMinutes: null, mttrMinutes: null, acknowledged: 0, resolved: 0, acknowledgeBreaches: 0, resolveBreaches: 0 });
    expect(executiveSummary(figures)).toContain('None of this week’s 7 incidents has been acknowledged yet; no SLA target was missed.');
  });

  it('never prints NaN, undefined, null or a plural after 1', () => {
    const variants = [fixture('figures'), fixture('empty')];
    const one = fixture('figures');
    Object.assign(one.alerts, { total: 1, previousTotal: 1, changePercent: 0 });
    Object.assign(one.incidents, { opened: 1, closed: 1, byVerdict: { true_positive: 1, false_positive: 0, benign: 0 }, openAtEnd: 1 });
    Object.assign(one.responseTimes, { incidents: 1, acknowledged: 1, resolved: 1, acknowledgeBreaches: 1, resolveBreaches: 1 });
    one.response.blocked = one.response.blocked.slice(0, 1);
    one.response.disabledAccounts = one.response.disabledAccounts.slice(0, 1);
    Object.assign(one.response.runs, { total: 1, succeeded: 1, failed: 0, pendingApproval: 0, rejected: 0 });
    one.ingest.sources = one.ingest.sources.slice(0, 1);
    Object.assign(one.ingest, { events: 1, parseFailures: 1, dropped: 1 });
    variants.push(one);
    for (const figures of variants) {
      const text = executiveSummary(figures).join(' ');
      expect(text).not.toMatch(/NaN|undefined|null|Infinity/);
      expect(text).not.toMatch(/\b1 (alerts|incidents|events|sources|accounts|addresses|runs|playbook runs|records|blocks)\b/);
    }
    expect(executiveSummary(one).join(' ')).toContain('1 block is still in force');
  });
});

describe('checkLogo', () => {
  it('accepts a PNG and refuses what is not a PNG or JPEG', () => {
    expect(checkLogo(png(4, 2)).dataUrl).toMatch(/^data:image\/png;base64,/);
    const refused = [
      Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'),
      Buffer.alloc(0),
      png(4, 2).subarray(0, 16), // a PNG signature with its header cut off
      Buffer.from([0xff, 0xd8, 0xff, 0xd9]), // a JPEG that ends before any frame
    ];
    for (const logo of refused) {
      expect(() => checkLogo(logo)).toThrow(UserError);
      expect(() => checkLogo(logo)).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_REPORT_INVALID' }) as Error);
    }
  });

  it('accepts a JPEG whose segments lead to a frame, and refuses logos over 2 MB', () => {
    // SOI, an APP0 segment of 16 bytes, then SOF0 naming a 32×16 image.
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...Buffer.alloc(14), 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x20, 0x03, ...Buffer.alloc(9)]);
    expect(checkLogo(jpeg).dataUrl).toMatch(/^data:image\/jpeg;base64,/);
    const big = Buffer.concat([png(4, 2), Buffer.alloc(MAX_LOGO_BYTES)]);
    expect(() => checkLogo(big)).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_REPORT_INVALID' }) as Error);
  });

  it('makes renderWeeklyReport refuse a logo that is not an image', async () => {
    await expect(renderWeeklyReport(fixture('figures'), { logo: Buffer.from('%PDF-1.7 not an image') })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID' });
  });
});

describe('charts', () => {
  it('draws nothing for an empty week, and SVG without script for a full one', () => {
    const empty = fixture('empty');
    expect([alertsPerDayChart(empty), severityComparisonChart(empty), topRulesChart(empty), tacticsChart(empty)]).toEqual([undefined, undefined, undefined, undefined]);
    const figures = fixture('figures');
    figures.topRules[0]!.ruleTitle = '<script>alert(1)</script>';
    const svg = topRulesChart(figures)!.svg;
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).not.toMatch(/<script|<image|<a\s|<style/);
  });
});

describe('renderWeeklyReport', () => {
  let full: Rendered;

  beforeAll(async () => {
    const { pdf, pages } = await renderWeeklyReport(fixture('figures'), { attribution: 'IP geolocation by DB-IP (CC BY 4.0); ASN data by ip-location-db (CC BY 4.0).' });
    full = await inspect('full', pdf, pages);
  });

  it('prints the fixture’s figures', () => {
    const { text, flat } = full;
    expect(flat).toContain(executiveSummary(fixture('figures'))[0]);
    expect(text).toContain('Weekly threat report');
    expect(text).toContain('Northwind Logistics GmbH');
    expect(flat).toContain('Monday, 16 November 2026 – Sunday, 22 November 2026');
    expect(flat).toContain('Generated 23 Nov 2026, 07:00 CET');
    expect(text).toMatch(/SSH Brute Force Attempt\s+Medium\s+412\s+18,420/);
    expect(text).toMatch(/203\.0\.113\.77\s+CN China\s+AS4134 CHINANET-BACKBONE\s+96\s+5,214\s+Yes/);
    expect(text).toMatch(/Mean time to acknowledge \(MTTA\)\s+14\.2 min/);
    expect(text).toMatch(/Mean time to resolve \(MTTR\)\s+6 h 6 min/);
    expect(text).toMatch(/syslog-udp\s+3,912,554\s+8,120\s+0\.2 %\s+1,204\s+Sun 22 Nov, 23:59\s+Drops/);
    expect(text).toMatch(/fw-branch-lyon\s+0\s+0\s+—\s+0\s+never\s+Silent/);
    expect(text).toMatch(/203\.0\.113\.77\s+nftables\s+Mon 16 Nov, 09:12\s+Mon 30 Nov, 09:12\s+Active, 7 d 2 h left/);
    expect(flat).toContain('Released by k.weber, Fri 20 Nov, 08:45');
    expect(flat).toContain('INC-2026-0412 Malware on finance workstation FIN-PC-07');
    expect(text).toContain('Credential access');
    expect(flat).toContain('IP geolocation by DB-IP (CC BY 4.0)');
  });

  it('numbers every page but the cover "Page n of N" and agrees with the PDF on N', async () => {
    expect(await pdfPages(full.pdf, 'full')).toBe(full.pages);
    expect(full.pages).toBeGreaterThanOrEqual(5);
    expect(full.text).not.toContain('Page 1 of');
    for (let page = 2; page <= full.pages; page += 1) expect(full.text).toContain(`Page ${page} of ${full.pages}`);
    const pages = full.text.split('\f');
    expect(pages[0]).not.toContain('Northwind Logistics GmbH · 2026-W47');
    for (const page of pages.slice(1, full.pages)) expect(page).toContain('Northwind Logistics GmbH');
  });

  it('renders every page to PNG', () => {
    expect(full.pngs).toHaveLength(full.pages);
  });

  it('draws nothing past the page margins', async () => {
    const boxes = await wordBoxes('full');
    expect(boxes.length).toBeGreaterThan(500);
    expect(boxes.filter((b) => b.xMin < MARGIN - 1 || b.xMax > PAGE_WIDTH - MARGIN + 1)).toEqual([]);
  });

  it('is deterministic: the same figures give the same bytes, dated from generatedAt', async () => {
    const again = await renderWeeklyReport(fixture('figures'), { attribution: 'IP geolocation by DB-IP (CC BY 4.0); ASN data by ip-location-db (CC BY 4.0).' });
    expect(again.pdf.equals(full.pdf)).toBe(true);
    const { stdout } = await run('pdfinfo', ['-isodates', join(OUT, 'full.pdf')]);
    expect(stdout).toMatch(/CreationDate:\s+2026-11-23T06:00:00/);
  });

  it('prints nothing to the console', () => {
    expect(consoleCalls.warn).not.toHaveBeenCalled();
    expect(consoleCalls.log).not.toHaveBeenCalled();
    expect(consoleCalls.error).not.toHaveBeenCalled();
  });

  it('leaves pdfmake refusing every URL and every local file but its fonts', async () => {
    await expect(pdfmake.createPdf({ content: [{ image: '/etc/hostname' }] }).getBuffer()).rejects.toThrow(/Access to local file denied/);
    await expect(pdfmake.createPdf({ content: [{ image: 'remote' }], images: { remote: 'http://127.0.0.1:9/logo.png' } }).getBuffer()).rejects.toThrow(/Access to URL denied/);
  });

  it('puts a logo on the cover and in the header', async () => {
    const { pdf, pages } = await renderWeeklyReport(fixture('figures'), { logo: png(120, 40) });
    const file = join(OUT, 'logo.pdf');
    writeFileSync(file, pdf);
    const { stdout } = await run('pdfimages', ['-list', file]);
    const placements = stdout.split('\n').slice(2).filter((line) => /\s120\s+40\s/.test(line));
    // One on the cover, one in each page's header.
    expect(placements).toHaveLength(pages);
  });
});

describe('renderWeeklyReport on an empty week', () => {
  it('still gives a readable report that says there were no alerts', async () => {
    const figures = fixture('empty');
    const definition = reportDocument(figures, { warnings: [], onPageCount: () => undefined });
    expect(nodes(definition.content).filter((node) => 'svg' in node)).toEqual([]);
    const { pdf, pages } = await renderWeeklyReport(figures);
    const empty = await inspect('empty', pdf, pages);
    expect(empty.flat).toContain('Watchpost raised no alerts this week, and none the week before.');
    expect(empty.flat).toContain('No alerts were raised this week.');
    expect(empty.flat).toContain('No rule fired this week.');
    expect(empty.flat).toContain('No incident was opened this week.');
    expect(empty.text).toMatch(/syslog-udp\s+0\s+0\s+—\s+0\s+never\s+Silent/);
    expect(empty.text).not.toMatch(/NaN|undefined|null|Infinity/);
    expect(empty.pngs).toHaveLength(pages);
    expect(await pdfPages(pdf, 'empty')).toBe(pages);
  });
});

describe('renderWeeklyReport with hostile text', () => {
  it('prints markup, huge names and non-Latin names as text without breaking the layout', async () => {
    const figures = fixture('figures');
    figures.organization = `Пётр & 山田 <b>Holding</b> ${'X'.repeat(200)}`;
    figures.topRules[0]!.ruleTitle = `<script>alert(1)</script> ${'A'.repeat(400)}`;
    figures.topRules[1]!.ruleTitle = 'Вход 山田太郎 \u202egnp.exe\u202c done';
    figures.topTargetUsers[0]!.name = 'Пётр Иванов';
    figures.topTargetUsers[1]!.name = '山田太郎';
    figures.topTargetHosts[0]!.name = 'h'.repeat(300);
    figures.topAttackers[0]!.asOrganization = '](http://evil.example/x.png) <img src=x>';
    figures.notableIncidents[0]!.title = `<svg onload=alert(1)>${'Z'.repeat(300)}`;
    figures.notableIncidents[0]!.timeline = [{ at: '2026-11-18T08:41:00.000Z', actor: 'Пётр', text: `line1\nline2\r\n\tline3 ${'word '.repeat(100)}` }];
    figures.response.blocked[0]!.target = '/etc/passwd';
    const { pdf, pages } = await renderWeeklyReport(figures);
    const hostile = await inspect('hostile', pdf, pages);
    expect(hostile.flat).toContain('<script>alert(1)</script>');
    expect(hostile.flat).toContain('<svg onload=alert(1)>');
    expect(hostile.text).toMatch(/AS4134 \]\(http:\/\/evil\.example\/x\.png\) <img/);
    expect(hostile.flat).toContain('Пётр Иванов');
    // Roboto has no CJK glyphs: 山田 is drawn as empty boxes (and extracts as nothing) but takes its
    // place in the line without disturbing the layout, which the margin check below proves.
    expect(hostile.flat).toContain('/etc/passwd');
    expect(hostile.flat).toContain('line1 line2 line3 word');
    // The bidi override is dropped, so the name reads in the order it was written.
    expect(hostile.flat).toContain('gnp.exe done');
    expect(hostile.flat).not.toContain('A'.repeat(200));
    expect(hostile.flat).not.toContain('X'.repeat(130));
    expect(hostile.pngs).toHaveLength(pages);
    // The full fixture takes 8 pages: hostile names may add a little, not a page per character.
    expect(pages).toBeLessThanOrEqual(10);
    const boxes = await wordBoxes('hostile');
    expect(boxes.filter((b) => b.xMin < MARGIN - 1 || b.xMax > PAGE_WIDTH - MARGIN + 1)).toEqual([]);
  });

  it('caps tables however many rows the figures carry', async () => {
    const figures = fixture('figures');
    figures.topRules = Array.from({ length: 50 }, (_, i) => ({ ruleId: `rule-${i + 1}`, ruleTitle: `Generated rule number ${i + 1}`, severity: 'low' as const, alerts: 100 - i, matches: 100 - i }));
    figures.ingest.sources = Array.from({ length: 40 }, (_, i) => ({ source: `source-${i + 1}`, events: 10, parseFailures: 0, parseFailureRate: 0, dropped: 0, silent: false }));
    const { pdf, pages } = await renderWeeklyReport(figures);
    const capped = await inspect('capped', pdf, pages);
    expect(capped.flat).toContain('Generated rule number 20');
    expect(capped.flat).not.toContain('Generated rule number 21');
    expect(capped.flat).toContain('30 more not shown.');
    expect(capped.flat).toContain('source-20');
    expect(capped.flat).not.toContain('source-21');
    expect(capped.flat).toContain('20 more sources not shown; the totals include them.');
    expect(capped.pngs).toHaveLength(pages);
  });
});
