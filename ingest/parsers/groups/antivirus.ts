import type { Parser } from '../parser.js';

/** The antivirus parsers, in routing order. */
export const ANTIVIRUS_PARSERS: readonly Parser[] = [];
