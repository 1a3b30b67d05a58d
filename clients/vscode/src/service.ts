/**
 * What the extension's views (palette, chat participant, status bar) need from the running
 * server, as an interface: the controller implements it, unit tests fake it.
 */
import type { CommandSender, StreamRouter } from './streams';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface Disposable {
  dispose(): unknown;
}

export interface CairnService {
  /** `workspace/executeCommand` on the server; rejects when it is not running. */
  readonly send: CommandSender;
  /** Routes `cairn/stream` events by stream id. */
  readonly router: StreamRouter;
  readonly state: ServerState;
  onDidChangeState(listener: (state: ServerState) => void): Disposable;
  /** Stop the server (if running) and start it again with fresh settings. */
  restart(): Promise<void>;
  /** Reveal the server's log. */
  showLog(): void;
}
