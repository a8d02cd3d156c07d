import { Badge } from '@mantine/core';
import type { AlertStatus, Severity } from './types';

const SEVERITY_COLOR: Record<Severity, string> = {
  informational: 'gray',
  low: 'blue',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};

/** The severity as colour and text (never colour alone). */
export function SeverityBadge({ severity }: { readonly severity: Severity }) {
  return (
    <Badge component="span" color={SEVERITY_COLOR[severity]} variant="light" size="sm" radius="sm" styles={{ label: { textTransform: 'none' } }}>
      {severity}
    </Badge>
  );
}

export const STATUS_LABEL: Record<AlertStatus, string> = {
  new: 'New',
  acknowledged: 'Acknowledged',
  in_progress: 'In progress',
  closed: 'Closed',
};

export const VERDICT_LABEL = { true_positive: 'True positive', false_positive: 'False positive', benign: 'Benign' } as const;

/** "5 min ago" style text of an instant. */
export function relativeTime(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const abs = Math.abs(ms);
  const suffix = ms >= 0 ? 'ago' : 'from now';
  if (abs < 45_000) return 'just now';
  if (abs < 3_600_000) return `${Math.round(abs / 60_000)} min ${suffix}`;
  if (abs < 86_400_000) return `${Math.round(abs / 3_600_000)} h ${suffix}`;
  return `${Math.round(abs / 86_400_000)} d ${suffix}`;
}

/** An instant shown relative, with the absolute time (UTC, ISO) on hover and for screen readers. */
export function TimeAgo({ iso }: { readonly iso: string }) {
  return (
    <time dateTime={iso} title={iso}>
      {relativeTime(iso)}
    </time>
  );
}
