/**
 * The streaming detector: evaluates each normalized event against a loaded RuleSet
 * (engine/sigma) and feeds its matches to the correlation engine (engine/correlation).
 */
export { createDetector, type DetectorCounters, type DetectorOptions, type RuleFailure, type RuleRuntimeError, type StreamingDetector } from './detector.js';
export { ENTITY_FIELDS, entitiesOf } from './entities.js';
export { matchedRule } from './explain.js';
export { requiredLiterals, type LiteralNeed } from './literal-prefilter.js';
export { logsourceApplies, requiredFields, type FieldRequirement } from './rule-index.js';
export type { Detector, DetectorStats, MatchedRule, MatchedValue, RuleMatch } from './types.js';
