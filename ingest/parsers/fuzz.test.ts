import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ECS_VERSION, type EcsEvent } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { PARSERS } from './index.js';
import type { ParseContext } from './parser.js';

/**
 * Every parser survives random and mutated input without throwing (a throw is a bug: the
 * router would store the line tagged parser_error, but the parser must refuse it itself).
 * Mutations start from the parser's own golden lines.
 */
const ROOT = fileURLToPath(new URL('.', import.meta.url));
const ROUNDS = 1500;
let seed = 20261124;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const SPECIAL = ['', ' ', '=', '"', '\\', '|', ',', ':', '[', ']', '{', '}', '<', '>', '\u0000', '\uFFFD', '%', '9'.repeat(40), '-1', 'NaN', ' '.repeat(5000)];

function mutate(line: string): string {
  let text = line;
  for (let i = 0, n = 1 + Math.floor(random() * 4); i < n; i++) {
    const at = Math.floor(random() * (text.length + 1));
    switch (Math.floor(random() * 4)) {
      case 0:
        text = text.slice(0, at);
        break;
      case 1:
        text = text.slice(0, at) + (SPECIAL[Math.floor(random() * SPECIAL.length)] as string) + text.slice(at);
        break;
      case 2:
        text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 10));
        break;
      default:
        text = text.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x3000)) + text.slice(at + 1);
    }
  }
  return text;
}

function context(text: string): ParseContext {
  const record: RawRecord = { sourceId: 'fuzz', transport: 'udp', data: Buffer.from(text), receivedAt: 1_795_000_000_000, timezone: 'UTC' };
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record, base, text, timezone: 'UTC' };
}

describe.each(PARSERS.map((parser) => [parser.id, parser] as const))('parser %s under fuzzing', (id, parser) => {
  const dir = join(ROOT, id, 'testdata');
  const seeds = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith('.log'))
        .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter((line) => line.length > 0))
    : [];

  it('never throws on random bytes or mutated golden lines', () => {
    const inputs = [
      ...Array.from({ length: ROUNDS }, () => randomBytes(Math.floor(random() * 400)).toString('latin1')),
      ...(seeds.length > 0 ? Array.from({ length: ROUNDS * 2 }, (_, i) => mutate(seeds[i % seeds.length] as string)) : []),
    ];
    for (const text of inputs) {
      const ctx = context(text);
      expect(() => parser.matches(ctx), JSON.stringify(text)).not.toThrow();
      const result = (() => {
        try {
          return parser.parse(ctx);
        } catch (error) {
          throw new Error(`${id} threw on ${JSON.stringify(text)}: ${(error as Error).message}`);
        }
      })();
      expect('event' in result || typeof result.failure === 'string').toBe(true);
    }
  });
});
