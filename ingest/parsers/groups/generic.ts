import type { Parser } from '../parser.js';

/** The generic parsers, in routing order. */
export const GENERIC_PARSERS: readonly Parser[] = [];
