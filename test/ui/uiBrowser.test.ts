import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { decodeTracesJson } from '../../src/otlp/json/decodeTracesJson.js';
import { CaptureTraceSource } from '../../src/ui/CaptureTraceSource.js';
import { startUiServer, type UiServer } from '../../src/ui/startUiServer.js';
import { tempDirs } from '../support/tempDirs.js';
import { launchChromium, type Browser } from './launchChromium.js';
import { CHECKOUT, JOB, SPAN, STACK, XSS, XSS_ATTRIBUTE, XSS_NAME, writeUiCapture } from './uiCapture.js';

const tempDir = tempDirs('tracepipe-ui-browser-');
let browser: Browser;
let server: UiServer;
let captureDir: string;
let shots: string;

before(async () => {
  captureDir = await tempDir();
  shots = await tempDir();
  await writeUiCapture(captureDir);
  server = await startUiServer({ source: await CaptureTraceSource.index([captureDir]), addr: '127.0.0.1:0' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that fails the test on any script error; screenshots go to the test's temp dir. */
async function openPage(path: string, base = server.url): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(new URL(path, base).href);
  return { page, errors };
}

/** Saves a screenshot under the temp dir (and under TRACEPIPE_UI_SHOTS when set, to look at them). */
async function screenshot(page: Page, name: string): Promise<void> {
  const file = join(shots, `${name}.png`);
  await page.screenshot({ path: file });
  const keep = process.env['TRACEPIPE_UI_SHOTS'];
  if (keep) {
    await mkdir(keep, { recursive: true });
    await copyFile(file, join(keep, `${name}.png`));
  }
}

const rowIds = (page: Page) => page.locator('table.results tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trace-id')));
const treeRows = (page: Page) => page.locator('[role="treeitem"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-span-id')));

test('the search page lists every trace, most recent first, with root, spans, services, errors', async () => {
  const { page, errors } = await openPage('/');
  await page.locator('table.results caption', { hasText: '3 traces' }).waitFor();
  assert.deepEqual(await rowIds(page), [XSS, JOB, CHECKOUT]);
  assert.equal(await page.locator('.status p').first().textContent(), `3 traces, 6 spans in ${captureDir}`);
  const checkout = page.locator(`tr[data-trace-id="${CHECKOUT}"]`);
  assert.equal(await checkout.locator('a.trace-link').textContent(), 'frontend GET /checkout');
  assert.equal(await checkout.locator('td').nth(1).textContent(), '3');
  assert.equal(await checkout.locator('td').nth(2).textContent(), 'frontendpayments');
  assert.equal(await checkout.locator('td').nth(3).textContent(), '250ms');
  assert.equal(await checkout.locator('td').nth(4).textContent(), '2025-11-21 04:40:00.000000');
  assert.equal(await checkout.locator('.err-mark').textContent(), ' ⚠ 1 error');
  assert.equal(await page.locator(`tr[data-trace-id="${XSS}"] .note`).textContent(), ' (partial)');
  await screenshot(page, 'search');
  assert.deepEqual(errors, []);
  await page.close();
});

test('search by service, then by attribute, through the form (the URL keeps the query)', async () => {
  const { page, errors } = await openPage('/');
  await page.locator('table.results caption', { hasText: '3 traces' }).waitFor();
  await page.locator('select[name="service"] option', { hasText: 'payments' }).waitFor({ state: 'attached' });
  await page.selectOption('select[name="service"]', 'payments');
  await page.click('button[type="submit"]');
  await page.locator('table.results caption', { hasText: '1 trace' }).waitFor();
  assert.deepEqual(await rowIds(page), [CHECKOUT]);
  assert.equal(new URL(page.url()).search, '?service=payments');
  await screenshot(page, 'search-service');

  await page.selectOption('select[name="service"]', '');
  await page.fill('input[name="tags"]', 'db.system=postgresql');
  await page.click('button[type="submit"]');
  await page.waitForURL(/tags=/);
  await page.locator(`tr[data-trace-id="${JOB}"]`).waitFor();
  assert.deepEqual(await rowIds(page), [JOB]);

  await page.fill('input[name="tags"]', 'db.system=mysql');
  await page.click('button[type="submit"]');
  await page.locator('p.empty', { hasText: 'No traces match.' }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('open a trace: waterfall, collapse and expand (mouse and keyboard), select a span, read its attributes and events', async () => {
  const { page, errors } = await openPage('/');
  await page.click(`tr[data-trace-id="${CHECKOUT}"] a.trace-link`);
  await page.waitForURL(`**/trace/${CHECKOUT}`);
  await page.locator('[role="treeitem"]').nth(2).waitFor();
  assert.deepEqual(await treeRows(page), [SPAN.checkout, SPAN.charge, SPAN.pay]);
  assert.equal(await page.locator('.details h2').textContent(), 'GET /checkout', 'the root is selected first');

  await page.click(`[data-span-id="${SPAN.checkout}"] button.toggle`);
  assert.deepEqual(await treeRows(page), [SPAN.checkout]);
  assert.equal(await page.locator(`[data-span-id="${SPAN.checkout}"]`).getAttribute('aria-expanded'), 'false');
  await page.click(`[data-span-id="${SPAN.checkout}"] button.toggle`);
  assert.deepEqual(await treeRows(page), [SPAN.checkout, SPAN.charge, SPAN.pay]);

  await page.focus('.waterfall');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('.details h2').textContent(), 'charge card');
  await page.keyboard.press('ArrowLeft');
  assert.deepEqual(await treeRows(page), [SPAN.checkout, SPAN.charge]);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('.details h2').textContent(), 'POST /charge');
  assert.equal(new URL(page.url()).searchParams.get('span'), SPAN.pay);

  const details = page.locator('.details');
  const field = async (name: string) => (await details.locator('table.kv').first().locator('tr', { has: page.locator(`th:text-is("${name}")`) }).locator('td').textContent())!;
  assert.equal(await field('Service'), 'payments');
  assert.equal(await field('Kind'), 'server');
  assert.equal(await field('Status'), 'ERROR: card declined');
  assert.equal(await field('Span ID'), SPAN.pay);
  assert.equal(await field('Parent'), `${SPAN.charge} (charge card)`);
  assert.equal(await field('Duration'), '170ms');
  assert.equal(await field('Scope'), 'tracepipe-ui-test 1.2.3');
  const attributes = await details.locator('h3:text-is("Attributes (3)") + table tr').evaluateAll((rows) => rows.map((r) => r.textContent));
  assert.deepEqual(attributes, ['http.route/charge', 'payment.amount12.5', 'retriedfalse']);
  assert.equal(await details.locator('.events .event-head strong').textContent(), 'exception');
  assert.equal(await details.locator('.events pre').textContent(), STACK);
  assert.equal(await page.locator(`[data-span-id="${SPAN.pay}"]`).getAttribute('class'), 'wf-row selected error');
  await screenshot(page, 'trace');

  await page.emulateMedia({ colorScheme: 'dark' });
  assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(20, 23, 28)');
  await screenshot(page, 'trace-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(255, 255, 255)');
  assert.deepEqual(errors, []);
  await page.close();
});

test('follow a link to a trace in the capture; a link to an absent trace says so', async () => {
  const { page, errors } = await openPage(`/trace/${CHECKOUT}?span=${SPAN.pay}`);
  const links = page.locator('.details ul.links li');
  await links.nth(1).locator('.note').waitFor();
  assert.equal(await links.nth(1).textContent(), `ffffffffffffffffffffffffffffff01 / ${SPAN.db} (not in this capture)`);
  await links.nth(0).locator('a').click();
  await page.waitForURL(`**/trace/${JOB}?span=${SPAN.job}`);
  await page.locator('.details h2', { hasText: 'process job' }).waitFor();
  assert.deepEqual(await treeRows(page), [SPAN.job, SPAN.db]);
  const traceState = page.locator('.details table.kv').first().locator('tr', { has: page.locator('th:text-is("Tracestate")') }).locator('td');
  assert.equal(await traceState.textContent(), 'vendor=abc');
  await page.goBack();
  await page.locator('.details h2', { hasText: 'POST /charge' }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('the download button saves the trace as OTLP/JSON', async () => {
  const { page, errors } = await openPage(`/trace/${CHECKOUT}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download OTLP/JSON')]);
  assert.equal(download.suggestedFilename(), `trace-${CHECKOUT}.json`);
  const file = join(shots, download.suggestedFilename());
  await download.saveAs(file);
  const decoded = decodeTracesJson(await readFile(file, 'utf8'));
  assert.deepEqual(decoded.spans.map((s) => s.spanContext().spanId).sort(), [SPAN.checkout, SPAN.charge, SPAN.pay]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a span name and attribute holding HTML render as text, and no script runs', async () => {
  const { page, errors } = await openPage('/');
  await page.locator(`tr[data-trace-id="${XSS}"]`).waitFor();
  assert.equal(await page.locator(`tr[data-trace-id="${XSS}"] a.trace-link`).textContent(), `frontend ${XSS_NAME}`);
  await page.click(`tr[data-trace-id="${XSS}"] a.trace-link`);
  await page.locator('.details h2').waitFor();
  assert.equal(await page.locator('.details h2').textContent(), XSS_NAME);
  const note = page.locator('.details h3:text-is("Attributes (1)") + table tr td');
  assert.equal(await note.textContent(), XSS_ATTRIBUTE);
  assert.equal(await page.locator('.details script, .waterfall script, .details img').count(), 0);
  assert.equal(await page.evaluate('window.__xss'), undefined);
  await screenshot(page, 'xss');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an empty capture shows a clear message', async () => {
  const empty = await tempDir();
  const emptyServer = await startUiServer({ source: await CaptureTraceSource.index([empty]), addr: '127.0.0.1:0' });
  try {
    const { page, errors } = await openPage('/', emptyServer.url);
    const message = page.locator('p.empty');
    await message.waitFor();
    assert.equal(await message.textContent(), `No traces in ${empty}.`);
    await screenshot(page, 'empty');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await emptyServer.close();
  }
});
