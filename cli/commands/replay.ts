import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import { deterministicId } from '../../core/ids.js';
import { createEnrichers } from '../../ingest/enrich/index.js';
import { PARSERS } from '../../ingest/parsers/index.js';
import { enrichingNormalizer, normalizeRecord } from '../../ingest/pipeline/normalize.js';
import { newTally, replayEvent, replayRecord, streamLines, tallyEvent, type ReplayTally } from '../../ingest/pipeline/replay.js';
import { contentId, readHead } from '../../ingest/sources/file/fingerprint.js';
import type { RuleMatch } from '../../engine/detect/types.js';
import { configOf, refuse, writeOut } from './options.js';
import { eventTimeDetector, loadRules, ruleSourcesOf } from './rules.js';

/** The flags of `watchpost replay`. */
interface ReplayOptions {
  readonly format: string;
  readonly timezone: string;
  readonly config?: string;
  /** Print the alerts the events raise instead of the events. */
  readonly alerts?: boolean;
  /** Rule files or folders for --alerts (default: the shipped rules). */
  readonly rules?: string[];
  readonly pipelines?: string;
  readonly exclude?: string[];
}

/**
 * One alert line of `replay --alerts`: everything a match explains, the rule's author included
 * (DRL 1.1 asks that it be shown with every match).
 */
export function alertRecord(match: RuleMatch): Record<string, unknown> {
  const rule = match.rule;
  return {
    '@timestamp': match.at,
    kind: match.kind,
    rule: {
      key: rule.key,
      ...(rule.id !== undefined ? { id: rule.id } : {}),
      ...(rule.name !== undefined ? { name: rule.name } : {}),
      title: rule.title,
      level: rule.level,
      tags: rule.tags,
      ...(rule.author !== undefined ? { author: rule.author } : {}),
      source: rule.source,
    },
    selections: match.selections,
    matched: match.matched,
    entities: match.entities,
    eventIds: match.eventIds,
    ...(match.filtersApplied.length > 0 ? { filtersApplied: match.filtersApplied } : {}),
    ...(match.correlation !== undefined ? { correlation: match.correlation } : {}),
  };
}

/** Accepts an IANA zone Intl knows (`UTC`, `Europe/Berlin`). */
export function timeZoneArgument(value: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw new InvalidArgumentError(`unknown time zone "${value}"; use an IANA name such as UTC or Europe/Berlin`);
  }
  return value;
}

/** The summary line: events, parsed by parser, unclaimed, failures by reason. */
export function summaryLine(tally: ReplayTally): string {
  const counts = (record: Record<string, number>): string =>
    Object.entries(record)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([name, count]) => `${name}=${count}`)
      .join(' ') || '-';
  return `replay: ${tally.events} events; parsed: ${counts(tally.parsed)}; unclaimed: ${tally.unclaimed}; failures: ${counts(tally.failures)}\n`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A progress line redrawn in place on an interactive stderr, at most five times a second. */
function progressReporter(total: number | undefined): { update(lines: number, bytes: number): void; done(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  const started = Date.now();
  let drawn = 0;
  return {
    update(lines, bytes) {
      const now = Date.now();
      if (now - drawn < 200) return;
      drawn = now;
      const rate = Math.round(lines / Math.max(0.001, (now - started) / 1000));
      let bar = '';
      if (total !== undefined && total > 0) {
        const share = Math.min(1, bytes / total);
        const filled = Math.round(share * 30);
        bar = `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  `;
      }
      process.stderr.write(`\r${bar}${lines} lines  ${rate} lines/s  ${formatBytes(bytes)}${total !== undefined ? ` / ${formatBytes(total)}` : ''}\x1b[K`);
    },
    done() {
      if (drawn > 0) process.stderr.write('\r\x1b[K');
    },
  };
}

/** Where the lines come from: the file (with its size and fingerprint id, as the file source keys records) or stdin. */
async function openInput(path: string): Promise<{ input: Readable; file?: string; keyPrefix: string; size?: number }> {
  if (path === '-') return { input: process.stdin, keyPrefix: 'stdin' };
  const handle = await open(path, 'r');
  try {
    const size = (await stat(path)).size;
    const head = await readHead(handle, size);
    return { input: createReadStream(path), file: path, keyPrefix: contentId(head), size };
  } finally {
    await handle.close();
  }
}

async function replay(path: string, options: ReplayOptions): Promise<void> {
  if (options.format !== 'auto' && !PARSERS.some((parser) => parser.id === options.format)) {
    refuse(`unknown format "${options.format}"; \`watchpost parsers list\` shows the parser ids, or use auto`);
    return;
  }
  const config = configOf(options.config !== undefined ? { config: options.config } : {});
  const normalize = enrichingNormalizer(normalizeRecord, createEnrichers(config.ingest.enrich));
  let detector: ReturnType<typeof eventTimeDetector> | undefined;
  if (options.alerts) {
    const ruleSet = await loadRules(ruleSourcesOf(options.rules ?? [], options));
    if (!ruleSet) return;
    detector = eventTimeDetector(ruleSet);
  }
  let opened;
  try {
    opened = await openInput(path);
  } catch (error) {
    refuse(`cannot read ${path}: ${(error as Error).message}`);
    return;
  }
  const source = {
    ...(opened.file !== undefined ? { file: opened.file } : {}),
    keyPrefix: opened.keyPrefix,
    format: options.format,
    timezone: options.timezone,
    receivedAt: Date.now(),
  };
  const tally = newTally();
  const alerts: Record<string, number> = {};
  const progress = progressReporter(opened.size);
  let lines = 0;
  try {
    for await (const line of streamLines(opened.input)) {
      lines += 1;
      const record = replayRecord(source, line);
      const event = replayEvent(normalize, record);
      tallyEvent(tally, event);
      if (detector) {
        let open = true;
        // The id the ingest pipeline would give the event, so an alert's event ids name real events.
        const identified = { ...event, event: { ...event.event, id: deterministicId(record.sourceId, record.key ?? String(line.offset)) } };
        for (const match of await detector.process(identified)) {
          alerts[match.rule.key] = (alerts[match.rule.key] ?? 0) + 1;
          open = await writeOut(JSON.stringify(alertRecord(match)) + '\n');
          if (!open) break;
        }
        if (!open) break;
      } else if (!(await writeOut(JSON.stringify(event) + '\n'))) break;
      progress.update(lines, line.end);
    }
    if (detector) {
      for (const match of await detector.finish()) {
        alerts[match.rule.key] = (alerts[match.rule.key] ?? 0) + 1;
        if (!(await writeOut(JSON.stringify(alertRecord(match)) + '\n'))) break;
      }
    }
  } finally {
    progress.done();
    opened.input.destroy();
    await detector?.close();
  }
  process.stderr.write(summaryLine(tally));
  if (detector) process.stderr.write(alertSummaryLine(alerts));
}

/** The alerts line of `replay --alerts`: the total, then the count per rule key. */
export function alertSummaryLine(alerts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(alerts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return `alerts: ${total}; by rule: ${entries.map(([key, count]) => `${key}=${count}`).join(' ') || '-'}\n`;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Registers `watchpost replay`. */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('normalize a log file (or - for stdin) offline and print ECS NDJSON, event.original on every event; a summary goes to stderr')
    .argument('<file>', 'the log file, or - for standard input')
    .option('--format <id>', 'parser id, or auto to detect per line', 'auto')
    .option('--timezone <zone>', 'IANA time zone for timestamps without an offset', timeZoneArgument, 'UTC')
    .option('-c, --config <file>', 'YAML configuration file (its ingest.enrich section applies)')
    .option('--alerts', 'print the alerts the events raise (NDJSON: rule, matched values, entities, event ids, correlations in event time) instead of the events')
    .option('--rules <path>', 'with --alerts: rule file or folder to load (repeatable; default: the shipped rules)', collect)
    .option('--pipelines <dir>', 'with --alerts: folder of pipeline files (default: the shipped rules/pipelines)')
    .option('--exclude <path>', 'with --alerts: leave out a rule file or folder (repeatable)', collect)
    .action((file: string, options: ReplayOptions) => replay(file, options));
}
