import type { FileSourceConfig, SyslogListenerConfig } from '../../core/config/ingest.js';
import type { SourceDefinition } from '../source.js';
import { fileSource } from './file/source.js';
import { syslogSource } from './syslog/source.js';

/** Every kind of source, listed by hand (no registration by import side effect). */
export const SOURCES: { readonly syslog: SourceDefinition<SyslogListenerConfig>; readonly file: SourceDefinition<FileSourceConfig> } = {
  syslog: syslogSource,
  file: fileSource,
};
