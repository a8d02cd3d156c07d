import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, type Frame } from './framing.js';

const MAX = 1024;

function decode(input: Buffer | string, options: { max?: number; chunk?: number } = {}): { frames: Frame[]; decoder: FrameDecoder } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const decoder = new FrameDecoder(options.max ?? MAX);
  const frames: Frame[] = [];
  const step = options.chunk ?? bytes.length;
  for (let pos = 0; pos < bytes.length; pos += step) frames.push(...decoder.push(bytes.subarray(pos, pos + step)));
  frames.push(...decoder.end());
  return { frames, decoder };
}

const text = (frames: Frame[]): string[] => frames.map((frame) => frame.data.toString('latin1'));

describe('FrameDecoder', () => {
  it('splits LF, CRLF and NUL terminated frames and skips blank lines', () => {
    const { frames, decoder } = decode('<13>one\n<13>two\r\n<13>three\0\n\r\n<13>four');
    expect(decoder.mode).toBe('trailer');
    expect(text(frames)).toEqual(['<13>one', '<13>two', '<13>three', '<13>four']);
    expect(frames.every((frame) => !frame.truncated)).toBe(true);
  });

  it('reads octet-counted frames, tolerating a LF after each', () => {
    const { frames, decoder } = decode('7 <13>one12 <13>two\nnext\n9 <13>three\n10 <13>crlf\r\n');
    expect(decoder.mode).toBe('octet-counting');
    // A LF inside the count belongs to the message, except one at its very end (a sender's habit).
    expect(text(frames)).toEqual(['<13>one', '<13>two\nnext', '<13>three', '<13>crlf']);
  });

  it('gives the same frames whatever the chunking (down to one byte at a time)', () => {
    for (const input of ['7 <13>one12 <13>two\nnext\n9 <13>three', '<13>one\r\n<13>two\n\0<13>x\r']) {
      const whole = text(decode(input).frames);
      for (const chunk of [1, 2, 3, 5]) expect(text(decode(input, { chunk }).frames)).toEqual(whole);
    }
  });

  it('falls back to LF framing when a length is not a number, keeping every byte', () => {
    const { frames, decoder } = decode('7 <13>one123abc hello\n<13>two\n');
    expect(decoder.fallback).toBe('non_numeric_length');
    expect(decoder.mode).toBe('trailer');
    expect(text(frames)).toEqual(['<13>one', '123abc hello', '<13>two']);
  });

  it('falls back when a declared length is absurd (> 4 × max) or has more than 10 digits', () => {
    const absurd = decode(`${MAX * 4 + 1} <13>lie\n<13>after\n`);
    expect(absurd.decoder.fallback).toBe('absurd_length');
    expect(text(absurd.frames)).toEqual([`${MAX * 4 + 1} <13>lie`, '<13>after']);
    const long = decode('12345678901 x\n');
    expect(long.decoder.fallback).toBe('non_numeric_length');
    expect(text(long.frames)).toEqual(['12345678901 x']);
  });

  it('truncates an octet-counted frame longer than the maximum, skips its rest and goes on', () => {
    const body = 'a'.repeat(MAX * 2);
    const { frames } = decode(`${body.length} ${body}5 <13>x`);
    expect(frames.map((frame) => [frame.data.length, frame.truncated])).toEqual([
      [MAX, true],
      [5, false],
    ]);
  });

  it('truncates a LF frame longer than the maximum, skips to its LF, and keeps memory bounded', () => {
    const line = Buffer.alloc(1024 * 1024, 'x');
    const { frames } = decode(Buffer.concat([line, Buffer.from('\n<13>next\n')]), { chunk: 65536 });
    expect(frames.map((frame) => [frame.data.length, frame.truncated])).toEqual([
      [MAX, true],
      [8, false],
    ]);
    // A frame of exactly the maximum followed by CRLF is whole, not truncated.
    const exact = decode(`${'y'.repeat(MAX)}\r\n`);
    expect(exact.frames.map((frame) => [frame.data.length, frame.truncated])).toEqual([[MAX, false]]);
  });

  it('emits a partial frame at the end: whole for LF framing, flagged for octet counting', () => {
    expect(decode('<13>no newline').frames).toEqual([{ data: Buffer.from('<13>no newline'), truncated: false }]);
    const counted = decode('7 <13>one20 <13>cut sh');
    expect(counted.frames.map((frame) => [frame.data.toString(), frame.truncated])).toEqual([
      ['<13>one', false],
      ['<13>cut sh', true],
    ]);
  });

  it('survives random bytes: never throws, never exceeds the maximum, never invents bytes', () => {
    for (let round = 0; round < 200; round++) {
      const input = randomBytes(1 + Math.floor(Math.random() * 8192));
      const chunk = 1 + Math.floor(Math.random() * 700);
      const { frames } = decode(input, { max: 480, chunk });
      let kept = 0;
      for (const frame of frames) {
        expect(frame.data.length).toBeLessThanOrEqual(480);
        kept += frame.data.length;
      }
      expect(kept).toBeLessThanOrEqual(input.length);
    }
  });
});
