import 'reflect-metadata';
import { IsIn, IsInt } from 'class-validator';
import { LambdaStep, Spine, SpineStartupError, Workflow, type WorkflowContext } from 'spine-orchestration';

/** A params class as esbuild or tsx emit it: class-validator's decorators applied, no `design:type` metadata. */
class ParamsWithoutMetadata {
  limit!: number;
  tier!: string;
}
IsInt()(ParamsWithoutMetadata.prototype, 'limit');
IsIn(['a', 'b'])(ParamsWithoutMetadata.prototype, 'tier');

/** The same class compiled with emitDecoratorMetadata (as the test suite compiles). */
class ParamsWithMetadata {
  @IsInt()
  limit!: number;
}

describe('decorator metadata check at start-up', () => {
  it('refuses a params class compiled without emitDecoratorMetadata, naming the class, why and the fix', async () => {
    @Workflow({ name: 'meta.missing', params: ParamsWithoutMetadata })
    class Missing {
      @LambdaStep()
      go(ctx: WorkflowContext) {
        return { limit: ctx.getParam('limit') };
      }
    }
    const error = await Spine.create({ database: 'memory', recoverOnStart: false, workflows: [Missing] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpineStartupError);
    expect((error as Error).message).toContain(
      'workflow "meta.missing": its params class ParamsWithoutMetadata has no decorator type metadata on its fields (limit, tier): it was compiled without "emitDecoratorMetadata"',
    );
    expect((error as Error).message).toContain('Set "experimentalDecorators": true and "emitDecoratorMetadata": true in tsconfig.json');
  });

  it('accepts the same class with its metadata, and converts params by it', async () => {
    @Workflow({ name: 'meta.present', params: ParamsWithMetadata })
    class Present {
      @LambdaStep()
      go(ctx: WorkflowContext) {
        return { limit: ctx.getParam('limit') };
      }
    }
    const spine = await Spine.create({ database: 'memory', recoverOnStart: false, workflows: [Present] });
    const result = await spine.run('meta.present', { params: { limit: '4' } });
    expect(result.context.getOutput('go', 'limit')).toBe(4);
    await spine.close();
  });
});
