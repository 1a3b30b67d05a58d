/**
 * Routing `cairn/stream` events to the view that asked for them, and running a streamed
 * command to its end. No `vscode` import: the extension and the node end-to-end test share it.
 *
 * The client picks the stream id (which becomes the run id) before sending the command, so
 * events that arrive before the command's response already have a home. Events for ids nobody
 * opened (a code action the editor ran on its own, whose id the server made up) go to a
 * fallback view.
 */
import { randomUUID } from 'node:crypto';
import { CommandArgsById, CommandId, isStreamEvent, RunStarted, StreamEvent } from './protocol';

/** Where one stream's output goes. */
export interface StreamSink {
  text(text: string): void;
  status(text: string): void;
  error(text: string): void;
  /** Called once, after the last event (done, or the route was closed). */
  end?(): void;
}

/** Sends `workspace/executeCommand` and resolves with the server's result. */
export type CommandSender = <K extends CommandId>(command: K, args?: CommandArgsById[K]) => Promise<unknown>;

/** The part of a cancellation token this module needs (vscode's and vscode-jsonrpc's fit). */
export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

/** What a stream produced, collected while it was forwarded to its sink. */
export interface StreamOutcome {
  streamId: string;
  text: string;
  errors: string[];
  /** Whether the server sent `done` (false when the route was closed first). */
  done: boolean;
}

class Route {
  readonly outcome: StreamOutcome;
  private finish!: () => void;
  readonly finished: Promise<void>;

  constructor(
    streamId: string,
    private readonly sink: StreamSink,
    private readonly onEnd: () => void,
  ) {
    this.outcome = { streamId, text: '', errors: [], done: false };
    this.finished = new Promise<void>((resolve) => (this.finish = resolve));
  }

  deliver(event: StreamEvent): void {
    const text = event.text ?? '';
    switch (event.kind) {
      case 'text':
        this.outcome.text += text;
        this.sink.text(text);
        break;
      case 'status':
        this.sink.status(text);
        break;
      case 'error':
        this.outcome.errors.push(text);
        this.sink.error(text);
        break;
      case 'done':
        this.outcome.done = true;
        this.close();
        break;
    }
  }

  close(): void {
    this.onEnd();
    this.sink.end?.();
    this.finish();
  }
}

/** Dispatches stream events by id; one router per server connection. */
export class StreamRouter {
  private readonly routes = new Map<string, Route>();

  /** `fallback` makes a sink for streams nobody opened; without it such events are dropped. */
  constructor(private readonly fallback?: (streamId: string) => StreamSink) {}

  /** Start routing `streamId` to `sink`; the returned route ends at `done` or `close()`. */
  open(streamId: string, sink: StreamSink): { outcome: StreamOutcome; finished: Promise<void>; close(): void } {
    if (this.routes.has(streamId)) {
      throw new Error(`stream ${streamId} is already open`);
    }
    const route = new Route(streamId, sink, () => this.routes.delete(streamId));
    this.routes.set(streamId, route);
    return route;
  }

  /** Handle the params of one `cairn/stream` notification; malformed params are ignored. */
  dispatch(params: unknown): void {
    if (!isStreamEvent(params)) {
      return;
    }
    let route = this.routes.get(params.streamId);
    if (!route && this.fallback && params.kind !== 'done') {
      route = this.open(params.streamId, this.fallback(params.streamId)) as Route;
    }
    route?.deliver(params);
  }

  /** Ids of the streams currently open. */
  openStreams(): string[] {
    return [...this.routes.keys()];
  }
}

/** Whether a command's answer is a run the server started (and will end with `done`). */
export function isRunStarted(value: unknown): value is RunStarted {
  const started = value as RunStarted | null;
  return typeof started === 'object' && started !== null && started.status === 'started' && typeof started.runId === 'string';
}

/**
 * Run a streamed command (`cairn.chat`, `cairn.runAction`): pick a stream id, route its events
 * to `sink`, send the command (the server answers at once: the run started), and resolve once
 * the run has ended (`done`) with its outcome from `cairn.result`. The server always ends a run
 * with `done`, so nothing here waits on a timer. Cancelling `token` asks the server to stop
 * this run (`cairn.cancel`), so output already produced still arrives and the run ends the way
 * the server ends it.
 */
export async function runStreamed<K extends 'cairn.chat' | 'cairn.runAction'>(
  send: CommandSender,
  router: StreamRouter,
  command: K,
  args: CommandArgsById[K],
  sink: StreamSink,
  token?: CancellationLike,
): Promise<StreamOutcome & { result: unknown }> {
  const streamId = args.streamId ?? randomUUID();
  const route = router.open(streamId, sink);
  const cancel = () => {
    send('cairn.cancel', { streamId }).catch(() => undefined);
  };
  const subscription = token?.onCancellationRequested(cancel);
  if (token?.isCancellationRequested) {
    cancel();
  }
  try {
    const started = await send(command, { ...args, streamId });
    if (!isRunStarted(started)) {
      return { ...route.outcome, result: started }; // not a run: nothing more will come
    }
    await route.finished;
    const result = await send('cairn.result', { runId: started.runId }).catch(() => started);
    return { ...route.outcome, result };
  } finally {
    subscription?.dispose();
    if (!route.outcome.done) {
      route.close();
    }
  }
}
