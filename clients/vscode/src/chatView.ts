/**
 * The Cairn chat view: a webview in Cairn's sidebar container (works without Copilot, in
 * VSCodium and in code-server). The page is a shell (chatHtml.ts); what it shows comes from the
 * transcript, replayed whenever VS Code re-creates the page; what the user does in it goes to
 * ChatActions, after parsing.
 */
import * as vscode from 'vscode';
import type { ChatActions } from './chatActions';
import { chatPage, makeNonce } from './chatHtml';
import { parseViewRequest, ViewMessage } from './chatMessages';
import { CHAT_VIEW_ID } from './chatRuns';
import type { ChatTranscript } from './chatTranscript';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly subscriptions: { dispose(): unknown }[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly transcript: ChatTranscript,
    private readonly actions: ChatActions,
  ) {}

  /** Register with VS Code (the view may be resolved much later, or never). */
  register(): vscode.Disposable {
    return vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist] };
    view.webview.html = chatPage({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      nonce: makeNonce(),
    });
    let attached: { dispose(): unknown } | undefined;
    this.subscriptions.push(
      view.webview.onDidReceiveMessage((message: unknown) => {
        const request = parseViewRequest(message);
        if (request?.type === 'ready') {
          // the page (re)loaded: it gets the whole transcript, then every new message
          attached?.dispose();
          attached = this.transcript.attach((viewMessage: ViewMessage) => view.webview.postMessage(viewMessage));
          this.subscriptions.push(attached);
        }
        if (request) {
          void this.actions.handle(request);
        }
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.disposeView();
        }
      }),
    );
  }

  /** Show the view without taking focus from the editor (opens the sidebar if needed). */
  reveal(): void {
    if (this.view) {
      this.view.show(true);
    } else {
      void vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    }
  }

  dispose(): void {
    this.disposeView();
  }

  private disposeView(): void {
    this.subscriptions.splice(0).forEach((subscription) => subscription.dispose());
    this.view = undefined;
  }
}
