/**
 * The action registry: every action and every driver type Watchpost ships. The API imports it
 * (for `GET /api/v1/actions`) and cli/ composes drivers from it; `watchpost actions list` prints it.
 */
import { ipsetDriver } from './block-ip/ipset.js';
import { nftablesDriver } from './block-ip/nftables.js';
import { activeDirectoryDriver } from './disable-account/active-directory.js';
import { ldapDriver } from './disable-account/ldap.js';
import { linuxAccountDriver } from './disable-account/linux.js';
import { feedDriver } from './block-ip/feed.js';
import { opnsenseDriver } from './block-ip/opnsense.js';
import { pfsenseDriver } from './block-ip/pfsense.js';
import { freshserviceDriver } from './create-ticket/freshservice.js';
import { serviceNowDriver } from './create-ticket/servicenow.js';
import { smtpDriver } from './notify/smtp.js';
import { slackDriver } from './notify/slack.js';
import { teamsDriver } from './notify/teams.js';
import { webhookDriver } from './webhook.js';
import type { DriverType } from './types.js';

export { ACTIONS, isActionId } from './definitions.js';
export type { ActionDefinition, ActionId, Driver, DriverConfig, DriverContext, DriverType, ExecuteResult, VerifyResult } from './types.js';

/** Every driver type, in the order `watchpost actions list` prints them. */
export const DRIVER_TYPES: readonly DriverType[] = [
  nftablesDriver,
  ipsetDriver,
  pfsenseDriver,
  opnsenseDriver,
  feedDriver,
  ldapDriver,
  activeDirectoryDriver,
  linuxAccountDriver,
  smtpDriver,
  slackDriver,
  teamsDriver,
  serviceNowDriver,
  freshserviceDriver,
  webhookDriver,
];
