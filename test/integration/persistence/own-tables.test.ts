import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntitySchema } from 'typeorm';
import { Spine, Step, Workflow } from 'spine-orchestration';
import { sqliteOptions, withSpineSchema } from '../../../src/persistence';

interface Note {
  id: number;
  text: string;
}

const NoteEntity = new EntitySchema<Note>({
  name: 'note',
  columns: { id: { type: 'integer', primary: true, generated: 'increment' }, text: { type: 'varchar', length: 200 } },
});

describe("your own tables beside spine's (withSpineSchema with synchronize: true)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spine-own-tables-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("synchronizes your entities, leaves spine's tables to spine's migrations, and both work, on a new database and again on restart", async () => {
    const file = join(dir, 'app.db');
    for (const round of [1, 2]) {
      const dataSource = new DataSource(withSpineSchema({ ...sqliteOptions(file), entities: [NoteEntity], synchronize: true }));
      await dataSource.initialize(); // synchronize makes `note`; nothing of spine's yet on the first round
      const notes = dataSource.getRepository<Note>('note');
      const wf = Workflow.define({ name: 'own.tables', steps: [Step.lambda('write', async () => ({ id: (await notes.save({ text: `round ${round}` })).id }))] });
      const spine = await Spine.create({ database: dataSource, workflows: [wf], recoverOnStart: false }); // runs spine's migrations
      const result = await spine.run('own.tables');
      expect(result.status).toBe('completed');
      expect(await notes.count()).toBe(round);
      expect((await spine.getRun(result.runId))!.status).toBe('completed');
      // spine's tables are not under synchronize: the schema builder plans nothing for them, and nothing for `note`
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      await spine.close();
      await dataSource.destroy();
    }
  });
});
