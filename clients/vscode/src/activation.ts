/**
 * Wiring the extension together for a given client factory (the real one in extension.ts,
 * a fake in unit tests): log, chat view (transcript, runs, edit review), read-only result
 * documents, controller, status bar, palette, and the `@cairn` participant where VS Code has chat.
 */
import * as vscode from 'vscode';
import { ChatActions } from './chatActions';
import { registerChatParticipant } from './chatParticipant';
import { ChatRuns } from './chatRuns';
import { ChatTranscript } from './chatTranscript';
import { ChatViewProvider } from './chatView';
import type { ClientFactory } from './client';
import { editsPreviewFirst } from './config';
import { Controller, ControllerDeps } from './controller';
import { EditReview } from './editReview';
import { registerPalette } from './palette';
import { StatusBar } from './statusBar';
import { PROPOSAL_SCHEME, RESULT_SCHEME, VirtualDocuments } from './virtualDocuments';

/** Build everything, start the server in the background, and return the controller. */
export function activateWith(
  context: vscode.ExtensionContext,
  createClient: ClientFactory,
  resolve?: ControllerDeps['resolve'],
): Controller {
  const log = vscode.window.createOutputChannel('Cairn', { log: true });
  const results = new VirtualDocuments(RESULT_SCHEME);
  const proposals = new VirtualDocuments(PROPOSAL_SCHEME);
  const transcript = new ChatTranscript();
  let view: ChatViewProvider | undefined;
  const reveal = () => view?.reveal();
  const runs = new ChatRuns(transcript, reveal);
  const edits = new EditReview({ transcript, proposals, reveal, previewFirst: editsPreviewFirst });
  const controller = new Controller({
    secrets: context.secrets,
    log,
    runs,
    applyEdit: (params, next) => edits.review(params, next),
    createClient,
    resolve,
  });
  view = new ChatViewProvider(context.extensionUri, transcript, new ChatActions({ service: controller, transcript, runs, edits, results }));
  const status = new StatusBar(controller);
  context.subscriptions.push(log, results, proposals, runs, edits, view, view.register(), status, controller);
  context.subscriptions.push(controller.onDidChangeState((state) => transcript.server(state)));
  context.subscriptions.push(...registerPalette(controller, { runs, results }, context.secrets, () => void status.refresh()));
  const participant = registerChatParticipant(controller, context.extensionUri);
  if (participant) {
    context.subscriptions.push(participant);
  }
  void controller.start();
  return controller;
}
