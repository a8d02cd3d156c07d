import type { Parser } from '../parser.js';

/** The firewall-b parsers, in routing order. */
export const FIREWALL_B_PARSERS: readonly Parser[] = [];
