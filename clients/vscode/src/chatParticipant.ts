/**
 * `@cairn` in VS Code's Chat view. A plain request is a `cairn.chat` whose answer streams
 * into the response; slash commands reach the other server commands. Stopping the request in
 * the Chat view cancels the server's work for that stream (`cairn.cancel`).
 */
import * as vscode from 'vscode';
import { activeEditorContext, referencedContext } from './editorContext';
import { toMarkdown } from './results';
import type { CairnService } from './service';
import { runStreamed, StreamOutcome, StreamSink } from './streams';

export const PARTICIPANT_ID = 'cairn.agent';

/** Slash commands: the same list is contributed in package.json (`chatParticipants`). */
export const SLASH_COMMANDS = ['explain', 'new', 'cancel', 'memory', 'search', 'consolidate', 'skills', 'status'] as const;

function responseSink(response: vscode.ChatResponseStream): StreamSink {
  return {
    text: (text) => response.markdown(text),
    status: (text) => response.progress(text),
    error: (text) => response.markdown(`\n\n**Cairn:** ${text}\n`),
  };
}

function streamedResult(outcome: StreamOutcome): vscode.ChatResult {
  const result: vscode.ChatResult = { metadata: { streamId: outcome.streamId } };
  return outcome.errors.length > 0 ? { ...result, errorDetails: { message: outcome.errors.join('\n') } } : result;
}

/** The request handler of the `@cairn` participant. */
export function chatHandler(service: CairnService): vscode.ChatRequestHandler {
  return async (request, _context, response, token) => {
    const send = service.send;
    const show = async (title: string, result: Promise<unknown>) => {
      response.markdown(toMarkdown(title, await result));
      return {};
    };
    try {
      switch (request.command) {
        case 'explain': {
          const context = activeEditorContext(true);
          if (!context) {
            response.markdown('Open a file and select the code to explain, then ask again.');
            return {};
          }
          const args = { action: 'explain' as const, ...context, instructions: request.prompt.trim() || undefined };
          return streamedResult(await runStreamed(send, service.router, 'cairn.runAction', args, responseSink(response), token));
        }
        case 'new':
          await send('cairn.newSession', {});
          response.markdown('Started a new session.');
          return {};
        case 'cancel':
          await send('cairn.cancel', {});
          response.markdown('Cancelled everything Cairn was running.');
          return {};
        case 'memory':
          return await show('Project memory', send('cairn.memory.show', {}));
        case 'search':
          if (!request.prompt.trim()) {
            response.markdown('Say what to search for: `@cairn /search <words>`.');
            return {};
          }
          return await show(`Memory matching \u201c${request.prompt.trim()}\u201d`, send('cairn.memory.search', { query: request.prompt.trim() }));
        case 'consolidate':
          return await show('Memory consolidation', send('cairn.memory.consolidate', {}));
        case 'skills':
          return await show('Skills', send('cairn.skills.list', {}));
        case 'status':
          return await show('Cairn status', send('cairn.status', {}));
        default: {
          if (!request.prompt.trim()) {
            response.markdown('Ask Cairn something, or use a command such as `/explain` or `/memory`.');
            return {};
          }
          const context = referencedContext(request.references) ?? activeEditorContext();
          const args = { prompt: request.prompt, ...context };
          return streamedResult(await runStreamed(send, service.router, 'cairn.chat', args, responseSink(response), token));
        }
      }
    } catch (error) {
      return { errorDetails: { message: error instanceof Error ? error.message : String(error) } };
    }
  };
}

/** Create the participant (VS Code 1.90+; older editors have no `vscode.chat`). */
export function registerChatParticipant(service: CairnService, extensionUri: vscode.Uri): vscode.Disposable | undefined {
  if (typeof vscode.chat?.createChatParticipant !== 'function') {
    return undefined;
  }
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, chatHandler(service));
  participant.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'cairn.png');
  return participant;
}
