/**
 * A CairnService whose server is a script: each command id maps to a handler that may emit
 * stream events (through the real StreamRouter) before returning its result. Every call is
 * recorded, so tests check what the extension sent.
 */
import type { CommandArgsById, CommandId, StreamKind } from '../../src/protocol';
import type { CairnService, ServerState } from '../../src/service';
import { CommandSender, StreamRouter } from '../../src/streams';

export type Handler = (args: any, emit: (kind: StreamKind, text?: string) => void) => unknown | Promise<unknown>;

export class FakeService implements CairnService {
  readonly router = new StreamRouter();
  readonly calls: { command: CommandId; args: unknown }[] = [];
  readonly handlers = new Map<CommandId, Handler>();
  state: ServerState = 'running';
  restarts = 0;
  logShown = 0;
  private readonly listeners = new Set<(state: ServerState) => void>();

  readonly send: CommandSender = async <K extends CommandId>(command: K, args?: CommandArgsById[K]) => {
    this.calls.push({ command, args });
    const handler = this.handlers.get(command);
    if (!handler) {
      return null;
    }
    const streamId = (args as { streamId?: string } | undefined)?.streamId ?? 'server-made-id';
    const emit = (kind: StreamKind, text = '') => this.router.dispatch({ streamId, kind, text });
    return handler(args, emit);
  };

  on(command: CommandId, handler: Handler): this {
    this.handlers.set(command, handler);
    return this;
  }

  setState(state: ServerState): void {
    this.state = state;
    this.listeners.forEach((listener) => listener(state));
  }

  onDidChangeState(listener: (state: ServerState) => void) {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async restart(): Promise<void> {
    this.restarts += 1;
  }

  showLog(): void {
    this.logShown += 1;
  }

  /** The calls to one command. */
  sent(command: CommandId): unknown[] {
    return this.calls.filter((call) => call.command === command).map((call) => call.args);
  }
}

/** A cancellation token the test cancels by hand. */
export class FakeToken {
  isCancellationRequested = false;
  private listeners: (() => unknown)[] = [];
  onCancellationRequested(listener: () => unknown) {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((item) => item !== listener)) };
  }
  cancel(): void {
    this.isCancellationRequested = true;
    this.listeners.forEach((listener) => listener());
  }
}
