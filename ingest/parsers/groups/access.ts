import type { Parser } from '../parser.js';

/** The Linux auth and web server (nginx, Apache) parsers, in routing order. */
export const ACCESS_PARSERS: readonly Parser[] = [];
