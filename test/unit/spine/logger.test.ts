import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Spine, Step, Workflow } from 'spine-orchestration';

/** A pino logger writing its JSON lines into an array. */
function capture(): { logger: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), records };
}

describe('the logger port', () => {
  it('takes pino: records about a run carry its id, workflow, step and trace id', async () => {
    const { logger, records } = capture();
    const spine = await Spine.create({
      database: 'memory',
      workflows: [Workflow.define({ name: 'log.demo', steps: [Step.lambda('only', () => ({ ok: true }))] })],
      onEvent: (event) => {
        if (event.type === 'step_completed') throw new Error('listener broke');
      },
      recoverOnStart: false,
      logger,
    });
    try {
      const result = await spine.run('log.demo');
      expect(result.status).toBe('completed');
      const record = records.find((r) => String(r.msg).includes('an onEvent listener threw on step_completed: listener broke'));
      expect(record).toMatchObject({ level: 40, runId: result.runId, workflow: 'log.demo', step: 'only', traceId: result.context.traceId });
    } finally {
      await spine.close();
    }
  });

  it("says everything through the logger: no console in src/ but the CLI's own output and the default logger", () => {
    const src = join(__dirname, '..', '..', '..', 'src');
    const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.ts') ? [join(dir, name)] : []));
    const offending = files(src)
      .filter((file) => !/^(cli\/|core\/logging\/logger\.port\.ts$)/.test(relative(src, file)))
      .filter((file) => /\bconsole\.(log|info|warn|error|debug)\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(src, file));
    expect(offending).toEqual([]);
  });
});
