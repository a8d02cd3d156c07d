import type { Parser } from '../parser.js';

/** The access parsers, in routing order. */
export const ACCESS_PARSERS: readonly Parser[] = [];
