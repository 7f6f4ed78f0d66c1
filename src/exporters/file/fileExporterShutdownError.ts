import { ExportError } from '../../errors.js';

/** What exports (and probes) get once the file exporter is shut down. */
export function fileExporterShutdownError(): ExportError {
  return new ExportError('file exporter is shut down', { code: 'TRACEPIPE_EXPORTER_SHUTDOWN', retryable: false });
}
