import { Body, Controller, Get, HttpCode, HttpException, HttpStatus, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { SpineError, SpineValidationError } from 'spine-orchestration';
import { SpineService } from 'spine-orchestration/nest';

/** Starts runs and reads them back over HTTP. */
@Controller('runs')
export class RunsController {
  constructor(@Inject(SpineService) private readonly spine: SpineService) {}

  /** Starts a run of `workflow` with the JSON body as params; answers 202 once it is recorded. */
  @Post(':workflow')
  @HttpCode(HttpStatus.ACCEPTED)
  async start(@Param('workflow') workflow: string, @Body() params: Record<string, unknown> = {}) {
    try {
      const { runId } = await this.spine.start(workflow, { params });
      return { runId, workflow, status: 'running', href: `/runs/${runId}` };
    } catch (error) {
      throw toHttpError(error);
    }
  }

  /** The run and its steps (status, attempts, duration, quality, error). */
  @Get(':id')
  async get(@Param('id') id: string) {
    const run = await this.spine.getRun(id);
    if (run === null) throw new NotFoundException(`Run "${id}" not found.`);
    const steps = await this.spine.getRunSteps(id);
    return {
      ...run,
      steps: steps.map((s) => ({ step: s.stepName, status: s.status, attempt: s.attempt, durationMs: s.durationMs, quality: s.quality, error: s.error, output: s.output })),
    };
  }

  /** The newest runs. */
  @Get()
  list() {
    return this.spine.listRuns({ limit: 50 });
  }
}

function toHttpError(error: unknown): unknown {
  if (error instanceof SpineValidationError) {
    return new HttpException({ statusCode: 400, message: error.message, violations: error.violations }, HttpStatus.BAD_REQUEST);
  }
  if (error instanceof SpineError && error.kind === 'unknown-workflow') return new NotFoundException(error.message);
  if (error instanceof SpineError && error.kind === 'closed') return new HttpException('Shutting down; retry on another instance.', HttpStatus.SERVICE_UNAVAILABLE);
  return error;
}
