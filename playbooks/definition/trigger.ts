/**
 * Which playbooks an alert or incident starts, and whether a step waits for a person.
 */
import { SEVERITIES, type Alert, type Incident, type Severity } from '../../core/cases/types.js';
import { evaluateCondition } from './condition.js';
import type { TemplateContext } from './template.js';
import type { Playbook, PlaybookStep } from './types.js';

/** What triggers a playbook: a new alert or a new incident. */
export type TriggerSubject = { readonly kind: 'alert'; readonly alert: Alert } | { readonly kind: 'incident'; readonly incident: Incident };

function atLeast(severity: Severity, minimum: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(minimum);
}

function lower(values: readonly string[]): Set<string> {
  return new Set(values.map((value) => value.toLowerCase()));
}

/**
 * Whether the playbook runs for this alert or incident: it is enabled, its `on` is the subject's
 * kind, and every part of the trigger that is given holds — `rules` (any of them is the alert's
 * `ruleId`, the rule key: the Sigma `id`, else its `name`; compared case-insensitively), `tags`
 * (any of them is one of the subject's tags, case-insensitively), `minSeverity`, and `when`.
 */
export function matchesTrigger(playbook: Playbook, subject: TriggerSubject): boolean {
  const trigger = playbook.trigger;
  if (!playbook.enabled || trigger.on !== subject.kind) return false;
  const record = subject.kind === 'alert' ? subject.alert : subject.incident;
  if (trigger.rules !== undefined) {
    if (subject.kind !== 'alert' || !lower(trigger.rules).has(subject.alert.ruleId.toLowerCase())) return false;
  }
  if (trigger.tags !== undefined) {
    const tags = lower(record.tags);
    if (!trigger.tags.some((tag) => tags.has(tag.toLowerCase()))) return false;
  }
  if (trigger.minSeverity !== undefined && !atLeast(record.severity, trigger.minSeverity)) return false;
  if (trigger.when !== undefined) {
    const context: TemplateContext = {
      ...(subject.kind === 'alert' ? { alert: subject.alert } : { incident: subject.incident }),
      playbook: { id: playbook.id, title: playbook.title },
      run: { id: '' },
      steps: {},
    };
    if (!evaluateCondition(trigger.when, context)) return false;
  }
  return true;
}

/**
 * Whether the playbook itself asks a person to approve this step (`approval: required`, or
 * `requiredIf` holding for the context). The safety policy may require approval besides (accounts,
 * internal addresses, wide prefixes, UDP-only evidence, an open circuit breaker): the runner adds
 * its reasons; this is the playbook's part only.
 */
export function stepNeedsApproval(step: PlaybookStep, context: TemplateContext): boolean {
  if (step.approval === 'auto') return false;
  if (step.approval === 'required') return true;
  return evaluateCondition(step.approval.requiredIf, context);
}
