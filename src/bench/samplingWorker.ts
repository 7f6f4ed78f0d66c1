import { parseArgs } from 'node:util';
import { createSamplingContender, type SamplingContender } from './createSamplingContender.js';
import { measureSpanOverhead } from './measureSpanOverhead.js';
import { measureTightLoop } from './measureTightLoop.js';
import { spanScenarioLoop, type SpanScenario } from './spanScenarioLoop.js';

/**
 * One overhead measurement in a fresh process (spawned by runSamplingBenchmark):
 * builds one contender, times one scenario, prints the sample as JSON on stdout. With
 * `--tight-spans N`, the pipeline is registered globally and the tight-loop variant is timed instead.
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
    'tight-spans': { type: 'string' },
  },
});
const tightSpans = values['tight-spans'] === undefined ? undefined : Number(values['tight-spans']);

const handle = await createSamplingContender(values.contender as SamplingContender, {
  samplingRatePerMillion: Number(values.rate),
  ...(values.exporter ? { exporterUrl: values.exporter } : {}),
  ...(values.config ? { configPath: values.config } : {}),
  register: tightSpans !== undefined,
});
const scenario = values.scenario as SpanScenario;
const sample =
  tightSpans !== undefined
    ? measureTightLoop(handle.tracer, tightSpans)
    : await measureSpanOverhead(spanScenarioLoop(handle.tracer, scenario), scenario, {
        warmupMs: Number(values['warmup-ms']),
        durationMs: Number(values['duration-ms']),
      });
await handle.shutdown();
process.stdout.write(`${JSON.stringify(sample)}\n`);
