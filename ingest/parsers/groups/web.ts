import type { Parser } from '../parser.js';

/** The web proxy and load-balancer parsers, in routing order. */
export const WEB_PARSERS: readonly Parser[] = [];
