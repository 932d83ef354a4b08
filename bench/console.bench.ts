/**
 * The console as history grows (part of `npm run bench`): its JSON API over HTTP on an embedded
 * SQLite database pre-filled with 10,000 and with 1,000,000 runs (the history benchmark's fill, a
 * step each), each read at the larger size divided by the same read at the smaller, and — when Debian's Chromium is
 * installed (or SPINE_CHROMIUM names one) — the runs page in a headless browser: from navigation to
 * the first page of runs on screen.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spine } from 'spine-orchestration';
import { startConsole } from 'spine-orchestration/console';
import { createSpineDataSource, sqliteOptions } from 'spine-orchestration/typeorm';
import { fill } from './history.bench';
import { track } from './targets';

/** The run in the middle of the history, and its week partition. */
interface Sample {
  readonly runId: string;
  readonly week: number;
}

interface Probe {
  readonly label: string;
  /** The API paths (under /api/) it reads, for a database whose middle run is `sample`. */
  readonly paths: (sample: Sample) => string[];
  /** Target of the ratio 1 M ÷ 10 k, or null when the read grows with the history by design. */
  readonly target: number | null;
}

const probes: Probe[] = [
  { label: 'runs page: session + newest 50', paths: () => ['session', 'runs'], target: 2 },
  { label: 'runs older than the middle run (keyset page)', paths: (s) => [`runs?before=${s.runId}`], target: 2 },
  { label: 'runs of one workflow (1 in 20)', paths: () => ['runs?workflow=wf.7'], target: 2 },
  { label: 'failed runs (1 in 50)', paths: () => ['runs?status=failed'], target: 2 },
  { label: 'runs started by a schedule (1 in 10)', paths: () => ['runs?trigger=schedule'], target: 2 },
  { label: 'runs of a partition value (1 in 3)', paths: () => ['runs?partition=tier%3DT1'], target: 2 },
  { label: 'runs of one day', paths: () => [`runs?since=${day(2)}&until=${day(2)}`], target: 2 },
  { label: 'a run (steps, events, graph)', paths: (s) => [`runs/${s.runId}`], target: 2 },
  { label: 'runs of a rare partition (first match half-way down)', paths: (s) => [`runs?partition=${encodeURIComponent(`week=w${s.week}`)}`], target: null },
  { label: 'workflows with 30-day counts and success rates', paths: () => ['workflows'], target: null },
];

/** A date `daysAgo` days before today (UTC), as the runs filter takes it. */
function day(daysAgo: number): string {
  return new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
}

async function medianMs(read: () => Promise<unknown>, times = 20): Promise<number> {
  for (let i = 0; i < 3; i++) await read();
  const took: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await read();
    took.push(performance.now() - start);
  }
  return took.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

async function get(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Milliseconds from navigation to the runs table's first row, median of 5, in headless Chromium; null without a browser. */
async function firstPaint(url: string): Promise<number | null> {
  const executablePath = process.env.SPINE_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    return await medianMs(async () => {
      await page.goto(url);
      await page.locator('[data-testid=runs] tbody tr').first().waitFor();
    }, 5);
  } finally {
    await browser.close();
  }
}

async function measure(runs: number): Promise<{ times: number[]; paint: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'spine-console-bench-'));
  try {
    const dataSource = await createSpineDataSource(sqliteOptions(join(dir, 'console.db'))).initialize();
    await dataSource.runMigrations();
    const sample: Sample = { runId: fill(dataSource, runs, 1), week: Math.floor(runs / 2 / 1000) };
    const spine = await Spine.create({ database: dataSource, recoverOnStart: false });
    const server = await startConsole(spine, { port: 0, token: null });
    try {
      const times: number[] = [];
      for (const probe of probes) {
        // the page asks for them at once
        const urls = probe.paths(sample).map((path) => `${server.url}/api/${path}`);
        times.push(await medianMs(() => Promise.all(urls.map(get))));
      }
      return { times, paint: await firstPaint(`${server.url}/runs`) };
    } finally {
      await server.close();
      await spine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function consoleBenchmark(): Promise<string[]> {
  const row = (a: string, b: string, c: string, d: string): string => `| ${a.padEnd(56)} | ${b.padStart(12)} | ${c.padStart(12)} | ${d.padEnd(16)} |`;
  await measure(10_000); // warms up: both sizes are then measured alike
  const small = await measure(10_000);
  const large = await measure(1_000_000);
  const lines = [row('console API over HTTP (SQLite), median of 20', '10 k runs', '1 M runs', '1 M ÷ 10 k'), row('-'.repeat(56), '-'.repeat(12), '-'.repeat(12), '-'.repeat(16))];
  for (const [i, probe] of probes.entries()) {
    const ratio = large.times[i]! / Math.max(small.times[i]!, 0.001);
    const verdict = probe.target === null ? `${ratio.toFixed(2)}× (grows)` : track(`console at 1 M runs ÷ 10 k: ${probe.label}`, ratio, probe.target, 'max');
    lines.push(row(probe.label, `${small.times[i]!.toFixed(2)} ms`, `${large.times[i]!.toFixed(2)} ms`, verdict));
  }
  if (small.paint === null || large.paint === null) lines.push('runs page in a browser: not measured (no Chromium; apt-get install chromium or set SPINE_CHROMIUM)');
  else {
    const verdict = track('console: runs page on screen at 1 M runs ÷ 10 k', large.paint / small.paint, 1.5, 'max');
    lines.push(row('runs page: navigation to first rows on screen (Chromium)', `${small.paint.toFixed(0)} ms`, `${large.paint.toFixed(0)} ms`, verdict));
  }
  return lines;
}
