/** A CPU profile was asked for while another one runs (the V8 CPU profiler is process-wide). */
export class ProfilerBusyError extends Error {}
