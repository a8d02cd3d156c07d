import { crc32 } from 'node:zlib';
import type { RawRecord } from '../../../core/ingest/record.js';

/**
 * The spool's on-disk entry: `[u32 length][u32 crc32][payload]`, little-endian, the CRC over the
 * payload only. The payload is `[u8 version][u16 sourceId length][sourceId][u32 meta length]
 * [meta JSON][data bytes]`: the source id comes first so the open scan can account bytes per
 * source without parsing JSON, and `data` stays raw bytes (no base64 inflation).
 */

/** Bytes of the frame header before each payload. */
export const FRAME_HEADER_BYTES = 8;

/** Payload format version; a new layout gets a new number and a decoder for both. */
const PAYLOAD_VERSION = 1;

/** The smallest valid payload: version, empty source id, empty meta. A zero-filled tail never passes. */
export const MIN_PAYLOAD_BYTES = 1 + 2 + 4;

/**
 * The largest payload accepted when reading. A length above it can only be corruption, so the
 * reader does not try to allocate it. Far above the largest record (16 MiB maxMessageBytes).
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

type RecordMeta = Omit<RawRecord, 'sourceId' | 'data'>;

/** Encodes one record as a framed entry, ready to append to a segment. */
export function encodeEntry(record: RawRecord): Buffer {
  const { sourceId, data, ...meta } = record;
  const source = Buffer.from(sourceId, 'utf8');
  const metaJson = Buffer.from(JSON.stringify(meta), 'utf8');
  const payloadBytes = 1 + 2 + source.length + 4 + metaJson.length + data.length;
  const entry = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  let at = FRAME_HEADER_BYTES;
  at = entry.writeUInt8(PAYLOAD_VERSION, at);
  at = entry.writeUInt16LE(source.length, at);
  at += source.copy(entry, at);
  at = entry.writeUInt32LE(metaJson.length, at);
  at += metaJson.copy(entry, at);
  data.copy(entry, at);
  entry.writeUInt32LE(payloadBytes, 0);
  entry.writeUInt32LE(crc32(entry.subarray(FRAME_HEADER_BYTES)), 4);
  return entry;
}

/** The source id of a payload, read without decoding the rest; undefined if malformed. */
export function payloadSourceId(payload: Buffer): string | undefined {
  if (payload.length < MIN_PAYLOAD_BYTES || payload.readUInt8(0) !== PAYLOAD_VERSION) return undefined;
  const length = payload.readUInt16LE(1);
  if (3 + length + 4 > payload.length) return undefined;
  return payload.toString('utf8', 3, 3 + length);
}

/** Decodes a payload whose CRC already matched. Throws on a layout it does not know (a bug or a newer version). */
export function decodePayload(payload: Buffer): RawRecord {
  const sourceId = payloadSourceId(payload);
  if (sourceId === undefined) throw new Error(`spool payload of ${payload.length} bytes has an unknown layout`);
  let at = 3 + Buffer.byteLength(sourceId, 'utf8');
  const metaLength = payload.readUInt32LE(at);
  at += 4;
  if (at + metaLength > payload.length) throw new Error('spool payload meta overruns the entry');
  const meta = JSON.parse(payload.toString('utf8', at, at + metaLength)) as RecordMeta;
  // Copy so a record handed to the pipeline does not pin the whole read buffer.
  const data = Buffer.from(payload.subarray(at + metaLength));
  return { ...meta, sourceId, data };
}

/** What {@link checkFrame} found at an offset of a buffer. */
export type FrameCheck =
  /** A whole entry whose CRC matches. */
  | { readonly kind: 'ok'; readonly payload: Buffer; readonly size: number }
  /** The buffer ends before the header or the payload does. */
  | { readonly kind: 'short'; readonly needed: number }
  /** A length that cannot be real: there is no way to find the next entry. */
  | { readonly kind: 'bad-length' }
  /** A plausible length, but the CRC does not match; the next entry would start `size` bytes on. */
  | { readonly kind: 'bad-crc'; readonly size: number };

/** Checks the frame at `offset` of `buffer` without copying. */
export function checkFrame(buffer: Buffer, offset: number): FrameCheck {
  if (buffer.length - offset < FRAME_HEADER_BYTES) return { kind: 'short', needed: FRAME_HEADER_BYTES };
  const length = buffer.readUInt32LE(offset);
  if (length < MIN_PAYLOAD_BYTES || length > MAX_PAYLOAD_BYTES) return { kind: 'bad-length' };
  const size = FRAME_HEADER_BYTES + length;
  if (buffer.length - offset < size) return { kind: 'short', needed: size };
  const payload = buffer.subarray(offset + FRAME_HEADER_BYTES, offset + size);
  if (crc32(payload) !== buffer.readUInt32LE(offset + 4)) return { kind: 'bad-crc', size };
  return { kind: 'ok', payload, size };
}
