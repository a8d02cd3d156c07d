import type { Parser } from '../parser.js';
import { checkpointParser } from '../checkpoint/parser.js';
import { juniperSrxParser } from '../juniper-srx/parser.js';
import { panwPanosParser } from '../panw-panos/parser.js';
import { sonicwallParser } from '../sonicwall/parser.js';
import { sophosXgParser } from '../sophos-xg/parser.js';

/** The firewall-b parsers, in routing order. */
export const FIREWALL_B_PARSERS: readonly Parser[] = [panwPanosParser, checkpointParser, sophosXgParser, juniperSrxParser, sonicwallParser];
