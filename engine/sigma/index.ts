/**
 * The Sigma module's public surface: load rule files into a {@link RuleSet} (with the pipelines
 * that map Sigma field names to ECS), and the contracts the detector and the CLI consume.
 * Everything else in engine/sigma is internal to the loader.
 */
export type {
  CompiledDetection,
  ConditionNode,
  CorrelationCondition,
  CorrelationRule,
  CorrelationType,
  DetectionRule,
  DisabledRule,
  FieldMapper,
  LogsourceResolver,
  MetaFilter,
  RuleMeta,
  RuleProblem,
  RuleSet,
  SigmaLevel,
  SigmaLogsource,
  SigmaStatus,
  SourcePosition,
  YamlValue,
} from './types.js';
export { buildRuleSet, loadRuleSet, loadRuleText, readRuleFiles, MAX_RULE_FILES, MAX_RULE_BYTES } from './load.js';
export type { LoadRuleSetOptions, RuleText } from './load.js';
export {
  DEFAULT_KEYWORD_FIELDS,
  PASS_THROUGH_MAPPER,
  createLogsourceResolver,
  fieldMapperFor,
  loadPipelines,
  parsePipeline,
  parsePipelineTexts,
  selectPipeline,
} from './pipeline.js';
export type { Pipeline, PipelineLogsource } from './pipeline.js';
export { logsourceContains } from './meta-filter.js';
