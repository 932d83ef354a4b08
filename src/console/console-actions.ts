import type { Spine } from '../spine/spine';
import { ApiError, objectBody, onlyFields, optionalText } from './console-api.error';

/** What an action answers: an HTTP status and a JSON body. */
interface ActionReply {
  readonly status: number;
  readonly body: unknown;
}

const MAX_NAME = 255;
const MAX_NOTE = 2_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The console's actions beyond resume and cancel, each a POST of the JSON API (the pages' buttons
 * use them; scripts may too), with the console's security (token, CSRF, read-only): a signal to a
 * run, the decision of an 'approve' gate, a new run of a workflow, and a schedule's pause, resume,
 * trigger and backfill. Every body is checked: unknown fields are refused, naming them.
 */
export class ConsoleActions {
  constructor(private readonly spine: Spine) {}

  /** Answers `POST /api/<head>/<id>/<action>`; null when it is not one of these routes. */
  async route(head: string | undefined, id: string, action: string | undefined, rawBody: unknown): Promise<ActionReply | null> {
    const body = objectBody(rawBody);
    const route = `POST /api/${head}/${id}/${action}`;
    if (head === 'runs' && action === 'signals') return this.signal(id, body, route);
    if (head === 'runs' && (action === 'approve' || action === 'reject')) return this.decide(id, action === 'approve', body, route);
    if (head === 'workflows' && action === 'runs') return this.start(id, body, route);
    if (head === 'schedules' && action !== undefined) return this.schedule(id, action, body, route);
    return null;
  }

  private async signal(runId: string, body: Record<string, unknown>, route: string): Promise<ActionReply> {
    onlyFields(body, ['name', 'payload'], route);
    const name = body.name;
    if (typeof name !== 'string' || name === '' || name.length > MAX_NAME) throw new ApiError(400, `name must be the signal's name (text of 1 to ${MAX_NAME} characters).`);
    const sent = await this.spine.signal(runId, name, body.payload ?? null);
    return { status: 200, body: { signal: sent } };
  }

  private async decide(runId: string, approved: boolean, body: Record<string, unknown>, route: string): Promise<ActionReply> {
    onlyFields(body, ['note', 'step'], route);
    const note = optionalText(body, 'note', MAX_NOTE);
    let step = optionalText(body, 'step', MAX_NAME);
    if (step === undefined) {
      const pending = await this.spine.pendingApprovals(runId);
      if (pending.length === 0) throw new ApiError(409, `Run "${runId}" waits for no approval; name the gated step ("step") to decide ahead.`);
      step = pending[pending.length - 1]!;
    }
    const decision = { by: 'console', ...(note !== undefined && { note }) };
    await (approved ? this.spine.approve(runId, step, decision) : this.spine.reject(runId, step, decision));
    return { status: 200, body: { runId, step, approved } };
  }

  /** A new run: on its queue (the one given, else the workflow's) for a worker, else executed in this console's process. */
  private async start(workflow: string, body: Record<string, unknown>, route: string): Promise<ActionReply> {
    onlyFields(body, ['params', 'queue'], route);
    const params = body.params ?? {};
    if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new ApiError(400, 'params must be a JSON object of the run\'s params, e.g. {"week_ending": "2026-10-23"}.');
    const queue = optionalText(body, 'queue', MAX_NAME);
    const definition = this.spine.workflows().find((w) => w.name === workflow);
    const onQueue = queue ?? definition?.queue ?? undefined;
    if (onQueue !== undefined) {
      const { runId } = await this.spine.enqueue(workflow, { params: params as Record<string, unknown>, queue: onQueue, triggerSource: 'console' });
      return { status: 202, body: { runId, started: 'queued', queue: onQueue } };
    }
    const { runId, result } = await this.spine.start(workflow, { params: params as Record<string, unknown>, triggerSource: 'console' });
    // how it ends is the run's page's to show
    result.catch(() => undefined);
    return { status: 202, body: { runId, started: 'here' } };
  }

  private async schedule(name: string, action: string, body: Record<string, unknown>, route: string): Promise<ActionReply> {
    if (action === 'pause' || action === 'resume') {
      onlyFields(body, [], route);
      const state = action === 'pause' ? await this.spine.pauseSchedule(name) : await this.spine.resumeSchedule(name);
      return { status: 200, body: { schedule: state } };
    }
    if (action === 'trigger') {
      onlyFields(body, ['at'], route);
      const at = optionalText(body, 'at', 64);
      const when = at === undefined ? undefined : new Date(at);
      if (when !== undefined && Number.isNaN(when.getTime())) throw new ApiError(400, `at must be an ISO date-time, like 2026-10-23T16:00:00Z (got "${at}").`);
      return { status: 202, body: await this.spine.triggerSchedule(name, when === undefined ? {} : { at: when }) };
    }
    if (action === 'backfill') {
      onlyFields(body, ['from', 'to', 'dryRun'], route);
      const from = body.from;
      const to = body.to;
      if (typeof from !== 'string' || !DATE.test(from) || typeof to !== 'string' || !DATE.test(to))
        throw new ApiError(400, 'from and to must be dates like 2026-10-01 (the range of fire times, both included).');
      if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') throw new ApiError(400, 'dryRun must be true or false.');
      return { status: body.dryRun === true ? 200 : 202, body: await this.spine.backfill(name, { from, to, dryRun: body.dryRun === true }) };
    }
    throw new ApiError(404, `No schedule action "${action}": pause, resume, trigger or backfill.`);
  }
}
