import type { Parser } from '../parser.js';
import { ciscoAsaParser } from '../cisco-asa/parser.js';
import { ciscoIosParser } from '../cisco-ios/parser.js';
import { fortinetFortigateParser } from '../fortinet-fortigate/parser.js';
import { iptablesParser } from '../iptables/parser.js';
import { pfsenseParser } from '../pfsense/parser.js';

/**
 * The firewall-a parsers, in routing order. Cisco IOS routers and switches sit with the ASA they
 * share a message format with; cisco-asa comes first, though cisco-ios refuses `%ASA-` anyway.
 */
export const FIREWALL_A_PARSERS: readonly Parser[] = [iptablesParser, pfsenseParser, ciscoAsaParser, ciscoIosParser, fortinetFortigateParser];
