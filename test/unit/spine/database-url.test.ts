import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryRunStore, mysqlOptions, postgresOptions, Spine, Step, Workflow } from 'spine-orchestration';
import { databaseChoice, resolveDataSource } from '../../../src/spine/spine.database';

const optionsOf = (database: string, cwd = '/srv/app', env: NodeJS.ProcessEnv = {}) => resolveDataSource({ database, cwd }, env)!.dataSource.options as unknown as Record<string, unknown>;

describe('database URLs and SPINE_DATABASE_URL', () => {
  it("opens 'sqlite:<file>' (relative to cwd), 'sqlite::memory:', 'mysql://…' and 'mariadb://…'", () => {
    expect(optionsOf('sqlite:runs/spine.db')).toMatchObject({ type: 'better-sqlite3', database: '/srv/app/runs/spine.db' });
    expect(optionsOf('sqlite:///var/lib/spine.db')).toMatchObject({ type: 'better-sqlite3', database: '/var/lib/spine.db' });
    expect(optionsOf('sqlite::memory:')).toMatchObject({ type: 'better-sqlite3', database: ':memory:' });
    expect(optionsOf('mysql://spine:secret@db.internal:3306/runs')).toMatchObject({ type: 'mysql', url: 'mysql://spine:secret@db.internal:3306/runs' });
    expect(optionsOf('mariadb://spine:secret@db.internal:3306/runs')).toMatchObject({ type: 'mariadb', url: 'mysql://spine:secret@db.internal:3306/runs' });
  });

  it("opens 'postgres://…' and 'postgresql://…' with the pg driver; postgresOptions takes a URL or connection fields", () => {
    expect(optionsOf('postgres://spine:secret@db.internal:5432/runs')).toMatchObject({ type: 'postgres', url: 'postgres://spine:secret@db.internal:5432/runs' });
    expect(optionsOf('postgresql://spine:secret@db.internal/runs')).toMatchObject({ type: 'postgres', url: 'postgres://spine:secret@db.internal/runs' });
    expect(postgresOptions({ host: 'db.internal', username: 'spine', database: 'runs', schema: 'jobs' })).toMatchObject({ type: 'postgres', host: 'db.internal', schema: 'jobs' });
  });

  it('mysqlOptions is exported from the root entry too', () => {
    expect(mysqlOptions('mysql://spine:secret@db.internal:3306/runs')).toMatchObject({ type: 'mariadb', url: 'mysql://spine:secret@db.internal:3306/runs', timezone: 'Z' });
  });

  it('refuses another URL, naming the forms it takes and hiding the password', () => {
    expect(() => optionsOf('mssql://spine:secret@db/runs')).toThrow(
      /database URL "mssql:\/\/spine:\*\*\*@db\/runs" is not one spine opens: use 'sqlite:\.spine\/spine\.db'.*'postgres:\/\/user:password@host:5432\/db'/,
    );
  });

  it('takes SPINE_DATABASE_URL when the options name no database; the database option and a store of your own win over it', () => {
    const env = { SPINE_DATABASE_URL: 'mysql://a:b@h:3306/d' };
    expect(databaseChoice({}, env)).toEqual({ database: 'mysql://a:b@h:3306/d', source: 'SPINE_DATABASE_URL' });
    expect(databaseChoice({ database: 'memory' }, env)).toEqual({ database: 'memory', source: 'the database option' });
    expect(databaseChoice({ store: new InMemoryRunStore() }, env).source).toBe('the store option (a store of your own)');
    expect(databaseChoice({}, { SPINE_DATABASE_URL: ' ' }).source).toBe('the default (.spine/spine.db under the working directory)');
    expect((resolveDataSource({ cwd: '/srv/app' }, env)!.dataSource.options as { type: string }).type).toBe('mysql');
  });

  it('Spine.create records where SPINE_DATABASE_URL says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spine-env-url-'));
    const saved = process.env.SPINE_DATABASE_URL;
    process.env.SPINE_DATABASE_URL = 'sqlite:from-env.db';
    try {
      const spine = await Spine.create({ cwd: dir, recoverOnStart: false, workflows: [Workflow.define({ name: 'env.url', steps: [Step.lambda('one', () => ({ ok: true }))] })] });
      const result = await spine.run('env.url');
      expect(result.status).toBe('completed');
      expect(spine.store.durable).toBe(true);
      expect(existsSync(join(dir, 'from-env.db'))).toBe(true);
      expect(existsSync(join(dir, '.spine'))).toBe(false);
      await spine.close();
    } finally {
      if (saved === undefined) delete process.env.SPINE_DATABASE_URL;
      else process.env.SPINE_DATABASE_URL = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
