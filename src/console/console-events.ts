import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Spine } from '../spine/spine';

/** A comment line sent while a run is quiet, so proxies keep the stream open. */
const HEARTBEAT_MS = 15_000;

/**
 * `GET /api/runs/:id/events`: the run's progress as Server-Sent Events (`spine.watch`): one
 * `event: <type>` with the event as JSON `data` per event, `id` counting from 1, then `event: end`
 * once the run has ended; a comment every 15 s while it is quiet. The stream ends when the
 * client goes away. An unknown run is one `event: error` with its message.
 */
export async function streamRunEvents(spine: Spine, runId: string, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
  const stop = new AbortController();
  const gone = (): void => stop.abort();
  req.once('close', gone);
  res.once('close', gone);
  res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.write('retry: 3000\n\n');
  const heartbeat = setInterval(() => res.write(': still watching\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  let id = 0;
  try {
    for await (const event of spine.watch(runId, { signal: stop.signal })) {
      res.write(`id: ${++id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
    if (!stop.signal.aborted) res.write(`event: end\ndata: ${JSON.stringify({ runId })}\n\n`);
  } catch (error) {
    if (!stop.signal.aborted) res.write(`event: error\ndata: ${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n\n`);
  } finally {
    clearInterval(heartbeat);
    req.off('close', gone);
    res.off('close', gone);
    res.end();
  }
}
