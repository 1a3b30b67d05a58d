/**
 * A stand-in for the WebviewView VS Code hands to a WebviewViewProvider: records the page's HTML
 * and options and every message posted to it, and lets a test send messages as the page would.
 */
import type { ViewMessage } from '../../src/chatMessages';
import { Emitter, Uri } from './vscodeMock';

export class FakeWebviewView {
  readonly posted: ViewMessage[] = [];
  shown = 0;
  private readonly received = new Emitter<unknown>();
  private readonly disposed = new Emitter<void>();
  readonly onDidDispose = this.disposed.event;
  readonly webview = {
    options: {} as Record<string, unknown>,
    html: '',
    cspSource: 'https://webview.test',
    asWebviewUri: (uri: Uri) => Uri.from({ scheme: 'https', authority: 'webview.test', path: `/webview${uri.path}` }),
    postMessage: (message: ViewMessage) => {
      this.posted.push(message);
      return Promise.resolve(true);
    },
    onDidReceiveMessage: this.received.event,
  };

  show(): void {
    this.shown += 1;
  }

  /** A message from the page script. */
  fromPage(message: unknown): void {
    this.received.fire(message);
  }

  dispose(): void {
    this.disposed.fire();
  }
}

/** Let pending promise callbacks run. */
export async function settle(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Posted messages as compact strings (`turn:title:prompt`, `text:...`, `end:done`, ...). */
export function compact(messages: readonly ViewMessage[]): string[] {
  return messages.map((message) => {
    switch (message.type) {
      case 'turn':
        return `turn:${message.title}:${message.prompt ?? ''}`;
      case 'text':
      case 'step':
      case 'error':
      case 'notice':
        return `${message.type}:${message.text}`;
      case 'end':
        return `end:${message.outcome}`;
      case 'edit':
        return `edit:${message.edit.id}:${message.edit.state}`;
      case 'server':
        return `server:${message.state}`;
      case 'result':
        return `result:${message.title}`;
      default:
        return message.type;
    }
  });
}
