import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EcsEvent } from '../../core/ecs/event.js';

/** One line of the dead-letter file. */
export interface DeadLetter {
  readonly reason: string;
  readonly detail?: string;
  readonly sourceId: string;
  readonly event: EcsEvent;
}

/**
 * The dead-letter file, `<dataDir>/dead-letter.ndjson`: events the store refused permanently,
 * one JSON line each with the time, reason and the whole event. Lines are fsynced before the
 * spool cursor moves past their records, so a refused event is never lost.
 */
export class DeadLetterFile {
  private handle: FileHandle | undefined;

  constructor(private readonly path: string) {}

  /** Appends the letters and syncs them to disk. */
  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.handle) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.path, 'a');
    }
    const time = new Date().toISOString();
    const text = letters
      .map((letter) => JSON.stringify({ time, reason: letter.reason, detail: letter.detail, source: letter.sourceId, event: letter.event }))
      .join('\n');
    await this.handle.write(`${text}\n`);
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
