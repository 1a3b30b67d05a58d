/**
 * Edits the server sends (`workspace/applyEdit`) wait for the user: each becomes a card in the
 * chat view with Accept / Reject (and a diff), attached to the run that proposed it. Accepted,
 * it is applied as shown, without VS Code's Refactor Preview (which opens the change unticked
 * for edits that ask for confirmation, so "Apply" would apply nothing); rejected, the server
 * hears that the user declined. With `cairn.edits.previewFirst` the diff opens at once.
 *
 * An edit still waiting when its run ends (cancelled, failed) is withdrawn: nobody waits for it.
 */
import * as vscode from 'vscode';
import type { EditCard, EditFile } from './chatMessages';
import type { ChatTranscript } from './chatTranscript';
import type { VirtualDocuments } from './virtualDocuments';
import { applyTextEdits, FileChange, fileChanges, lineDelta, withoutConfirmation, WorkspaceEditLike } from './workspaceEdits';

/** `workspace/applyEdit` params and result, as vscode-languageclient's middleware passes them. */
export interface ApplyEditParams {
  label?: string;
  edit: WorkspaceEditLike;
}

export interface ApplyEditResult {
  applied: boolean;
  failureReason?: string;
}

export type ApplyNext = (params: ApplyEditParams) => Promise<ApplyEditResult> | Thenable<ApplyEditResult>;

export const REJECTED = 'The user rejected the edit.';
/** How many past edits keep their texts for "Show diff". */
const KEEP_FOR_DIFF = 50;

export const WITHDRAWN = 'The run ended before the edit was accepted.';

export interface EditReviewDeps {
  transcript: ChatTranscript;
  /** The right side of each diff. */
  proposals: VirtualDocuments;
  /** Bring the chat view forward so the user sees the card. */
  reveal: () => unknown;
  /** `cairn.edits.previewFirst`, read for each edit. */
  previewFirst: () => boolean;
}

interface Pending {
  card: EditCard;
  changes: FileChange[];
  originals: Map<string, string>;
  decide: (accept: boolean | 'withdrawn') => void;
}

export class EditReview implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly known = new Map<string, Pending>();
  private counter = 0;
  private readonly subscription: { dispose(): unknown };

  constructor(private readonly deps: EditReviewDeps) {
    this.subscription = deps.transcript.onTurnEnded((turnId) => {
      [...this.pending.values()].filter((item) => item.card.turnId === turnId).forEach((item) => item.decide('withdrawn'));
    });
  }

  /** The `handleApplyEdit` middleware: show the edit, wait for the user, apply it if accepted. */
  async review(params: ApplyEditParams, next: ApplyNext): Promise<ApplyEditResult> {
    const id = `edit-${++this.counter}`;
    const changes = fileChanges(params.edit);
    const originals = new Map<string, string>();
    const files: EditFile[] = [];
    for (const change of changes) {
      const original = change.created ? '' : await documentText(change.uri);
      originals.set(change.uri, original);
      files.push({ path: displayPath(change.uri), ...lineDelta(original, change.edits), ...(change.created ? { created: true } : {}) });
    }
    const running = this.deps.transcript.runningTurns();
    const card: EditCard = {
      id,
      turnId: running[running.length - 1],
      label: (params.label ?? 'Cairn edit').replace(/^Cairn:\s*/, ''),
      files,
      state: 'pending',
    };
    const decision = new Promise<boolean | 'withdrawn'>((resolve) => {
      const item: Pending = { card, changes, originals, decide: resolve };
      this.pending.set(id, item);
      this.known.set(id, item);
      if (this.known.size > KEEP_FOR_DIFF) {
        this.known.delete(this.known.keys().next().value as string);
      }
    });
    this.deps.transcript.edit(card);
    this.deps.reveal();
    if (this.deps.previewFirst()) {
      void this.showDiff(id);
    }
    const accepted = await decision;
    this.pending.delete(id);
    if (accepted === 'withdrawn') {
      this.update(card, 'withdrawn', WITHDRAWN);
      return { applied: false, failureReason: WITHDRAWN };
    }
    if (!accepted) {
      this.update(card, 'rejected');
      return { applied: false, failureReason: REJECTED };
    }
    try {
      const result = await next({ ...params, edit: withoutConfirmation(params.edit) });
      this.update(card, result.applied ? 'applied' : 'failed', result.applied ? undefined : result.failureReason ?? 'VS Code did not apply it (the file changed?)');
      return result;
    } catch (error) {
      this.update(card, 'failed', error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** The user's answer from the view (ignored for an edit no longer waiting). */
  decide(id: string, accept: boolean): void {
    this.pending.get(id)?.decide(accept);
  }

  /** Ids of the edits still waiting for an answer. */
  waiting(): string[] {
    return [...this.pending.keys()];
  }

  /** Open a diff of each file of the edit: now on the left, the proposal on the right. */
  async showDiff(id: string): Promise<void> {
    const item = this.known.get(id);
    if (!item) {
      return;
    }
    for (const change of item.changes) {
      const original = item.originals.get(change.uri) ?? '';
      const path = displayPath(change.uri);
      const right = this.deps.proposals.uri(`${id}/${path}`);
      this.deps.proposals.set(right, applyTextEdits(original, change.edits));
      let left: vscode.Uri;
      if (change.created) {
        left = this.deps.proposals.uri(`${id}/empty/${path}`);
        this.deps.proposals.set(left, '');
      } else {
        left = vscode.Uri.parse(change.uri);
      }
      await vscode.commands.executeCommand('vscode.diff', left, right, `${path} \u2194 Cairn\u2019s proposal`, { preview: true });
    }
  }

  dispose(): void {
    this.subscription.dispose();
    [...this.pending.values()].forEach((item) => item.decide('withdrawn'));
  }

  private update(card: EditCard, state: EditCard['state'], detail?: string): void {
    card.state = state;
    card.detail = detail;
    this.deps.transcript.edit(card);
  }
}

async function documentText(uri: string): Promise<string> {
  try {
    return (await vscode.workspace.openTextDocument(vscode.Uri.parse(uri))).getText();
  } catch {
    return '';
  }
}

function displayPath(uri: string): string {
  const parsed = vscode.Uri.parse(uri);
  return vscode.workspace.asRelativePath(parsed, false);
}
