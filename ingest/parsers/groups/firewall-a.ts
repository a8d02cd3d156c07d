import type { Parser } from '../parser.js';

/** The firewall-a parsers, in routing order. */
export const FIREWALL_A_PARSERS: readonly Parser[] = [];
