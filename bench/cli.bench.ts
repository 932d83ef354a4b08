/**
 * CLI start-up (part of `npm run bench`): wall time of `spine` commands on this repository's
 * config (the FINRA and market-data examples compiled from TypeScript on the fly), next to two
 * floors measured in the same run: Node starting and exiting, and Node loading the libraries every
 * Spine needs (TypeORM, class-validator, inversify) and exiting.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

/** Median wall milliseconds of a Node process with these arguments, in the repository's directory. */
function medianMs(args: readonly string[], times = 7): number {
  const took: number[] = [];
  for (let i = 0; i < times + 1; i++) {
    const start = performance.now();
    execFileSync(process.execPath, args, { cwd: root, stdio: 'ignore', env: { ...process.env, SPINE_DATABASE_URL: '' } });
    if (i > 0) took.push(performance.now() - start); // the first warms the file cache
  }
  return took.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

export function cliBenchmark(): string[] {
  const node = medianMs(['-e', '0']);
  const libraries = medianMs(['-e', "require('reflect-metadata'); require('typeorm'); require('class-validator'); require('inversify')"]);
  const row = (a: string, b: string, c: string, d: string): string => `| ${a.padEnd(56)} | ${b.padStart(10)} | ${c.padStart(12)} | ${c === '' ? ''.padEnd(14) : d.padEnd(14)} |`;
  const lines = [row('CLI start-up (this repository\u2019s config), median of 7', 'wall', '÷ node -e 0', '÷ libraries'), row('-'.repeat(56), '-'.repeat(10), '-'.repeat(12), '-'.repeat(14))];
  lines.push(row('floor: node -e 0', `${node.toFixed(0)} ms`, '1.00×', ''));
  lines.push(row('floor: node loading TypeORM, class-validator, inversify', `${libraries.toFixed(0)} ms`, `${(libraries / node).toFixed(2)}×`, '1.00×'));
  for (const args of [['--help'], ['workflows'], ['runs', '--limit', '1'], ['doctor']]) {
    const ms = medianMs([cli, ...args]);
    lines.push(row(`spine ${args.join(' ')}`, `${ms.toFixed(0)} ms`, `${(ms / node).toFixed(2)}×`, `${(ms / libraries).toFixed(2)}×`));
  }
  return lines;
}
