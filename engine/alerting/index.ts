/**
 * The alerting engine (issue 6): rule matches become deduplicated alerts, alerts group into
 * incidents, incidents run SLA clocks, new alerts and incidents trigger playbooks through an
 * outbox, and silent log sources raise availability alerts. See README.md in this folder.
 */
export { AlertManager, type HandleResult, type RaiseOptions, type RaiseOutcome, type RaiseResult } from './alerts.js';
export { SOURCE_SILENT_RULE, SourceSilenceMonitor, type AvailabilityCheck, type AvailabilityConfig } from './availability.js';
export { alertIdOf, candidateOf, dedupKeyOf, transportSet, windowStartOf, type AlertCandidate, type AlertMatch } from './dedup.js';
export { INCIDENT_LIMITS, INCIDENT_STATUSES, OPEN_STATUSES, VERDICTS, applyStatus } from './incident-rules.js';
export { Incidents, type Grouping, type IncidentChange, type IncidentEdits, type NewIncident, type SplitResult, type WriteOptions } from './incidents.js';
export {
  CREATED_TRIGGER,
  Outbox,
  PLAYBOOK_TRIGGER_JOB,
  triggerJobId,
  type AlertTrigger,
  type IncidentTrigger,
  type PlaybookTrigger,
} from './outbox.js';
export { createAlertingService, type AlertingDeps, type AlertingService } from './service.js';
export { BASE_RISK, highestSeverity, maxSeverity, riskScore, severityOf } from './severity.js';
export { responseFigures, SlaMonitor, slaOf, type IncidentSla, type ResponseFigures, type ResponseReport, type SlaClock, type SlaState } from './sla.js';
export { SUPPRESSION_LIMITS, Suppressions, inForceFilter, suppresses, type NewSuppression } from './suppressions.js';
export { MAX_COMMENT_LENGTH, SYSTEM_ACTOR } from './timeline.js';
