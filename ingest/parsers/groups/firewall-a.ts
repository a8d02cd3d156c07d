import type { Parser } from '../parser.js';
import { ciscoAsaParser } from '../cisco-asa/parser.js';
import { fortinetFortigateParser } from '../fortinet-fortigate/parser.js';
import { iptablesParser } from '../iptables/parser.js';
import { pfsenseParser } from '../pfsense/parser.js';

/** The firewall-a parsers, in routing order. */
export const FIREWALL_A_PARSERS: readonly Parser[] = [iptablesParser, pfsenseParser, ciscoAsaParser, fortinetFortigateParser];
