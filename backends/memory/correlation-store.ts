import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import { UnexpectedError } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { CorrelationStore, WindowMember, WindowState } from '../../core/stores/correlation-store.js';
import type { BackendHealth } from '../../core/stores/event-store.js';
import { KeyHeap, type HeapEntry } from './key-heap.js';

/** Options of {@link MemoryCorrelationStore}. */
export interface MemoryCorrelationStoreOptions {
  /** Where the state is saved on close() and checkpoint(), and loaded by open(). @defaultValue none: nothing is saved */
  readonly checkpointPath?: string;
  /** How often the state is also saved while running (0: only on close and checkpoint()). @defaultValue 60000 */
  readonly checkpointIntervalMs?: number;
  /** The most keys kept; beyond it the key whose newest member is oldest is forgotten. @defaultValue 100000 */
  readonly maxKeys?: number;
  /** The time source of expiry (key TTLs and claims). @defaultValue the system clock */
  readonly clock?: Clock;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}

/** One key's window. `priority` (the heap order) is the time of its newest member. */
interface Window extends HeapEntry {
  readonly key: string;
  members: Map<string, number>;
  /**
   * True while the map's insertion order is ascending by time, which it stays as long as
   * observations arrive in time order; pruning then stops at the first member still inside
   * instead of scanning them all.
   */
  ordered: boolean;
  /** Time of the member inserted last, to notice an out-of-order insertion. */
  tailMs: number;
  /** Clock time at which the whole key expires. */
  expiresAt: number;
}

/** What the checkpoint file holds. Times are ms since the epoch; `expiresAt` on the store's clock. */
interface Checkpoint {
  readonly version: 1;
  readonly savedAt: number;
  readonly windows: readonly (readonly [key: string, expiresAt: number, members: readonly (readonly [string, number])[]])[];
  readonly claims: readonly (readonly [key: string, until: number])[];
}

/**
 * Correlation windows in this process's memory: the embedded default, for one ingest process.
 * Bounded to maxKeys keys (the one whose newest member is oldest goes first) and saved to a
 * checkpoint file (written to a temp file and renamed, so a crash mid-write leaves the previous
 * checkpoint whole) on close(), on checkpoint() and periodically, so a restart keeps its windows.
 */
export class MemoryCorrelationStore implements CorrelationStore {
  readonly kind = 'memory';
  private readonly windows = new Map<string, Window>();
  private readonly heap = new KeyHeap<Window>();
  private readonly claims = new Map<string, number>();
  private readonly clock: Clock;
  private readonly maxKeys: number;
  private readonly logger: Logger;
  private readonly timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: MemoryCorrelationStoreOptions = {}) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.logger = (options.logger ?? silentLogger()).child({ backend: 'memory' });
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw internal(`maxKeys must be a positive integer, got ${this.maxKeys}`);
    const every = options.checkpointIntervalMs ?? 60_000;
    if (options.checkpointPath && every > 0) {
      this.timer = setInterval(() => {
        this.checkpoint().catch((error: unknown) => this.logger.warn({ err: error }, 'writing the correlation checkpoint failed'));
      }, every);
      this.timer.unref();
    }
  }

  /** Creates a store and loads its checkpoint, if the file exists. A corrupt checkpoint is moved aside and the store starts empty. */
  static async open(options: MemoryCorrelationStoreOptions = {}): Promise<MemoryCorrelationStore> {
    const store = new MemoryCorrelationStore(options);
    if (options.checkpointPath) await store.load(options.checkpointPath);
    return store;
  }

  async observe(key: string, member: string, atMs: number, windowMs: number): Promise<WindowState> {
    this.assertOpen();
    assertObservation(atMs, windowMs);
    const now = this.clock.now();
    let window = this.live(key, now);
    if (!window) {
      while (this.windows.size >= this.maxKeys) this.drop(this.heap.peek() as Window);
      window = { key, members: new Map(), ordered: true, tailMs: Number.NEGATIVE_INFINITY, expiresAt: 0, priority: atMs, heapIndex: -1 };
      this.windows.set(key, window);
      this.heap.push(window);
    }
    const previous = window.members.get(member);
    // A member seen again keeps its latest time, whatever order the sightings arrive in.
    if (previous === undefined || atMs > previous) {
      window.members.delete(member);
      if (atMs < window.tailMs) window.ordered = false;
      window.members.set(member, atMs);
      window.tailMs = Math.max(window.tailMs, atMs);
    }
    prune(window, atMs - windowMs);
    const newest = Math.max(window.priority, atMs);
    if (newest !== window.priority) {
      window.priority = newest;
      this.heap.update(window);
    }
    // As in Redis (PEXPIRE from the newest member): the key outlives its newest member by the window.
    window.expiresAt = now + (newest + windowMs - atMs);
    const [, oldestMs] = window.members.entries().next().value as [string, number];
    return { count: window.members.size, oldestMs };
  }

  async members(key: string, sinceMs: number): Promise<WindowMember[]> {
    this.assertOpen();
    const window = this.live(key, this.clock.now());
    if (!window) return [];
    const result: WindowMember[] = [];
    for (const [member, atMs] of window.members) if (atMs > sinceMs) result.push({ member, atMs });
    return result.sort(byTimeThenMember);
  }

  async reset(key: string): Promise<void> {
    this.assertOpen();
    const window = this.windows.get(key);
    if (window) this.drop(window);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const now = this.clock.now();
    const until = this.claims.get(key);
    if (until !== undefined && until > now) return false;
    if (this.claims.size >= this.maxKeys) this.sweepClaims(now);
    this.claims.set(key, now + ttlMs);
    return true;
  }

  async health(): Promise<BackendHealth> {
    return this.closing ? { state: 'down', detail: 'the correlation store is closed' } : { state: 'up' };
  }

  /**
   * Saves the live windows and claims to the checkpoint file now: written to a temp file, synced
   * and renamed over the old one. Calls are serialized; a no-op without checkpointPath.
   */
  checkpoint(): Promise<void> {
    const path = this.options.checkpointPath;
    if (!path) return Promise.resolve();
    const write = this.writing.catch(() => undefined).then(() => this.write(path));
    this.writing = write;
    return write;
  }

  /** Saves the checkpoint and stops the periodic one. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.checkpoint();
    })();
    return this.closing;
  }

  /** How many keys are held (expired ones included until touched); for tests and metrics. */
  get size(): number {
    return this.windows.size;
  }

  private live(key: string, now: number): Window | undefined {
    const window = this.windows.get(key);
    if (window && window.expiresAt <= now) {
      this.drop(window);
      return undefined;
    }
    return window;
  }

  private drop(window: Window): void {
    this.windows.delete(window.key);
    this.heap.remove(window);
  }

  private sweepClaims(now: number): void {
    for (const [key, until] of this.claims) if (until <= now) this.claims.delete(key);
  }

  private async write(path: string): Promise<void> {
    const now = this.clock.now();
    this.sweepClaims(now);
    const checkpoint: Checkpoint = {
      version: 1,
      savedAt: now,
      windows: [...this.windows.values()].filter((w) => w.expiresAt > now).map((w) => [w.key, w.expiresAt, [...w.members]] as const),
      claims: [...this.claims],
    };
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.${randomId().slice(0, 8)}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(JSON.stringify(checkpoint));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    // The rename is durable only once the directory entry is; some platforms cannot sync a directory.
    try {
      const dir = await open(dirname(path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      /* best effort */
    }
    this.logger.debug({ keys: checkpoint.windows.length, claims: checkpoint.claims.length }, 'correlation checkpoint written');
  }

  private async load(path: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const now = this.clock.now();
    try {
      const checkpoint = parseCheckpoint(text);
      for (const [key, expiresAt, members] of checkpoint.windows) {
        if (expiresAt <= now || members.length === 0) continue;
        const sorted = [...members].sort((a, b) => a[1] - b[1]);
        const window: Window = {
          key,
          members: new Map(sorted),
          ordered: true,
          tailMs: (sorted.at(-1) as readonly [string, number])[1],
          expiresAt,
          priority: (sorted.at(-1) as readonly [string, number])[1],
          heapIndex: -1,
        };
        while (this.windows.size >= this.maxKeys) this.drop(this.heap.peek() as Window);
        this.windows.set(key, window);
        this.heap.push(window);
      }
      for (const [key, until] of checkpoint.claims) if (until > now) this.claims.set(key, until);
      this.logger.info({ keys: this.windows.size, claims: this.claims.size }, 'correlation checkpoint loaded');
    } catch (error) {
      // Correlation state is soft: losing it delays a detection by at most one window, while
      // refusing to start would stop detection altogether. Keep the file for a post-mortem.
      const aside = `${path}.corrupt-${now}`;
      await rename(path, aside).catch(() => undefined);
      this.windows.clear();
      this.claims.clear();
      while (this.heap.size > 0) this.heap.remove(this.heap.peek() as Window);
      this.logger.warn({ err: error, movedTo: aside }, 'the correlation checkpoint is unreadable; starting empty');
    }
  }

  private assertOpen(): void {
    if (this.closing) throw internal('the correlation store was used after close()');
  }
}

/** Parses a checkpoint file, checking its shape (a malformed entry would otherwise poison the store). */
function parseCheckpoint(text: string): Checkpoint {
  const parsed: unknown = JSON.parse(text);
  const value = parsed as Partial<Checkpoint> | null;
  const isPair = (entry: unknown): boolean => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number';
  const windowsOk =
    Array.isArray(value?.windows) &&
    value.windows.every(
      (w: unknown) => Array.isArray(w) && typeof w[0] === 'string' && typeof w[1] === 'number' && Array.isArray(w[2]) && w[2].every(isPair),
    );
  if (value?.version !== 1 || !windowsOk || !Array.isArray(value.claims) || !value.claims.every(isPair)) {
    throw new Error('the checkpoint is not a version 1 correlation checkpoint');
  }
  return value as Checkpoint;
}

/** Forgets members last seen at or before `cutoff`. */
function prune(window: Window, cutoff: number): void {
  if (window.ordered) {
    for (const [member, atMs] of window.members) {
      if (atMs > cutoff) break;
      window.members.delete(member);
    }
    return;
  }
  // Out of order: rebuild in time order, so later prunes take the fast path again.
  const kept = [...window.members].filter(([, atMs]) => atMs > cutoff).sort((a, b) => a[1] - b[1]);
  window.members = new Map(kept);
  window.ordered = true;
  window.tailMs = kept.at(-1)?.[1] ?? Number.NEGATIVE_INFINITY;
}

/** Oldest first; ties by member, as a Redis sorted set orders them. */
function byTimeThenMember(a: WindowMember, b: WindowMember): number {
  return a.atMs - b.atMs || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0);
}

function assertObservation(atMs: number, windowMs: number): void {
  if (!Number.isFinite(atMs) || !Number.isFinite(windowMs) || windowMs <= 0) {
    throw internal(`observe needs a finite time and a positive window, got atMs=${atMs} windowMs=${windowMs}`);
  }
}

function internal(message: string): UnexpectedError {
  return new UnexpectedError('WATCHPOST_ERR_INTERNAL', message);
}
