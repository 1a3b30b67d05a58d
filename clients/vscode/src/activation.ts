/**
 * Wiring the extension together for a given client factory (the real one in extension.ts,
 * a fake in unit tests): log, chat output, controller, status bar, palette, chat participant.
 */
import * as vscode from 'vscode';
import { ChatOutput } from './chatOutput';
import { registerChatParticipant } from './chatParticipant';
import type { ClientFactory } from './client';
import { Controller, ControllerDeps } from './controller';
import { registerPalette } from './palette';
import { StatusBar } from './statusBar';

/** Build everything, start the server in the background, and return the controller. */
export function activateWith(
  context: vscode.ExtensionContext,
  createClient: ClientFactory,
  resolve?: ControllerDeps['resolve'],
): Controller {
  const log = vscode.window.createOutputChannel('Cairn', { log: true });
  const output = new ChatOutput();
  const controller = new Controller({ secrets: context.secrets, log, output, createClient, resolve });
  const status = new StatusBar(controller);
  context.subscriptions.push(log, output, status, controller);
  context.subscriptions.push(...registerPalette(controller, output, context.secrets, () => void status.refresh()));
  const participant = registerChatParticipant(controller, context.extensionUri);
  if (participant) {
    context.subscriptions.push(participant);
  }
  void controller.start();
  return controller;
}
