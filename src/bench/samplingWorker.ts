import { parseArgs } from 'node:util';
import { createSamplingContender, type SamplingContender } from './createSamplingContender.js';
import { measureSpanOverhead } from './measureSpanOverhead.js';
import { spanScenarioLoop, type SpanScenario } from './spanScenarioLoop.js';

/**
 * One overhead measurement in a fresh process (spawned by runSamplingBenchmark):
 * builds one contender, times one scenario, prints the sample as JSON on stdout.
 */
const { values } = parseArgs({
  options: {
    contender: { type: 'string' },
    rate: { type: 'string' },
    scenario: { type: 'string' },
    'warmup-ms': { type: 'string' },
    'duration-ms': { type: 'string' },
    exporter: { type: 'string' },
    config: { type: 'string' },
  },
});

const handle = await createSamplingContender(values.contender as SamplingContender, {
  samplingRatePerMillion: Number(values.rate),
  ...(values.exporter ? { exporterUrl: values.exporter } : {}),
  ...(values.config ? { configPath: values.config } : {}),
});
const scenario = values.scenario as SpanScenario;
const sample = await measureSpanOverhead(spanScenarioLoop(handle.tracer, scenario), scenario, {
  warmupMs: Number(values['warmup-ms']),
  durationMs: Number(values['duration-ms']),
});
await handle.shutdown();
process.stdout.write(`${JSON.stringify(sample)}\n`);
