/**
 * The "Cairn Chat" output: where palette chats, Explain from the palette and code actions the
 * user picked stream their answers (the Chat view has the `@cairn` participant for the rest).
 */
import * as vscode from 'vscode';
import type { StreamSink } from './streams';

export class ChatOutput implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Cairn Chat', 'markdown');

  /** A sink that writes one titled answer into the channel and reveals it. */
  sink(title: string): StreamSink {
    const channel = this.channel;
    channel.show(true);
    channel.appendLine(`\n## ${title}\n`);
    let atLineStart = true;
    const line = (text: string) => {
      channel.appendLine(`${atLineStart ? '' : '\n'}${text}`);
      atLineStart = true;
    };
    return {
      text: (text) => {
        channel.append(text);
        atLineStart = text.endsWith('\n');
      },
      status: (text) => line(`> _${text}_`),
      error: (text) => line(`**Error:** ${text}`),
      end: () => line(''),
    };
  }

  dispose(): void {
    this.channel.dispose();
  }
}
