import { clamavParser } from '../clamav/parser.js';
import { microsoftDefenderParser } from '../microsoft-defender/parser.js';
import { symantecEndpointParser } from '../symantec-endpoint/parser.js';
import { esetParser } from '../eset/parser.js';
import { sophosAvParser } from '../sophos-av/parser.js';
import type { Parser } from '../parser.js';
import { trendmicroDeepSecurityParser } from '../trendmicro-deep-security/parser.js';

/** The antivirus parsers, in routing order. */
export const ANTIVIRUS_PARSERS: readonly Parser[] = [trendmicroDeepSecurityParser, clamavParser, microsoftDefenderParser, symantecEndpointParser, esetParser, sophosAvParser];
