/**
 * What the chat view's buttons and prompt do: each request from the webview becomes a server
 * command (a chat run, cancel, new session, memory, consolidation, skills) or a decision on a
 * proposed edit. Results are shown in the view itself; failures become a notice there.
 */
import * as vscode from 'vscode';
import type { ViewRequest } from './chatMessages';
import type { ChatRuns } from './chatRuns';
import type { ChatTranscript } from './chatTranscript';
import { openSkill } from './documents';
import type { EditReview } from './editReview';
import { activeEditorContext } from './editorContext';
import { listEntries, toMarkdown } from './results';
import type { CairnService } from './service';
import type { VirtualDocuments } from './virtualDocuments';

export interface ChatActionsDeps {
  service: CairnService;
  transcript: ChatTranscript;
  runs: ChatRuns;
  edits: EditReview;
  results: VirtualDocuments;
}

/** Links the view may open: web pages and mail only (never commands or local files). */
const EXTERNAL_LINK = /^(https?:|mailto:)/i;

/** A result's markdown without its `# title` line (the view draws its own heading). */
function body(title: string, result: unknown): string {
  return toMarkdown(title, result).replace(/^# .*\n\n/, '');
}

export class ChatActions {
  private readonly skillPaths = new Map<string, string>();

  constructor(private readonly deps: ChatActionsDeps) {}

  /** Handle one request from the webview; never throws (failures are shown in the view). */
  async handle(request: ViewRequest): Promise<void> {
    try {
      await this.dispatch(request);
    } catch (error) {
      this.deps.transcript.notice(`Cairn: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async dispatch(request: ViewRequest): Promise<void> {
    const { service, transcript } = this.deps;
    const send = service.send;
    switch (request.type) {
      case 'ready':
        transcript.server(service.state);
        return;
      case 'ask': {
        const context = activeEditorContext();
        await this.deps.runs
          .inView({ send, router: service.router, command: 'cairn.chat', args: { prompt: request.prompt, ...context }, title: 'Cairn', prompt: request.prompt })
          .catch(() => undefined); // the turn shows the error
        return;
      }
      case 'cancel':
        if (request.turnId === undefined || !this.deps.runs.cancel(request.turnId)) {
          await send('cairn.cancel', request.turnId ? { streamId: request.turnId } : {});
        }
        return;
      case 'newSession':
        await send('cairn.newSession', {});
        transcript.session();
        return;
      case 'showMemory':
        transcript.result('Project memory', body('Project memory', await send('cairn.memory.show', {})));
        return;
      case 'consolidate':
        transcript.notice('Consolidating memory\u2026');
        transcript.result('Memory consolidation', body('Memory consolidation', await send('cairn.memory.consolidate', {})));
        return;
      case 'listSkills': {
        const entries = listEntries(await send('cairn.skills.list', {}));
        const skills = entries.flatMap((entry) => {
          const name = entry.record.name;
          if (typeof name !== 'string') {
            return [];
          }
          if (typeof entry.record.path === 'string') {
            this.skillPaths.set(name, entry.record.path);
          }
          return [{ name, description: typeof entry.record.description === 'string' ? entry.record.description : undefined }];
        });
        transcript.skills(skills);
        return;
      }
      case 'openSkill':
        await openSkill(send, this.deps.results, request.name, this.skillPaths.get(request.name));
        return;
      case 'decideEdit':
        this.deps.edits.decide(request.id, request.accept);
        return;
      case 'showDiff':
        await this.deps.edits.showDiff(request.id);
        return;
      case 'openLink':
        if (EXTERNAL_LINK.test(request.href)) {
          await vscode.env.openExternal(vscode.Uri.parse(request.href));
        }
        return;
    }
  }
}
