import type { Alert } from '../../../core/cases/types.js';
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/log.js';
import type { CaseStore, Stored } from '../../../core/stores/case-store.js';

/** One thing a live stream tells its clients. */
export type AlertFeedEvent =
  | { readonly type: 'created' | 'updated'; readonly alert: Stored<Alert> }
  /** More changed than one poll delivers: clients reload their list instead of patching it. */
  | { readonly type: 'resync' };

/** Options of {@link AlertFeed}. */
export interface AlertFeedOptions {
  readonly cases: CaseStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often the store is polled for alerts other processes changed, while anyone listens. @defaultValue 5000 */
  readonly pollIntervalMs?: number;
}

/** Alerts read per poll page, and pages per poll before clients are told to resync. */
const POLL_PAGE = 200;
const POLL_PAGES = 5;

/** Alerts whose last delivered version is remembered (for dedup) at most. */
const MAX_REMEMBERED = 20_000;

/**
 * The alert changes of this process and of the others, as one feed for the live streams.
 *
 * Two inputs: {@link publish} (the alerting engine's hook and the API's own triage, at once) and
 * a poll of the case store for alerts whose `updatedAt` is at or after the last one seen minus an
 * overlap (a write of another process may land with a slightly older time than one already
 * seen, and clocks of processes differ a little). The overlap makes the poll see some alerts
 * twice, and the hook and the poll see the same change twice: each alert's last delivered
 * `updatedAt` and revision are remembered and only another version is passed on.
 *
 * The poll runs only while someone listens, never overlaps itself, and starts from the time of
 * the first subscription (streams show changes from when they open, not history).
 */
export class AlertFeed {
  private readonly listeners = new Set<(event: AlertFeedEvent) => void>();
  /** Per alert id, the `updatedAt` and revision last delivered. */
  private readonly delivered = new Map<string, { readonly updatedAt: string; readonly rev: string }>();
  private readonly pollIntervalMs: number;
  private readonly overlapMs: number;
  private watermark = '';
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: AlertFeedOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.overlapMs = Math.max(2 * this.pollIntervalMs, 5_000);
  }

  /** How many listen. */
  get size(): number {
    return this.listeners.size;
  }

  /** Adds a listener; the first one starts the poll. Returns the unsubscribe (the last one stops it). */
  subscribe(listener: (event: AlertFeedEvent) => void): () => void {
    if (this.listeners.size === 0) this.start();
    this.listeners.add(listener);
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.stop();
    };
  }

  /** Passes on the alerts changed in this process (new ones as `created`), unless already delivered. */
  publish(alerts: readonly Stored<Alert>[], created: readonly Stored<Alert>[] = []): void {
    if (this.listeners.size === 0) return;
    const fresh = new Set(created.map((alert) => alert.id));
    for (const alert of [...created, ...alerts]) this.deliver(alert, fresh.has(alert.id) ? 'created' : 'updated');
  }

  /** One poll of the store (the timer calls it; tests may too). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'alert stream poll failed; retried at the next interval'))
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  /** Stops the poll and drops every listener (their streams end on their own). */
  async close(): Promise<void> {
    this.listeners.clear();
    this.stop();
    await this.polling;
  }

  private start(): void {
    const since = new Date(this.options.clock.now()).toISOString();
    if (this.watermark < since) this.watermark = since;
    this.timer = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.timer.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async pollOnce(): Promise<void> {
    const from = new Date(Date.parse(this.watermark) - this.overlapMs).toISOString();
    let cursor: string | undefined;
    for (let page = 0; page < POLL_PAGES; page++) {
      const result = await this.options.cases.alerts.list({
        filter: { op: 'range', field: 'updatedAt', gte: from },
        sort: 'updatedAt',
        order: 'asc',
        limit: POLL_PAGE,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      for (const alert of result.items) {
        // Not seen before and created within the window polled: new to every listener.
        this.deliver(alert, !this.delivered.has(alert.id) && alert.createdAt >= from ? 'created' : 'updated');
        if (alert.updatedAt > this.watermark) this.watermark = alert.updatedAt;
      }
      cursor = result.nextCursor;
      if (cursor === undefined) {
        this.forget(from);
        return;
      }
    }
    // More changed than a poll reads: skip ahead and let clients reload.
    this.options.logger.info({ pages: POLL_PAGES, pageSize: POLL_PAGE }, 'more alerts changed than one stream poll reads; clients told to resync');
    const now = new Date(this.options.clock.now()).toISOString();
    if (now > this.watermark) this.watermark = now;
    this.emit({ type: 'resync' });
  }

  private deliver(alert: Stored<Alert>, type: 'created' | 'updated'): void {
    const last = this.delivered.get(alert.id);
    // Two writes may share a millisecond: the same time with another revision is news too.
    if (last !== undefined && (last.updatedAt > alert.updatedAt || (last.updatedAt === alert.updatedAt && last.rev === alert.rev))) return;
    this.delivered.delete(alert.id);
    this.delivered.set(alert.id, { updatedAt: alert.updatedAt, rev: alert.rev });
    if (this.delivered.size > MAX_REMEMBERED) this.delivered.delete(this.delivered.keys().next().value as string);
    this.emit({ type, alert });
  }

  /** Forgets versions older than the poll window: the poll cannot return them again unchanged. */
  private forget(from: string): void {
    for (const [id, last] of this.delivered) if (last.updatedAt < from) this.delivered.delete(id);
  }

  private emit(event: AlertFeedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'alert stream listener failed');
      }
    }
  }
}
