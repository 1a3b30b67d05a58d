/**
 * Read-only documents the extension makes up: command results (`cairn-result:`) and the text a
 * proposed edit would give (`cairn-proposal:`, the right side of its diff). A content provider's
 * documents are never dirty, never ask to be saved, and are not sent to the server (its
 * document selector takes `file` and `untitled` only), so it offers them no code actions.
 */
import * as vscode from 'vscode';

export const RESULT_SCHEME = 'cairn-result';
export const PROPOSAL_SCHEME = 'cairn-proposal';

export class VirtualDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor(readonly scheme: string) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(scheme, this);
  }

  /** The URI of `path` in this scheme (one document per path: setting it again updates the tab). */
  uri(path: string): vscode.Uri {
    return vscode.Uri.from({ scheme: this.scheme, path: path.startsWith('/') ? path : `/${path}` });
  }

  /** Set (or replace) a document's text and tell open editors. */
  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  /** Forget a document's text (its tab, if still open, shows nothing). */
  delete(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
    this.texts.clear();
  }
}
