/**
 * The one module that builds a vscode-languageclient LanguageClient for Cairn.
 *
 * The client answers `workspace/configuration` for section `cairn` itself (trust rules
 * applied, see settingsModel.ts) and hands `cairn.runAction` executions (a code action the
 * user picked) to the extension so their streamed output has a view.
 */
import type { LogOutputChannel } from 'vscode';
import {
  ConfigurationParams,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';
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
}

export type ClientFactory = (launch: LaunchCandidate, options: ClientOptions) => ClientLike;

function isRunActionArgs(value: unknown): value is RunActionArgs {
  return typeof value === 'object' && value !== null && typeof (value as RunActionArgs).action === 'string';
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
    middleware: {
      workspace: {
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
