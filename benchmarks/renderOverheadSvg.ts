import { SCENARIO_TITLES } from '../src/bench/formatSamplingTable.js';
import type { SamplingBenchmarkResult } from '../src/bench/runSamplingBenchmark.js';

const PANEL_W = 420;
const PANEL_H = 300;
const MARGIN = { left: 64, right: 28, top: 40, bottom: 56 };
const COLORS: Record<string, string> = { tracepipe: '#1f77b4', stock: '#d62728', noop: '#555555' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const rateLabel = (r: number) => (r >= 1e6 ? `${r / 1e6}M` : r >= 1000 ? `${r / 1000}k` : String(r));

/**
 * Overhead against sampling rate as a standalone SVG: one panel per scenario, ns per span on a
 * log scale, a line per contender with min–max whiskers, and the no-op floor dashed.
 */
export function renderOverheadSvg(result: SamplingBenchmarkResult): string {
  const values: number[] = [];
  for (const row of result.rows) values.push(row.nsPerSpan.min, row.nsPerSpan.max);
  for (const s of result.scenarios) values.push(result.floor[s].nsPerSpan.min, result.floor[s].nsPerSpan.max);
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...finite)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...finite)));
  const width = PANEL_W * result.scenarios.length;
  const height = PANEL_H + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  result.scenarios.forEach((scenario, panel) => {
    const x0 = panel * PANEL_W + MARGIN.left;
    const plotW = PANEL_W - MARGIN.left - MARGIN.right;
    const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
    const y0 = MARGIN.top;
    const xAt = (i: number) => x0 + (result.rates.length === 1 ? plotW / 2 : (i * plotW) / (result.rates.length - 1));
    const yAt = (v: number) => y0 + plotH - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
    parts.push(`<text x="${x0 + plotW / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${esc(SCENARIO_TITLES[scenario])}</text>`);
    for (let decade = lo; decade <= hi; decade *= 10) {
      const y = yAt(decade).toFixed(1);
      parts.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
      parts.push(`<text x="${x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${decade.toLocaleString('en-US')}</text>`);
    }
    parts.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y0 + plotH}" stroke="#000"/>`);
    parts.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y0 + plotH}" y2="${y0 + plotH}" stroke="#000"/>`);
    result.rates.forEach((rate, i) => {
      parts.push(`<text x="${xAt(i).toFixed(1)}" y="${y0 + plotH + 16}" text-anchor="middle">${rateLabel(rate)}</text>`);
    });
    parts.push(`<text x="${x0 + plotW / 2}" y="${y0 + plotH + 36}" text-anchor="middle">sampling_rate_per_million</text>`);
    parts.push(
      `<text transform="translate(${x0 - 48} ${y0 + plotH / 2}) rotate(-90)" text-anchor="middle">ns per span (log scale)</text>`,
    );
    const floor = result.floor[scenario].nsPerSpan.median;
    if (Number.isFinite(floor)) {
      const y = yAt(floor).toFixed(1);
      parts.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" stroke="${COLORS.noop}" stroke-dasharray="5 4"/>`);
    }
    for (const contender of result.contenders) {
      const rows = result.rates.map((rate) => result.rows.find((r) => r.scenario === scenario && r.rate === rate && r.contender === contender));
      const points = rows.map((row, i) => (row ? `${xAt(i).toFixed(1)},${yAt(row.nsPerSpan.median).toFixed(1)}` : '')).filter(Boolean);
      const color = COLORS[contender] ?? '#2ca02c';
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
      rows.forEach((row, i) => {
        if (!row) return;
        const x = xAt(i).toFixed(1);
        parts.push(`<line x1="${x}" x2="${x}" y1="${yAt(row.nsPerSpan.min).toFixed(1)}" y2="${yAt(row.nsPerSpan.max).toFixed(1)}" stroke="${color}"/>`);
        parts.push(`<circle cx="${x}" cy="${yAt(row.nsPerSpan.median).toFixed(1)}" r="3" fill="${color}"/>`);
      });
    }
  });
  const legend: Array<[string, string, boolean]> = [
    ...result.contenders.map((c): [string, string, boolean] => [c === 'stock' ? 'stock OpenTelemetry JS SDK' : c, COLORS[c] ?? '#2ca02c', false]),
    ['no-op API (floor)', COLORS.noop!, true],
  ];
  let x = MARGIN.left;
  legend.forEach(([label, color, dashed]) => {
    const y = height - 12;
    parts.push(`<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    parts.push(`<text x="${x + 30}" y="${y}" dominant-baseline="middle">${esc(label)}</text>`);
    x += 30 + label.length * 7 + 24;
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
