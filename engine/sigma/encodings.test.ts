import { describe, expect, it } from 'vitest';
import { UTF16_BOM, base64, base64Offsets, bytesToLatin1, utf16be, utf16le, utf8 } from './encodings.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('encodings on bytes (checklist E13–E18)', () => {
  it('encodes UTF-16 both ways without a byte-order mark', () => {
    expect(hex(utf16le('cmd'))).toBe('63006d006400');
    expect(hex(utf16be('cmd'))).toBe('0063006d0064');
    expect(hex(utf16le('é'))).toBe('e900');
  });

  it('uses FF FE as the UTF-16 byte-order mark (not EF BB BF)', () => {
    expect(hex(UTF16_BOM)).toBe('fffe');
    expect(base64(new Uint8Array([...UTF16_BOM, ...utf16le('cmd')]))).toBe('//5jAG0AZAA=');
  });

  it('base64 of UTF-8 bytes', () => {
    expect(base64(utf8('/bin/sh'))).toBe('L2Jpbi9zaA==');
    expect(base64(utf8('é'))).toBe('w6k=');
  });

  it('base64offset gives the three vectors of E14', () => {
    expect(base64Offsets(utf8('/bin/sh'))).toEqual(['L2Jpbi9za', '9iaW4vc2', 'vYmluL3No']);
    expect(base64Offsets(utf8('curl'))).toEqual(['Y3Vyb', 'N1cm', 'jdXJs']);
  });

  it('each base64offset variant is found in the encoding of a text holding the value at any offset', () => {
    const value = utf8('secret-cmd');
    for (const prefix of ['', 'a', 'ab', 'abc', 'abcd']) {
      for (const suffix of ['', 'x', 'xy', 'xyz']) {
        const blob = base64(utf8(`${prefix}secret-cmd${suffix}`));
        expect(base64Offsets(value).some((variant) => blob.includes(variant)), `${prefix}|${suffix}`).toBe(true);
      }
    }
  });

  it('bytes become text one character per byte', () => {
    expect(bytesToLatin1(utf16le('ab'))).toBe('a\u0000b\u0000');
  });
});
