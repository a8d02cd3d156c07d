import { FileSourceConfigSchema, type FileSourceConfig } from '../../../core/config/ingest.js';
import type { SourceDefinition } from '../../source.js';
import { FileTailer } from './tailer.js';

/**
 * The file tailer: follows the files matched by `paths` (globs, minus `exclude`) and emits one
 * record per line, or per multi-line record. Files are identified by a fingerprint of their first
 * 1024 bytes, not by name or inode, so rename and copytruncate rotation, truncation while stopped
 * and inode reuse neither lose nor duplicate lines; positions are committed to the state
 * directory only after the pipeline acknowledged the records before them.
 */
export const fileSource: SourceDefinition<FileSourceConfig> = {
  id: 'file',
  description: 'Tails log files (globs), surviving rotation, truncation and restarts without loss.',
  configSchema: FileSourceConfigSchema,
  create: (config, context) => new FileTailer(config, context),
};
