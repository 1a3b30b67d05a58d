/**
 * The status bar item: model, memory state, and what the server is running (a checkpoint, a
 * consolidation, an answer). It polls `cairn.status`: often while something runs, rarely
 * otherwise, and at once when the server's state changes or a command finished. In a window
 * with no folder, the server takes the first opened file's folder as its workspace: the first
 * file opened there is followed by a refresh soon after (once the server has seen it).
 */
import * as vscode from 'vscode';
import type { CairnService } from './service';
import { StatusReport, statusView } from './statusText';

export const BUSY_REFRESH_MS = 2000;
export const IDLE_REFRESH_MS = 30000;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cairn.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscription: { dispose(): unknown };
  private readonly opened: { dispose(): unknown };
  private workspacePending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  private disposed = false;

  constructor(private readonly service: CairnService) {
    this.item.name = 'Cairn';
    this.item.command = 'cairn.palette.status';
    this.render(undefined);
    this.item.show();
    this.subscription = service.onDidChangeState(() => this.refresh());
    this.opened = vscode.workspace.onDidOpenTextDocument((document) => {
      if (this.workspacePending && document.uri.scheme === 'file') {
        this.schedule(BUSY_REFRESH_MS); // the client sends didOpen on this same event: ask after it
      }
    });
  }

  /** Ask the server for its status now and schedule the next refresh. */
  async refresh(): Promise<void> {
    if (this.inFlight || this.disposed) {
      return;
    }
    this.inFlight = true;
    let report: StatusReport | undefined;
    try {
      if (this.service.state === 'running') {
        report = (await this.service.send('cairn.status', {})) as StatusReport;
      }
    } catch {
      report = undefined; // the server went away mid-request; its state change refreshes again
    } finally {
      this.inFlight = false;
    }
    if (!this.disposed) {
      this.schedule(this.render(report) ? BUSY_REFRESH_MS : IDLE_REFRESH_MS);
    }
  }

  /** Update the item; returns whether the server is busy. */
  private render(report: StatusReport | undefined): boolean {
    const view = statusView(report, this.service.state);
    this.workspacePending = report?.workspacePending === true;
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    return view.busy;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.opened.dispose();
    this.item.dispose();
  }
}
