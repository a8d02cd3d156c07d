/**
 * Playbook definitions: loading and checking YAML, templates, conditions and trigger matching.
 * The runner, the API and `watchpost validate` import from here.
 */
export { evaluateCondition, globMatch } from './condition.js';
export { formatDuration, parseDuration } from './duration.js';
export { loadPlaybooks, parsePlaybooks, MAX_PLAYBOOK_FILE_BYTES } from './load.js';
export type { DriverRef, LoadedPlaybooks, LoadPlaybooksOptions, ParsePlaybooksOptions, ReplacedPlaybook } from './load.js';
export { MAX_STEPS } from './schema.js';
export { checkTemplate, renderInputs, MAX_TEMPLATE_BYTES } from './template.js';
export type { TemplateContext } from './template.js';
export { matchesTrigger, stepNeedsApproval } from './trigger.js';
export type { TriggerSubject } from './trigger.js';
export type { ApprovalPolicy, Condition, FieldCondition, Playbook, PlaybookStep, PlaybookTrigger } from './types.js';
