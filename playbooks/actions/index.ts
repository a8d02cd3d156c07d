/**
 * The action registry: every action and every driver type Watchpost ships. The API imports it
 * (for `GET /api/v1/actions`) and cli/ composes drivers from it; `watchpost actions list` prints it.
 */
import type { DriverType } from './types.js';

export { ACTIONS, isActionId } from './definitions.js';
export type { ActionDefinition, ActionId, Driver, DriverConfig, DriverContext, DriverType, ExecuteResult, VerifyResult } from './types.js';

/** Every driver type, in the order `watchpost actions list` prints them. Filled as drivers land. */
export const DRIVER_TYPES: readonly DriverType[] = [];
