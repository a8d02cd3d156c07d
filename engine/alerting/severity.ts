import type { AlertingConfig } from '../../core/config/schema.js';
import { SEVERITIES, type Severity } from '../../core/cases/types.js';

/**
 * The risk score an alert starts from, by severity (0–100, the scale of ECS `event.risk_score`),
 * spaced so that a repeat-offender bump can lift an alert within its band but rarely past the
 * next severity's base.
 */
export const BASE_RISK: Readonly<Record<Severity, number>> = Object.freeze({
  informational: 10,
  low: 25,
  medium: 50,
  high: 75,
  critical: 90,
});

/** Sigma's `level` is already the severity scale; anything else (never produced by the loader) counts as medium. */
export function severityOf(level: string): Severity {
  return (SEVERITIES as readonly string[]).includes(level) ? (level as Severity) : 'medium';
}

/** The more severe of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

/** The most severe of a list; `fallback` for an empty one. */
export function highestSeverity(severities: readonly Severity[], fallback: Severity): Severity {
  return severities.reduce<Severity>((highest, severity) => maxSeverity(highest, severity), severities.length > 0 ? (severities[0] as Severity) : fallback);
}

/**
 * The risk score of a new alert: the severity's base plus a bump for a repeat offender, one whose
 * entity appears in `otherAlerts` other alerts of the recent window, capped at `maxBump` and 100.
 */
export function riskScore(severity: Severity, otherAlerts: number, repeat: Readonly<AlertingConfig['repeatOffender']>): number {
  const bump = Math.min(repeat.maxBump, Math.max(0, otherAlerts) * repeat.bumpPerAlert);
  return Math.min(100, BASE_RISK[severity] + bump);
}
