import { isIP } from 'node:net';
import type { EcsEvent } from '../../../core/ecs/event.js';

/**
 * Small helpers the generic (CEF, LEEF, key=value, JSON) and antivirus parsers share to fill
 * ECS fields from untrusted strings without ever throwing.
 */

/** Labels kept per event: bounded so a hostile line cannot grow the document without limit. */
export const MAX_LABELS = 50;
export const MAX_LABEL_VALUE = 1024;

/** A TCP/UDP port from text, or undefined when it is not an integer in 0-65535. */
export function toPort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port <= 65535 ? port : undefined;
}

/** A non-negative integer from text (byte counts, sizes, pids), or undefined. */
export function toCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** The address when it is an IPv4 or IPv6 literal, else undefined. */
export function toIp(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 64) return undefined;
  const trimmed = value.trim();
  return isIP(trimmed) === 0 ? undefined : trimmed;
}

/** `event.outcome` from the words devices use, or undefined. */
export function toOutcome(value: string | undefined): 'success' | 'failure' | undefined {
  const word = value?.trim().toLowerCase();
  if (word === undefined) return undefined;
  if (word === 'success' || word === 'succeeded' || word === 'successful' || word === 'ok' || word === 'allowed' || word === 'allow') return 'success';
  if (word === 'failure' || word === 'failed' || word === 'fail' || word === 'denied' || word === 'deny' || word === 'blocked') return 'failure';
  return undefined;
}

/** Adds values to `related.<key>` without duplicates. */
export function addRelated(event: EcsEvent, key: 'ip' | 'user' | 'hosts' | 'hash', ...values: (string | undefined)[]): void {
  for (const value of values) {
    if (value === undefined || value === '') continue;
    const related = (event.related ??= {});
    const list = (related[key] ??= []);
    if (!list.includes(value)) list.push(value);
  }
}

/** A label name ECS accepts (`[a-z0-9_]`, no dots), or undefined when nothing usable is left. */
export function labelKey(name: string): string | undefined {
  const key = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return key === '' ? undefined : key;
}

/** Sets a label, bounded in count and length; a key already set keeps its first value. */
export function setLabel(event: EcsEvent, name: string, value: string): void {
  const key = labelKey(name);
  if (key === undefined) return;
  const labels = (event.labels ??= {});
  if (Object.prototype.hasOwnProperty.call(labels, key)) return;
  if (Object.keys(labels).length >= MAX_LABELS) return;
  Object.defineProperty(labels, key, { value: value.slice(0, MAX_LABEL_VALUE), enumerable: true, writable: true, configurable: true });
}

/** The last path component of a Windows or POSIX path. */
export function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? path : path.slice(cut + 1);
}

/** The hash field (`md5`, `sha1`, `sha256`) a hex digest's length tells, or undefined. */
export function hashKind(digest: string): 'md5' | 'sha1' | 'sha256' | undefined {
  if (!/^[0-9a-fA-F]+$/.test(digest)) return undefined;
  switch (digest.length) {
    case 32: return 'md5';
    case 40: return 'sha1';
    case 64: return 'sha256';
    default: return undefined;
  }
}

/** Sets file.hash.<kind> from a hex digest (lower-cased, as Elastic stores it) and related.hash. */
export function setFileHash(event: EcsEvent, digest: string | undefined): void {
  const value = digest?.trim();
  if (value === undefined) return;
  const kind = hashKind(value);
  if (kind === undefined) return;
  const lower = value.toLowerCase();
  const file = (event.file ??= {});
  (file.hash ??= {})[kind] = lower;
  addRelated(event, 'hash', lower);
}

/** Sets file.path and file.name (from the path) when the path is not empty. */
export function setFilePath(event: EcsEvent, path: string | undefined): void {
  if (path === undefined || path.trim() === '') return;
  const file = (event.file ??= {});
  file.path = path;
  const name = baseName(path);
  if (name !== '') file.name = name;
}
