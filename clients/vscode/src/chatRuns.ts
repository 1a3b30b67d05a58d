/**
 * Runs shown in the chat view, each cancellable where the user is looking: a run started from
 * the view has the view's progress bar and its Stop button; a run started elsewhere (a code
 * action, a palette command) also gets a notification with a Cancel button. Either cancel asks
 * the server to stop that run (`cairn.cancel` with its stream id, through runStreamed).
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { ChatTranscript, TurnSink } from './chatTranscript';
import type { CommandArgsById } from './protocol';
import { CommandSender, runStreamed, StreamOutcome, StreamRouter, StreamSink } from './streams';

/** The webview view's id (package.json `contributes.views`). */
export const CHAT_VIEW_ID = 'cairn.chat';

type RunCommand = 'cairn.chat' | 'cairn.runAction';
type Outcome = StreamOutcome & { result: unknown };

export interface RunRequest<K extends RunCommand> {
  send: CommandSender;
  router: StreamRouter;
  command: K;
  args: CommandArgsById[K];
  title: string;
  /** The user's words, shown above the answer. */
  prompt?: string;
}

export class ChatRuns implements vscode.Disposable {
  private readonly cancellers = new Map<string, vscode.CancellationTokenSource>();

  constructor(
    private readonly transcript: ChatTranscript,
    private readonly reveal: () => unknown,
  ) {}

  /** A run the user started outside the view: shown in the view, with a notification to cancel it. */
  withNotification<K extends RunCommand>(request: RunRequest<K>): Promise<Outcome> {
    this.reveal();
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Cairn: ${request.title}`, cancellable: true },
        (progress, token) =>
          this.run(request, token, (text) => progress.report({ message: text })),
      ),
    );
  }

  /** A run asked for in the view: its progress bar shows while it runs; Stop cancels it. */
  inView<K extends RunCommand>(request: RunRequest<K>): Promise<Outcome> {
    return Promise.resolve(
      vscode.window.withProgress({ location: { viewId: CHAT_VIEW_ID } }, () => this.run(request)),
    );
  }

  /** Cancel one running turn (the view's Stop); false when it is not running. */
  cancel(turnId: string): boolean {
    const canceller = this.cancellers.get(turnId);
    canceller?.cancel();
    return canceller !== undefined;
  }

  /** Where a stream nobody opened goes (a code action the editor ran without the extension). */
  orphan(streamId: string): StreamSink {
    return this.transcript.turn(streamId, 'Cairn');
  }

  dispose(): void {
    this.cancellers.forEach((canceller) => canceller.cancel());
  }

  private async run<K extends RunCommand>(
    request: RunRequest<K>,
    outer?: vscode.CancellationToken,
    step?: (text: string) => void,
  ): Promise<Outcome> {
    const streamId = request.args.streamId ?? randomUUID();
    const turn = this.transcript.turn(streamId, request.title, request.prompt);
    const canceller = new vscode.CancellationTokenSource();
    this.cancellers.set(streamId, canceller);
    const linked = outer?.onCancellationRequested(() => canceller.cancel());
    const cancelled = canceller.token.onCancellationRequested(() => turn.cancelRequested());
    try {
      return await runStreamed(
        request.send,
        request.router,
        request.command,
        { ...request.args, streamId },
        viewSink(turn, step),
        canceller.token,
      );
    } catch (error) {
      turn.error(error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      turn.end?.();
      linked?.dispose();
      cancelled.dispose();
      this.cancellers.delete(streamId);
      canceller.dispose();
    }
  }
}

/**
 * The turn's sink, with steps also reported to `step` (the notification). Its end is left to
 * `run`, which ends the turn after a failed command has shown its error.
 */
function viewSink(turn: TurnSink, step?: (text: string) => void): StreamSink {
  return {
    text: (text) => turn.text(text),
    status: (text) => {
      turn.status(text);
      step?.(text);
    },
    error: (text) => turn.error(text),
  };
}
