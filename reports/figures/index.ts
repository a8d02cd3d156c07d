/** The weekly report's figures: gathered from the stores, checked exactly by the seeded tests. */
export { gatherWeeklyFigures, previousPeriod, type GatherDependencies } from './gather.js';
export { TACTICS, tacticsOf, type Tactic } from './tactics.js';
export { MAX_ENTRY_TEXT, MAX_TIMELINE_ENTRIES } from './timeline.js';
export { MAX_NOTABLE_INCIDENTS } from './incidents.js';
export { SILENT_AFTER_MS } from './ingest.js';
export { TOP_ROWS } from './tally.js';
export type { IpInfo, IpInfoLookup } from '../ip-info.js';
