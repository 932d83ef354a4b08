import { Body, Controller, Get, HttpCode, HttpStatus, Inject, NotFoundException, Param, Post, Sse, UseFilters, type MessageEvent } from '@nestjs/common';
import { from, map, type Observable } from 'rxjs';
import { SpineExceptionFilter, SpineService } from 'spine-orchestration/nest';

/** Starts runs and reads them back over HTTP; spine's errors answer 400 / 404 / 409 / 503 (SpineExceptionFilter). */
@Controller('runs')
@UseFilters(SpineExceptionFilter)
export class RunsController {
  constructor(@Inject(SpineService) private readonly spine: SpineService) {}

  /** Starts a run of `workflow` with the JSON body as params; answers 202 once it is recorded. */
  @Post(':workflow')
  @HttpCode(HttpStatus.ACCEPTED)
  async start(@Param('workflow') workflow: string, @Body() params: Record<string, unknown> = {}) {
    const { runId } = await this.spine.start(workflow, { params });
    return { runId, workflow, status: 'running', href: `/runs/${runId}` };
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

  /** The run's progress as Server-Sent Events (one per step and run event, from any replica), ending with the run. */
  @Sse(':id/events')
  events(@Param('id') id: string): Observable<MessageEvent> {
    return from(this.spine.watch(id)).pipe(map((event) => ({ type: event.type, data: event })));
  }

  /** The newest runs. */
  @Get()
  list() {
    return this.spine.listRuns({ limit: 50 });
  }
}
