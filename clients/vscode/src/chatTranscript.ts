/**
 * What the chat view shows, kept by the extension: every message posted to the webview, in
 * order, so a view that is hidden and shown again (VS Code discards a hidden webview's page)
 * is rebuilt by replaying them. No `vscode` import.
 *
 * Runs (a chat from the view, a code action, a palette command, a stream nobody opened) each
 * become a turn; `turn()` returns the StreamSink their events go to.
 */
import type { EditCard, SkillItem, TurnOutcome, ViewMessage, ViewServerState } from './chatMessages';
import type { StreamSink } from './streams';

/** A run's sink in the view; `cancelRequested()` makes its end read "cancelled". */
export interface TurnSink extends StreamSink {
  readonly turnId: string;
  cancelRequested(): void;
  /** Whether the turn has ended. */
  readonly ended: boolean;
}

type Post = (message: ViewMessage) => unknown;

/** Keep at most this many messages for replay; consecutive text chunks count as one. */
export const REPLAY_LIMIT = 2000;

export class ChatTranscript {
  private readonly log: ViewMessage[] = [];
  private view: Post | undefined;
  private readonly open = new Map<string, TurnSink>();
  private readonly endListeners = new Set<(turnId: string) => void>();

  constructor(private readonly limit = REPLAY_LIMIT) {}

  /** Connect a (new) webview: it gets everything so far, then every new message. */
  attach(post: Post): { dispose(): void } {
    this.view = post;
    this.log.forEach((message) => post(message));
    return {
      dispose: () => {
        if (this.view === post) {
          this.view = undefined;
        }
      },
    };
  }

  /** Start a turn: a run with a title (and the user's prompt when there was one). */
  turn(turnId: string, title: string, prompt?: string): TurnSink {
    this.post({ type: 'turn', turnId, title, prompt });
    let failed = false;
    let cancelled = false;
    let ended = false;
    const sink: TurnSink = {
      turnId,
      text: (text) => this.post({ type: 'text', turnId, text }),
      status: (text) => this.post({ type: 'step', turnId, text }),
      error: (text) => {
        failed = true;
        this.post({ type: 'error', turnId, text });
      },
      end: () => {
        if (ended) {
          return;
        }
        ended = true;
        this.open.delete(turnId);
        const outcome: TurnOutcome = cancelled ? 'cancelled' : failed ? 'failed' : 'done';
        this.post({ type: 'end', turnId, outcome });
        this.endListeners.forEach((listener) => listener(turnId));
      },
      cancelRequested: () => {
        cancelled = true;
      },
      get ended() {
        return ended;
      },
    };
    this.open.set(turnId, sink);
    return sink;
  }

  /** The turn still running with this id. */
  running(turnId: string): TurnSink | undefined {
    return this.open.get(turnId);
  }

  /** Ids of the turns still running, oldest first. */
  runningTurns(): string[] {
    return [...this.open.keys()];
  }

  /** Called with a turn's id when it ends. */
  onTurnEnded(listener: (turnId: string) => void): { dispose(): void } {
    this.endListeners.add(listener);
    return { dispose: () => this.endListeners.delete(listener) };
  }

  /** Show an edit, or its new state (the view replaces the card with the same id). */
  edit(card: EditCard): void {
    this.post({ type: 'edit', edit: { ...card, files: card.files.map((file) => ({ ...file })) } });
  }

  result(title: string, markdown: string): void {
    this.post({ type: 'result', title, markdown });
  }

  skills(skills: SkillItem[]): void {
    this.post({ type: 'skills', skills });
  }

  notice(text: string): void {
    this.post({ type: 'notice', text });
  }

  /** A new session started: the view draws a separator. */
  session(): void {
    this.post({ type: 'session' });
  }

  /** The server's state (not kept for replay beyond the latest). */
  server(state: ViewServerState): void {
    const index = this.log.findIndex((message) => message.type === 'server');
    if (index >= 0) {
      this.log.splice(index, 1);
    }
    this.post({ type: 'server', state });
  }

  /** The messages a new view would get (for tests and diagnostics). */
  messages(): readonly ViewMessage[] {
    return this.log;
  }

  private post(message: ViewMessage): void {
    this.remember(message);
    this.view?.(message);
  }

  private remember(message: ViewMessage): void {
    const last = this.log[this.log.length - 1];
    if (message.type === 'text' && last?.type === 'text' && last.turnId === message.turnId) {
      this.log[this.log.length - 1] = { ...last, text: last.text + message.text };
    } else {
      this.log.push(message);
    }
    if (this.log.length > this.limit) {
      this.log.splice(0, this.log.length - this.limit);
    }
  }
}
