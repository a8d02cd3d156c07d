/**
 * The encoding modifiers (checklist E13–E18) on byte arrays, as the specification shows them.
 * pySigma works on strings with interleaved NUL characters instead, which makes `utf16|base64`
 * encode the byte-order mark as EF BB BF rather than FF FE (E18); bytes avoid that.
 */

/** `utf16le` / `wide` (E15, E16): UTF-16 little-endian, no byte-order mark. */
export function utf16le(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf16le'));
}

/** `utf16be` (E17): UTF-16 big-endian, no byte-order mark. */
export function utf16be(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf16le');
  bytes.swap16();
  return new Uint8Array(bytes);
}

/** The UTF-16 little-endian byte-order mark `utf16` (E18) puts first. */
export const UTF16_BOM: Uint8Array = Uint8Array.of(0xff, 0xfe);

/** UTF-8 bytes: what `base64` encodes when no encoding modifier came before it. */
export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/** `base64` (E13): standard alphabet with padding. */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

const OFFSET_START = [0, 2, 3] as const;
const OFFSET_END = [0, 3, 2] as const;

/**
 * `base64offset` (E14): the three encodings of `bytes` as it may sit at any offset inside a
 * larger Base64 text. For shift i = 0, 1, 2: encode i filler bytes followed by the value, drop
 * the characters the filler influenced (0, 2, 3) and the trailing ones the following data would
 * change (3 or 2 when (length + i) mod 3 is 1 or 2).
 */
export function base64Offsets(bytes: Uint8Array): [string, string, string] {
  const variants = [0, 1, 2].map((shift) => {
    const shifted = new Uint8Array(shift + bytes.length);
    shifted.set(bytes, shift);
    const encoded = base64(shifted);
    const end = OFFSET_END[(bytes.length + shift) % 3] as number;
    return encoded.slice(OFFSET_START[shift], encoded.length - end);
  });
  return variants as [string, string, string];
}

/** Bytes as a string of the characters U+0000–U+00FF, one per byte (an encoded value compared as text). */
export function bytesToLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}
