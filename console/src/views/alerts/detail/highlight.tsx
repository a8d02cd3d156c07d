import type { ReactNode } from 'react';

/** A piece of text, matched (to highlight) or not. */
export interface TextPart {
  readonly text: string;
  readonly match: boolean;
}

/**
 * Splits `text` on every occurrence of the values (case-insensitive, longest value first where
 * two start at the same place), so the matched values can be marked as text: never as HTML.
 */
export function splitOnValues(text: string, values: readonly string[]): TextPart[] {
  const needles = [...new Set(values.filter((value) => value.length > 0))].sort((a, b) => b.length - a.length);
  if (needles.length === 0 || text.length === 0) return text ? [{ text, match: false }] : [];
  const haystack = text.toLowerCase();
  const lowered = needles.map((needle) => needle.toLowerCase());
  const parts: TextPart[] = [];
  let plainFrom = 0;
  let at = 0;
  while (at < text.length) {
    let best = -1;
    let bestLength = 0;
    for (const needle of lowered) {
      const found = haystack.indexOf(needle, at);
      if (found !== -1 && (best === -1 || found < best || (found === best && needle.length > bestLength))) {
        best = found;
        bestLength = needle.length;
      }
    }
    if (best === -1) break;
    if (best > plainFrom) parts.push({ text: text.slice(plainFrom, best), match: false });
    parts.push({ text: text.slice(best, best + bestLength), match: true });
    at = best + bestLength;
    plainFrom = at;
  }
  if (plainFrom < text.length) parts.push({ text: text.slice(plainFrom), match: false });
  return parts;
}

/** The text with the values marked (<mark>), as React text nodes. */
export function Highlighted({ text, values }: { readonly text: string; readonly values: readonly string[] }): ReactNode {
  return splitOnValues(text, values).map((part, index) => (part.match ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>));
}

/** The leaves of a nested object as dotted keys (ECS `source.ip`), arrays kept as JSON. */
export function flatten(value: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out.push([prefix, typeof value === 'string' ? value : JSON.stringify(value)]);
  }
  return out;
}
