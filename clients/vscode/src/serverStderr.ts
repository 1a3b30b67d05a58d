/**
 * The server's stderr, kept out of the Cairn log. The server forwards every log record with
 * `window/logMessage` and writes the same record to stderr; showing both printed each line twice
 * (the first tagged [error]). The log takes `window/logMessage` only; the last stderr lines are
 * kept here and shown when the server fails to start or stops on its own, where they are the
 * only record (a traceback before `initialize`, a crash). No `vscode` import.
 */

export const STDERR_TAIL_LINES = 200;

export class StderrTail {
  private lines: string[] = [];

  constructor(private readonly limit = STDERR_TAIL_LINES) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) {
      this.lines.splice(0, this.lines.length - this.limit);
    }
  }

  /** The lines kept so far, and forget them (each is shown at most once). */
  take(): string[] {
    const lines = this.lines;
    this.lines = [];
    return lines;
  }
}
