/**
 * The one module that builds a vscode-languageclient LanguageClient for Cairn.
 *
 * The client answers `workspace/configuration` for section `cairn` itself (trust rules
 * applied, see settingsModel.ts), hands `cairn.runAction` executions (a code action the user
 * picked) to the extension so their streamed output has a view, hands `workspace/applyEdit` to
 * the extension's review (the user accepts each edit), files "Write tests" where the lightbulb
 * shows it, and keeps the server's stderr out of the log (each line arrives there once, as
 * `window/logMessage`).
 */
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import * as vscode from 'vscode';
import type { LogOutputChannel } from 'vscode';
import {
  ConfigurationParams,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';
import { lightbulbKind } from './codeActionKinds';
import type { ApplyEditParams, ApplyEditResult, ApplyNext } from './editReview';
import type { LaunchCandidate } from './serverLaunch';
import type { RunActionArgs } from './protocol';

/** What the controller needs from a client: LanguageClient fits, unit tests fake it. */
export interface ClientLike {
  start(): Promise<void>;
  stop(timeout?: number): Promise<void>;
  sendRequest<R>(method: string, params: unknown): Promise<R>;
  sendNotification(method: string, params: unknown): Promise<void>;
  onNotification(method: string, handler: (params: unknown) => void): { dispose(): unknown };
  onDidChangeState(listener: (event: { oldState: number; newState: number }) => void): { dispose(): unknown };
}

export interface ClientOptions {
  outputChannel: LogOutputChannel;
  initializationOptions: unknown;
  /** The `cairn` section, computed when the server asks. */
  configuration: () => Record<string, unknown>;
  /** Runs a picked code action's `cairn.runAction`; `forward` sends it to the server. */
  runAction: (args: RunActionArgs, forward: (args: RunActionArgs) => Promise<unknown>) => Promise<unknown>;
  /** Handles `workspace/applyEdit`; `next` applies (absent: VS Code applies as sent). */
  applyEdit?: (params: ApplyEditParams, next: ApplyNext) => Promise<ApplyEditResult>;
  /** Receives the server's stderr line by line (absent: lines go to the log as errors). */
  stderr?: (line: string) => void;
}

export type ClientFactory = (launch: LaunchCandidate, options: ClientOptions) => ClientLike;

function isRunActionArgs(value: unknown): value is RunActionArgs {
  return typeof value === 'object' && value !== null && typeof (value as RunActionArgs).action === 'string';
}

function lines(input: Readable, each: (line: string) => void): void {
  readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on('line', each);
}

/** A LanguageClient that starts `launch` over stdio for every file the user opens. */
export const createLanguageClient: ClientFactory = (launch, options) => {
  const serverOptions: ServerOptions = {
    command: launch.command,
    args: launch.args,
    options: { env: process.env },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel: options.outputChannel,
    initializationOptions: options.initializationOptions,
    stdioOptions: {
      stdout: (input, channel) => lines(input, (line) => channel.info(line)),
      stderr: (input, channel) => lines(input, options.stderr ?? ((line) => channel.error(line))),
    },
    middleware: {
      provideCodeActions: async (document, range, context, token, next) => {
        const actions = await next(document, range, context, token);
        for (const action of actions ?? []) {
          const kind = action instanceof vscode.CodeAction ? lightbulbKind(action.kind?.value, context.only?.value) : undefined;
          if (kind && action instanceof vscode.CodeAction) {
            action.kind = vscode.CodeActionKind.Empty.append(kind);
          }
        }
        return actions;
      },
      workspace: {
        ...(options.applyEdit
          ? { handleApplyEdit: (params, next) => options.applyEdit!(params as ApplyEditParams, next as ApplyNext) as never }
          : {}),
        configuration: (params: ConfigurationParams, token, next) => {
          const own = params.items.map((item) => (item.section === 'cairn' ? options.configuration() : undefined));
          if (own.every((value) => value !== undefined)) {
            return own;
          }
          return Promise.resolve(next(params, token)).then((theirs) =>
            Array.isArray(theirs) ? own.map((value, index) => value ?? theirs[index]) : theirs,
          );
        },
      },
      executeCommand: (command, args, next) => {
        if (command === 'cairn.runAction' && isRunActionArgs(args[0])) {
          return options.runAction(args[0], async (forwarded) => next(command, [forwarded]));
        }
        return next(command, args);
      },
    },
  };
  return new LanguageClient('cairn', 'Cairn', serverOptions, clientOptions);
};
