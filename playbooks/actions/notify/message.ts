/**
 * What the notify drivers share: severity labels and colours, and the HTML escaping of text that
 * came from alerts (attacker-controlled: a username, a URL path) before it goes into markup.
 */
import type { NotifyInput } from '../definitions.js';

export type Severity = NonNullable<NotifyInput['severity']>;

/** Colours per severity (hex without `#`), the console's palette. */
export const SEVERITY_COLOURS: Readonly<Record<Severity, string>> = {
  informational: '6b7280',
  low: '2563eb',
  medium: 'd97706',
  high: 'dc2626',
  critical: '7f1d1d',
};

/** Adaptive Card text colours per severity (the card schema has names, not hex). */
export const SEVERITY_CARD_COLOURS: Readonly<Record<Severity, string>> = {
  informational: 'Default',
  low: 'Accent',
  medium: 'Warning',
  high: 'Attention',
  critical: 'Attention',
};

/** Escapes `& < > " '` for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A link is used only when it is http(s): a `javascript:` URL from a template never becomes clickable. */
export function safeLink(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  try {
    const url = new URL(link);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces line breaks and other control characters (header-safe single line). */
export function oneLine(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, max);
}
