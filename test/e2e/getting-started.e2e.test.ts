/**
 * docs/GETTING-STARTED.md, done as a new user does it: every file of the guide written from the
 * guide itself, on the package as `npm pack` makes it (dist and the files package.json ships),
 * with TypeScript 5, 6 and 7, as a CommonJS and as an ES module project; the CLI run, a bad param,
 * the project's own `tsc`, the compiled program; on SQLite, and once on PostgreSQL and on MariaDB. The packages
 * come from this repository's node_modules (linked; TypeScript 6 and 7 from its workspaces
 * test/fixtures/typescript-6 and -7), so nothing is fetched from the network.
 */
import { execFileSync, spawn } from 'node:child_process';
import { exec as run } from '../support/exec';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';

// every test here spawns processes: seconds each on a loaded 2-core machine
jest.setTimeout(60_000);

const root = join(__dirname, '..', '..');
const guide = readFileSync(join(root, 'docs', 'GETTING-STARTED.md'), 'utf8');

/** The guide's files: fenced blocks whose info string names a file (```ts file=src/x.ts). */
function guideFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const match of guide.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)) files.set(match[1]!, match[2]!);
  return files;
}

/** Links a package of this repository's node_modules into a project's node_modules under `name`. */
function link(project: string, name: string, from = name): void {
  const target = join(project, 'node_modules', name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(root, 'node_modules', from), target, 'dir');
}

/** What the packed package.json says it needs. */
interface PackedManifest {
  readonly dependencies: Record<string, string>;
  readonly peerDependencies: Record<string, string>;
  readonly peerDependenciesMeta: Record<string, { readonly optional?: boolean }>;
}

describe('docs/GETTING-STARTED.md on the packed package', () => {
  let work: string;
  let packed: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'spine-getting-started-'));
    const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work]);
    packed = join(work, 'package');
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /**
   * A project as the guide makes it: the packed package installed, the guide's files written; ESM
   * variant per the guide's last section. Its dependencies and the peers npm installs with it
   * (TypeORM and the SQLite driver) come from this repository, the guide's `npm i mysql2` too;
   * `typeorm: 'newest'` gives the project the newest TypeORM 1.x (test/fixtures/typeorm-newest) instead.
   */
  function project(typescript: 'typescript' | 'typescript-6' | 'typescript-7', esm: boolean, options: { typeorm?: 'newest' } = {}): string {
    const dir = mkdtempSync(join(work, `${typescript}-${esm ? 'esm' : 'cjs'}-`));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-pipelines', private: true, ...(esm && { type: 'module' }) }, null, 2));
    cpSync(packed, join(dir, 'node_modules', 'spine-orchestration'), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(packed, 'package.json'), 'utf8')) as PackedManifest;
    const peers = Object.keys(manifest.peerDependencies).filter((name) => manifest.peerDependenciesMeta[name]?.optional !== true);
    for (const name of new Set([...Object.keys(manifest.dependencies), ...peers, 'mysql2', 'reflect-metadata', 'class-validator', 'inversify', '@types/node'])) {
      if (name === 'typeorm' && options.typeorm === 'newest') symlinkSync(join(root, 'test', 'fixtures', 'typeorm-newest', 'node_modules', 'typeorm'), join(dir, 'node_modules', 'typeorm'), 'dir');
      else link(dir, name);
    }
    // TypeScript 6 and 7 are workspaces of this repository (test/fixtures/typescript-N), so their tsc does not shadow its own
    const compiler = typescript === 'typescript' ? join(root, 'node_modules', 'typescript') : join(root, 'test', 'fixtures', typescript, 'node_modules', 'typescript');
    symlinkSync(compiler, join(dir, 'node_modules', 'typescript'), 'dir');
    mkdirSync(join(dir, 'node_modules', '.bin'));
    symlinkSync(join('..', 'spine-orchestration', 'dist', 'cli', 'main.js'), join(dir, 'node_modules', '.bin', 'spine'));
    for (const [file, text] of guideFiles()) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      let content = text;
      if (esm && file.endsWith('.ts')) content = content.replace(/from '(\.{1,2}\/[^']+)'/g, "from '$1.js'");
      writeFileSync(join(dir, file), content);
    }
    return dir;
  }

  it("ships what a user needs: dist, README, docs (the guide, the architecture) and the console's pages, no sources or tests", () => {
    const shipped = readdirSync(packed).sort();
    expect(shipped).toEqual(expect.arrayContaining(['README.md', 'console-ui', 'dist', 'docs', 'package.json']));
    expect(shipped).not.toContain('src');
    expect(shipped).not.toContain('test');
    expect(readdirSync(join(packed, 'docs'))).toEqual(expect.arrayContaining(['ARCHITECTURE.md', 'GETTING-STARTED.md']));
  });

  for (const [typescript, esm] of [
    ['typescript', false],
    ['typescript-6', false],
    ['typescript-7', false],
    ['typescript-7', true],
  ] as const) {
    it(`works as written with ${typescript === 'typescript' ? 'TypeScript 5' : typescript.replace('typescript-', 'TypeScript ')} in a ${esm ? 'ES module' : 'CommonJS'} project`, async () => {
      const dir = project(typescript, esm);
      const spine = join(dir, 'node_modules', '.bin', 'spine');
      const version = await run(join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), ['--version'], dir);
      expect(version.stdout).toMatch(typescript === 'typescript' ? /^Version 5\./ : new RegExp(`^Version ${typescript.slice(-1)}\\.`));

      const doctor = await run(spine, ['doctor'], dir);
      expect(doctor.stdout).toContain('No problems found.');
      expect(doctor.stdout).toMatch(/^✓ workflows +1: prices\.daily$/m);

      const cli = await run(spine, ['run', 'prices.daily', '--param', 'date=2026-11-27', '--param', 'limit=3'], dir);
      expect(cli.stderr).toBe('');
      expect(cli.stdout).toMatch(/^✔ prices\.daily completed in .* · 3\/3 steps$/m);
      const bad = await run(spine, ['run', 'prices.daily', '--param', 'date=2026-11-27', '--param', 'limit=9'], dir);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('limit must not be greater than 5');
      expect((await run(spine, ['runs'], dir)).stdout).toMatch(/prices\.daily +completed/);

      const tsc = await run(join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), [], dir);
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.code).toBe(0);
      const program = await run(process.execPath, [join('dist', 'main.js')], dir);
      expect(program.stderr).toBe('');
      expect(program.stdout.trim()).toBe('completed: 2 closes stored for 2026-11-27');
      // the guide's test of a day's wait, through spine-orchestration/testing: a day of fake time
      const check = await run(process.execPath, [join('dist', 'prices.check.js')], dir);
      expect(check.stderr).toBe('');
      expect(check.stdout.trim()).toBe('completed at 2026-11-28T00:00:00.000Z');
    }, 90_000);
  }

  it("uses the application's own TypeORM (the newest 1.x, installed beside it): one copy, and the Nest example type-checks against it", async () => {
    const manifest = JSON.parse(readFileSync(join(packed, 'package.json'), 'utf8')) as PackedManifest;
    for (const name of ['typeorm', 'better-sqlite3', 'mysql2', 'pg']) {
      expect(manifest.dependencies[name]).toBeUndefined();
      expect(manifest.peerDependencies[name]).toMatch(/^\^\d+\.\d+\.\d+$/);
    }
    const newest = (JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'typeorm-newest', 'node_modules', 'typeorm', 'package.json'), 'utf8')) as { version: string }).version;
    const [major, minor, patch] = manifest.peerDependencies.typeorm!.slice(1).split('.').map(Number);
    const [nMajor, nMinor, nPatch] = newest.split('.').map(Number);
    expect(nMajor).toBe(major);
    expect(nMinor! * 1000 + nPatch!).toBeGreaterThanOrEqual(minor! * 1000 + patch!); // the caret range holds the newest 1.x
    const dir = project('typescript', false, { typeorm: 'newest' });
    // spine's own import of typeorm is the application's copy
    const resolved = execFileSync(process.execPath, ['-p', "require('node:fs').realpathSync(require.resolve('typeorm', { paths: [require.resolve('spine-orchestration')] }))"], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
    expect(resolved.startsWith(join(root, 'test', 'fixtures', 'typeorm-newest', 'node_modules', 'typeorm') + '/')).toBe(true);
    // the Nest example (and the FINRA domain it serves), compiled against that TypeORM
    rmSync(join(dir, 'src'), { recursive: true, force: true });
    for (const example of ['nest-app', 'finra-otc'])
      cpSync(join(root, 'examples', example), join(dir, 'examples', example), { recursive: true, filter: (from) => !from.includes(`${join('finra-otc', 'data')}`) });
    cpSync(join(root, 'examples', 'example.database.ts'), join(dir, 'examples', 'example.database.ts'));
    for (const name of ['@nestjs/common', '@nestjs/core', '@nestjs/typeorm', '@nestjs/platform-express', 'rxjs']) link(dir, name);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: true,
          noEmit: true,
          types: ['node'],
          preserveSymlinks: true,
        },
        include: ['examples/nest-app'],
      }),
    );
    const tsc = await run(join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), [], dir);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  }, 90_000);

  it("serves the console from the installed package: its pages, the chart and graph libraries, the API on the project's runs", async () => {
    const dir = project('typescript', false);
    const spine = join(dir, 'node_modules', '.bin', 'spine');
    expect((await run(spine, ['run', 'prices.daily', '--param', 'date=2026-11-27'], dir)).code).toBe(0);
    const child = spawn(process.execPath, [spine, 'console', '--port', '0'], { cwd: dir, env: { ...process.env, SPINE_DATABASE_URL: '', SPINE_CONSOLE_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /spine console on (http:\/\/\S+)\/runs/.exec(out);
          if (found) resolve(found[1]!);
        });
        child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('exit', (code) => reject(new Error(`spine console exited (${code}): ${out}`)));
      });
      for (const asset of ['app.js', 'app.css', 'uplot.js', 'uplot.css', 'dagre.js']) expect((await fetch(`${base}/assets/${asset}`)).status).toBe(200);
      expect(await (await fetch(`${base}/runs`)).text()).toContain('assets/app.js');
      const runs = (await (await fetch(`${base}/api/runs`)).json()) as { runs: { workflow: string; status: string }[] };
      expect(runs.runs.map((r) => [r.workflow, r.status])).toEqual([['prices.daily', 'completed']]);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) process.kill(child.pid!, 'SIGTERM');
      await exited;
    }
  }, 90_000);

  const mysql = process.env.SPINE_TEST_MYSQL_URL;
  if (!mysql) console.log('getting started on MariaDB NOT RUN: no MySQL suite server (SPINE_TEST_MYSQL_URL unset; see the MySQL suite line above).');
  (mysql ? it : it.skip)(
    'runs on MariaDB by SPINE_DATABASE_URL, from the CLI and from the compiled program',
    async () => {
      const name = `getting_started_${randomBytes(4).toString('hex')}`;
      const admin = await createConnection(mysql!);
      await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
      try {
        const url = `${mysql!.replace(/\/[^/]*$/, '')}/${name}`;
        const dir = project('typescript-7', false);
        const cli = await run(join(dir, 'node_modules', '.bin', 'spine'), ['run', 'prices.daily', '--param', 'date=2026-11-27'], dir, { SPINE_DATABASE_URL: url });
        expect(cli.stdout).toMatch(/^✔ prices\.daily completed/m);
        expect((await run(join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), [], dir)).code).toBe(0);
        const program = await run(process.execPath, [join('dist', 'main.js')], dir, { SPINE_DATABASE_URL: url });
        expect(program.stdout.trim()).toBe('completed: 2 closes stored for 2026-11-27');
        const [rows] = (await admin.query(`SELECT COUNT(*) AS n FROM ${name}.core_workflow_runs WHERE workflow_name = 'prices.daily'`)) as unknown as [{ n: number }[]];
        expect(Number(rows[0]!.n)).toBe(2);
      } finally {
        await admin.query(`DROP DATABASE ${name}`);
        await admin.end();
      }
    },
    90_000,
  );

  const postgres = process.env.SPINE_TEST_POSTGRES_URL;
  if (!postgres) console.log('getting started on PostgreSQL NOT RUN: no PostgreSQL suite server (SPINE_TEST_POSTGRES_URL unset; see the PostgreSQL suite line above).');
  (postgres ? it : it.skip)(
    'runs on PostgreSQL by SPINE_DATABASE_URL once pg is installed, from the CLI and from the compiled program',
    async () => {
      const name = `getting_started_${randomBytes(4).toString('hex')}`;
      const admin = new Client({ connectionString: postgres });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      try {
        const url = `${postgres!.replace(/\/[^/]*$/, '')}/${name}`;
        const dir = project('typescript-7', false);
        // before the guide's `npm i pg`: the error says what to install
        const missing = await run(join(dir, 'node_modules', '.bin', 'spine'), ['run', 'prices.daily', '--param', 'date=2026-11-27'], dir, { SPINE_DATABASE_URL: url });
        console.log(`without pg: exit ${missing.code}: ${missing.stderr.trim()}`);
        expect(missing.code).not.toBe(0);
        expect(missing.stderr).toMatch(/PostgreSQL needs the "pg" package, which is not installed: npm i pg/);
        expect(missing.stderr).not.toContain('password');
        link(dir, 'pg');
        const cli = await run(join(dir, 'node_modules', '.bin', 'spine'), ['run', 'prices.daily', '--param', 'date=2026-11-27'], dir, { SPINE_DATABASE_URL: url });
        expect(cli.stdout).toMatch(/^✔ prices\.daily completed/m);
        expect((await run(join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), [], dir)).code).toBe(0);
        const program = await run(process.execPath, [join('dist', 'main.js')], dir, { SPINE_DATABASE_URL: url.replace(/^postgres:/, 'postgresql:') });
        expect(program.stdout.trim()).toBe('completed: 2 closes stored for 2026-11-27');
        const db = new Client({ connectionString: url });
        await db.connect();
        const { rows } = await db.query("SELECT COUNT(*) AS n FROM core_workflow_runs WHERE workflow_name = 'prices.daily'");
        await db.end();
        expect(Number(rows[0].n)).toBe(2);
      } finally {
        await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
        await admin.end();
      }
    },
    90_000,
  );
});
