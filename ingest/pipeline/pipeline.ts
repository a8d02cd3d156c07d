import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import type { BatchConfig, SpoolConfig } from '../../core/config/ingest.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import { PARSE_FAILURE_TAG } from '../../core/ecs/fields.js';
import { OperationalError } from '../../core/errors.js';
import { deterministicId } from '../../core/ids.js';
import type { RawRecord, RecordSink } from '../../core/ingest/record.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { Registry } from '../../core/metrics.js';
import type { EventStore } from '../../core/stores/event-store.js';
import type { SourceMetrics } from '../source.js';
import { DeadLetterFile, type DeadLetter } from './dead-letter.js';
import { failureEvent, type Normalizer } from './events.js';
import { IngestMetrics } from './metrics.js';
import { Spool, type SpoolEntry, type SpoolPosition } from './spool/spool.js';

/** Options of {@link IngestPipeline.open}. */
export interface IngestPipelineOptions {
  /** The data directory: the spool goes to `<dataDir>/spool`, dead letters to `<dataDir>/dead-letter.ndjson`. */
  readonly dataDir: string;
  readonly spool: Readonly<SpoolConfig>;
  readonly batch: Readonly<BatchConfig>;
  readonly store: EventStore;
  /** Record → ECS event (ingest/pipeline/normalize.ts in production). */
  readonly normalize: Normalizer;
  readonly metrics: Registry;
  /** Configured source ids: the only values of the `source` label; others count as "other". @defaultValue no restriction */
  readonly sourceIds?: readonly string[];
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** Store retry backoff: first delay and cap. @defaultValue { initialMs: 100, maxMs: 5000 } */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * Called with each batch's stored events (not those dead-lettered) after the store holds them and
   * before the spool cursor moves: detection runs here, so an event is evaluated only once it can be
   * found, and a crash before the cursor commit evaluates the batch again after restart. The hook
   * must therefore be idempotent (detection is: event ids are deterministic, and so are the ids of
   * what it derives). An OperationalError is retried with the store's backoff; any other error is a
   * bug, logged and counted, and does not hold up ingestion.
   */
  readonly afterStore?: (events: readonly EcsEvent[]) => Promise<void>;
}

/** A batch read from the spool, with where the cursor goes once it is stored. */
interface DrainBatch {
  readonly entries: SpoolEntry[];
  readonly next: SpoolPosition;
}

function stopping(): OperationalError {
  return new OperationalError('WATCHPOST_ERR_INGEST_STOPPING', 'the ingest pipeline is stopping');
}

/**
 * The ingest pipeline: every accepted record is appended to the write-ahead spool (durable when
 * {@link IngestPipeline.accept} resolves), and one drain loop moves records from the spool to the
 * event store in batches:
 *
 * read a batch → normalize each record (a record that fails to decode is stored tagged) → set
 * `event.id` = deterministicId(source, key ?? spool position) → append to the store, retrying
 * an OperationalError with capped exponential backoff (the same ids, so a retry or a replay after
 * a crash never duplicates) → dead-letter what the store refused permanently → commit the cursor.
 *
 * While the store is down the spool fills; at its cap `accept` waits, which stops TCP reading
 * and pauses file tailers. Nothing acknowledged is lost; the cursor moves only after the store
 * (or the dead-letter file) holds every event of the batch.
 */
export class IngestPipeline implements RecordSink {
  private readonly spool: Spool;
  private readonly options: IngestPipelineOptions;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly metrics: IngestMetrics;
  private readonly deadLetters: DeadLetterFile;
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;
  private closing: Promise<void> | undefined;
  private lastCorrupt: number;
  private idleWaiters: (() => void)[] = [];

  private constructor(spool: Spool, options: IngestPipelineOptions) {
    this.spool = spool;
    this.options = options;
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.metrics = new IngestMetrics(options.metrics, {
      ...(options.sourceIds ? { sourceIds: options.sourceIds } : {}),
      spoolStats: () => spool.stats(),
    });
    this.deadLetters = new DeadLetterFile(join(options.dataDir, 'dead-letter.ndjson'));
    this.lastCorrupt = spool.corruptEntries();
    this.metrics.spoolCorrupt.inc(this.lastCorrupt);
    this.loop = this.drainLoop();
  }

  /** Opens the spool in `<dataDir>/spool` and starts draining it (what a previous run left is stored first). */
  static async open(options: IngestPipelineOptions): Promise<IngestPipeline> {
    const spool = await Spool.open({
      dir: join(options.dataDir, 'spool'),
      maxBytes: options.spool.maxBytes,
      segmentBytes: options.spool.segmentBytes,
      logger: (options.logger ?? silentLogger()).child({ component: 'spool' }),
    });
    return new IngestPipeline(spool, options);
  }

  /** The id that scopes this spool's entry positions (part of event ids of records without a key). */
  get spoolId(): string {
    return this.spool.id;
  }

  /**
   * Appends the batch to the spool; resolves once it is on disk. Waits while the spool is full.
   * Rejects with an OperationalError once the pipeline is closing.
   */
  async accept(batch: readonly RawRecord[]): Promise<void> {
    if (this.abort.signal.aborted) throw stopping();
    await this.spool.append(batch);
  }

  /** True while the spool is at its cap: a UDP listener drops (and counts) instead of waiting. */
  isFull(): boolean {
    return this.spool.isFull();
  }

  /** The counters of one source, for its SourceContext. */
  sourceMetrics(sourceId: string): SourceMetrics {
    return this.metrics.forSource(sourceId);
  }

  /** The per-source counters (the hourly source stats read them). */
  get counters(): IngestMetrics {
    return this.metrics;
  }

  /** Resolves once everything in the spool so far is stored (tests, orderly shutdown checks). */
  async idle(): Promise<void> {
    while (!this.abort.signal.aborted && (this.spool.bytes() > 0 || this.spool.hasUnread())) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /**
   * Stops accepting, lets the batch in flight finish (one more store attempt if it is failing),
   * and closes the spool; what was not stored stays in the spool for the next start. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      await this.loop;
      await this.spool.close();
      await this.deadLetters.close();
      for (const wake of this.idleWaiters.splice(0)) wake();
    })();
    return this.closing;
  }

  private async drainLoop(): Promise<void> {
    const signal = this.abort.signal;
    let committed: SpoolPosition | undefined;
    while (!signal.aborted) {
      try {
        const batch = await this.collect();
        if (batch.entries.length > 0) {
          const stored = await this.store(batch.entries);
          if (!stored) break; // stopping while the store was failing: the spool keeps the batch
        }
        if (committed === undefined || committed.segment !== batch.next.segment || committed.offset !== batch.next.offset) {
          await this.spool.commit(batch.next);
          committed = batch.next;
        }
        this.countCorrupt();
        if (!this.spool.hasUnread() && this.spool.bytes() === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      } catch (error) {
        if (signal.aborted) break;
        // A disk error reading the spool or writing the cursor: nothing is committed, so retrying re-reads the same records.
        this.logger.error({ err: error }, 'ingest pipeline drain failed; retrying');
        this.spool.rewind();
        committed = undefined;
        await sleep(1000, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** Reads up to batch.maxRecords, waiting at most batch.maxDelayMs after the first record for more. */
  private async collect(): Promise<DrainBatch> {
    const { maxRecords, maxDelayMs } = this.options.batch;
    const signal = this.abort.signal;
    let read = await this.spool.read(maxRecords);
    while (read.entries.length === 0 && !this.spool.hasUnread() && !signal.aborted) {
      await this.spool.waitForData(1000, signal);
      read = await this.spool.read(maxRecords);
      if (read.entries.length === 0 && !this.spool.hasUnread()) return read;
    }
    const entries = read.entries;
    let next = read.next;
    const deadline = this.clock.now() + maxDelayMs;
    while (entries.length < maxRecords && !signal.aborted) {
      const left = deadline - this.clock.now();
      if (left <= 0) break;
      await this.spool.waitForData(left, signal);
      const more = await this.spool.read(maxRecords - entries.length);
      entries.push(...more.entries);
      next = more.next;
      if (more.entries.length === 0 && this.clock.now() >= deadline) break;
    }
    return { entries, next };
  }

  /** Normalizes and stores a batch; false if the pipeline is stopping and the store still fails. */
  private async store(entries: readonly SpoolEntry[]): Promise<boolean> {
    const ingested = new Date(this.clock.now()).toISOString();
    const events = entries.map((entry) => this.toEvent(entry, ingested));
    const sources = new Map<string, string>(events.map((event, i) => [event.event?.id as string, (entries[i] as SpoolEntry).record.sourceId]));
    const letters = await this.appendSplitting(events, sources);
    if (letters === undefined) return false;
    if (letters.length > 0) {
      await this.deadLetters.write(letters);
      for (const letter of letters) this.metrics.deadLettered.inc({ source: this.metrics.label(letter.sourceId), reason: letter.reason });
      this.logger.error({ count: letters.length, reasons: [...new Set(letters.map((l) => l.reason))] }, 'events refused by the store written to the dead-letter file');
    }
    if (this.options.afterStore) {
      const refused = new Set(letters.map((letter) => letter.event.event?.id));
      return this.runAfterStore(refused.size === 0 ? events : events.filter((event) => !refused.has(event.event?.id)));
    }
    return true;
  }

  /** Runs the afterStore hook, retrying OperationalErrors; false if the pipeline stops meanwhile. */
  private async runAfterStore(events: readonly EcsEvent[]): Promise<boolean> {
    const hook = this.options.afterStore;
    if (!hook || events.length === 0) return true;
    const { initialMs, maxMs } = this.options.retry ?? { initialMs: 100, maxMs: 5000 };
    const signal = this.abort.signal;
    let delay = initialMs;
    for (let failures = 1; ; failures += 1) {
      try {
        await hook(events);
        return true;
      } catch (error) {
        if (!(error instanceof OperationalError)) {
          this.metrics.afterStoreErrors.inc();
          this.logger.error({ err: error, count: events.length }, 'post-store processing (detection) failed on a batch; the events are stored, the batch is not evaluated');
          return true;
        }
        if (signal.aborted) return false;
        if (failures === 1 || failures % 20 === 0) this.logger.warn({ err: error, failures, retryInMs: delay }, 'post-store processing (detection) unavailable; retrying the batch');
        await sleep(delay, undefined, { signal }).catch(() => undefined);
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }

  private toEvent(entry: SpoolEntry, ingested: string): EcsEvent {
    const { record, position } = entry;
    const source = this.metrics.label(record.sourceId);
    let event: EcsEvent;
    try {
      event = this.options.normalize(record);
    } catch (error) {
      // A parser bug must not lose the record or stall the batch: store it raw, tagged.
      this.logger.debug({ err: error, source: record.sourceId }, 'record could not be decoded');
      event = failureEvent(record, 'decode_error');
    }
    if (event.tags?.includes(PARSE_FAILURE_TAG)) this.metrics.failed.inc({ source });
    else this.metrics.parsed.inc({ source });
    const identity = record.key ?? `${this.spool.id}:${position.segment}:${position.offset}`;
    return { ...event, event: { ...event.event, id: deterministicId(record.sourceId, identity), ingested } };
  }

  /**
   * Appends with retry. An OperationalError is retried with backoff until it succeeds (or the
   * pipeline stops: undefined). Any other error is a bug or a poison event: the batch is split
   * to find it, and an event that fails alone is dead-lettered rather than blocking the spool.
   */
  private async appendSplitting(events: readonly EcsEvent[], sources: ReadonlyMap<string, string>): Promise<DeadLetter[] | undefined> {
    const letter = (event: EcsEvent, reason: string, detail?: string): DeadLetter => ({
      reason,
      ...(detail !== undefined ? { detail } : {}),
      sourceId: sources.get(event.event?.id as string) ?? 'unknown',
      event,
    });
    try {
      const result = await this.appendWithRetry(events);
      if (result === undefined) return undefined;
      const byId = new Map(events.map((event) => [event.event?.id as string, event]));
      return result.rejected.map((rejected) => {
        const event = byId.get(rejected.id) ?? events[0];
        return letter(event as EcsEvent, rejected.reason, rejected.detail);
      });
    } catch (error) {
      if (events.length === 1) {
        this.logger.error({ err: error, id: events[0]?.event?.id }, 'the store fails on this event with an unexpected error; dead-lettering it');
        return [letter(events[0] as EcsEvent, 'store_error', (error as Error).message)];
      }
      const half = Math.ceil(events.length / 2);
      const first = await this.appendSplitting(events.slice(0, half), sources);
      if (first === undefined) return undefined;
      const second = await this.appendSplitting(events.slice(half), sources);
      return second === undefined ? undefined : [...first, ...second];
    }
  }

  private async appendWithRetry(events: readonly EcsEvent[]): Promise<Awaited<ReturnType<EventStore['append']>> | undefined> {
    const { initialMs, maxMs } = this.options.retry ?? { initialMs: 100, maxMs: 5000 };
    const signal = this.abort.signal;
    let delay = initialMs;
    let failures = 0;
    for (;;) {
      try {
        const result = await this.options.store.append(events);
        if (failures > 0) this.logger.info({ failures }, 'event store reachable again; draining the spool');
        return result;
      } catch (error) {
        if (!(error instanceof OperationalError)) throw error;
        this.metrics.storeErrors.inc();
        failures += 1;
        if (signal.aborted) return undefined;
        if (failures === 1 || failures % 20 === 0) {
          this.logger.warn({ err: error, failures, retryInMs: delay, spoolBytes: this.spool.bytes() }, 'event store unavailable; records stay in the spool and are retried');
        }
        await sleep(delay, undefined, { signal }).catch(() => undefined);
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }

  private countCorrupt(): void {
    const corrupt = this.spool.corruptEntries();
    if (corrupt > this.lastCorrupt) this.metrics.spoolCorrupt.inc(corrupt - this.lastCorrupt);
    this.lastCorrupt = corrupt;
  }
}
