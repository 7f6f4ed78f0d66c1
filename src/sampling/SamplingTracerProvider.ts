import type { Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { TracerProvider as SdkTracerProvider } from '@opentelemetry/sdk-trace';
import { SamplingTracer, type SamplingTracerShared } from './SamplingTracer.js';

/**
 * The provider users (and, with `register: true`, the global API) get tracers from: each is a
 * SamplingTracer over the SDK provider's tracer of the same name, version and schema URL.
 */
export class SamplingTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, SamplingTracer>();

  constructor(
    private readonly sdk: SdkTracerProvider,
    private readonly shared: SamplingTracerShared,
  ) {}

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) {
      const sdk = this.sdk.getTracer(name, version, options);
      // The SDK's Tracer class (not exported by name) has its scope as a public field.
      tracer = new SamplingTracer(sdk, this.shared, (sdk as Tracer & { instrumentationScope: InstrumentationScope }).instrumentationScope);
      this.tracers.set(key, tracer);
    }
    return tracer;
  }
}
