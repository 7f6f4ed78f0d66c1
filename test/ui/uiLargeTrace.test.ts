import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SpanKind } from '@opentelemetry/api';
import type { FileTarget } from '../../src/config/ExporterTarget.js';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { OtlpResource } from '../../src/otlp/OtlpResource.js';
import { OtlpSpan } from '../../src/otlp/OtlpSpan.js';
import { FileTraceExporter } from '../../src/exporters/file/FileTraceExporter.js';
import { silentLogger } from '../../src/logger.js';
import { CaptureTraceSource } from '../../src/ui/CaptureTraceSource.js';
import { startUiServer, type UiServer } from '../../src/ui/startUiServer.js';
import { tempDirs } from '../support/tempDirs.js';
import { launchChromium, type Browser } from './launchChromium.js';

const tempDir = tempDirs('tracepipe-ui-large-');
const TRACE = '1234567890abcdef1234567890abcdef';
const SPANS = 10_000;
const spanId = (i: number) => (i + 1).toString(16).padStart(16, '0');
let browser: Browser;
let server: UiServer;

/** One trace of 10,000 spans: span i is a child of span floor((i - 1) / 10), so 5 levels deep. */
before(async () => {
  const dir = await tempDir();
  const resources = [0, 1, 2].map((i) => new OtlpResource({ 'service.name': `svc-${i}` }));
  const spans: OtlpSpan[] = [];
  for (let i = 0; i < SPANS; i++) {
    spans.push(
      new OtlpSpan({
        traceId: TRACE, spanId: spanId(i), parentSpanId: i === 0 ? '' : spanId(Math.floor((i - 1) / 10)), traceState: undefined, flags: 1,
        name: `op-${i}`, kind: 0 as SpanKind, startTime: [1_763_700_000, i * 1000], endTime: [1_763_700_000, i * 1000 + 50_000 + (i === 0 ? 20_000_000 : 0)],
        attributes: { i }, droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0,
        status: { code: 0 }, resource: resources[i % 3]!, instrumentationScope: { name: 'large' },
      }),
    );
  }
  const exporter = new FileTraceExporter(parseExporterUrl(`file://${dir}`) as FileTarget, { stats: new PipelineStats(), logger: silentLogger });
  for (let i = 0; i < SPANS; i += 1000) await exporter.export(spans.slice(i, i + 1000));
  await exporter.shutdown();
  server = await startUiServer({ source: await CaptureTraceSource.index([dir]), addr: '127.0.0.1:0' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('a trace of 10,000 spans renders only the rows in view and stays navigable', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}trace/${TRACE}`);
  await page.locator('.details h2', { hasText: 'op-0' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('.trace-meta').locator('span').nth(1).textContent(), '10000 spans');
  assert.equal(await page.locator('.wf-inner').evaluate((el) => (el as unknown as { style: { height: string } }).style.height), `${SPANS * 26}px`);
  const drawn = await page.locator('[role="treeitem"]').count();
  assert.ok(drawn > 20 && drawn < 80, `only the rows in view are in the DOM, got ${drawn}`);

  await page.focus('.waterfall');
  await page.keyboard.press('End');
  const last = page.locator('[role="treeitem"][aria-selected="true"]');
  await last.waitFor();
  // Depth-first, the last row is the root's last child's last descendant: 10, 110, then 1110 (a leaf).
  assert.equal(await last.getAttribute('data-span-id'), spanId(1110));
  assert.equal(await page.locator('.details h2').textContent(), 'op-1110');
  assert.ok((await page.locator('[role="treeitem"]').count()) < 80);

  await page.click('text=Collapse all');
  assert.equal(await page.locator('[role="treeitem"]').count(), 1);
  await page.click('text=Expand all');
  assert.equal(await page.locator('.wf-inner').evaluate((el) => (el as unknown as { style: { height: string } }).style.height), `${SPANS * 26}px`);
  await page.screenshot({ path: `${await tempDir()}/large.png` });
  assert.deepEqual(errors, []);
  await page.close();
});
