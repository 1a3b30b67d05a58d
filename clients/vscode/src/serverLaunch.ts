/**
 * Finding the command that starts `cairn serve`. No `vscode` import: inputs are plain values
 * and the probe runs real processes, so the order and the probing are unit-tested directly.
 *
 * Order: an explicit `cairn.server.command`, an explicit `cairn.server.pythonPath`, the Python
 * extension's interpreter, `cairn` on PATH, then `python3`/`python` on PATH. Explicit settings
 * are used as given (a wrong path should fail loudly, not silently start another Cairn);
 * detected ones are probed and skipped when Cairn is not installed there.
 */
import { execFile } from 'node:child_process';

export interface LaunchCandidate {
  command: string;
  args: string[];
  /** Where this candidate came from, shown in the log and in errors. */
  source: string;
  /** Arguments that exit 0 only when Cairn can be run this way; absent: not probed. */
  probe?: string[];
}

export interface LaunchInputs {
  /** `cairn.server.command`: the full argv, e.g. ["/opt/cairn/bin/cairn", "serve"]. */
  serverCommand?: string[];
  /** `cairn.server.pythonPath`: an interpreter with cairn-lsp installed. */
  pythonPath?: string;
  /** The Python extension's selected interpreter, when the extension is present. */
  pythonExtensionInterpreter?: string;
}

// Cheap check: resolves the package without importing the server (which costs ~0.4 s).
const PYTHON_PROBE = ['-c', "import importlib.util as u, sys; sys.exit(0 if u.find_spec('cairn.server') else 1)"];

function python(command: string, source: string, probed: boolean): LaunchCandidate {
  return { command, args: ['-m', 'cairn', 'serve'], source, probe: probed ? PYTHON_PROBE : undefined };
}

/** Every way to start the server, best first. */
export function launchCandidates(inputs: LaunchInputs): LaunchCandidate[] {
  const candidates: LaunchCandidate[] = [];
  const [command, ...args] = inputs.serverCommand ?? [];
  if (command) {
    candidates.push({ command, args, source: 'setting cairn.server.command' });
  }
  if (inputs.pythonPath) {
    candidates.push(python(inputs.pythonPath, 'setting cairn.server.pythonPath', false));
  }
  if (candidates.length > 0) {
    return candidates.slice(0, 1);
  }
  if (inputs.pythonExtensionInterpreter) {
    candidates.push(python(inputs.pythonExtensionInterpreter, 'the Python extension\u2019s interpreter', true));
  }
  candidates.push({ command: 'cairn', args: ['serve'], source: 'cairn on PATH', probe: ['--version'] });
  candidates.push(python('python3', 'python3 on PATH', true));
  candidates.push(python('python', 'python on PATH', true));
  return candidates;
}

/** Run `candidate`'s probe; true when it exits 0 within `timeoutMs`. */
export function probe(candidate: LaunchCandidate, timeoutMs = 15000): Promise<boolean> {
  if (!candidate.probe) {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    execFile(candidate.command, candidate.probe!, { timeout: timeoutMs, windowsHide: true }, (error) =>
      resolve(!error),
    );
  });
}

export class ServerNotFoundError extends Error {
  constructor(readonly tried: LaunchCandidate[]) {
    super(
      'Cairn\u2019s server was not found. Install it into a Python environment (pip install cairn-lsp), ' +
        'then select that interpreter in the Python extension or set "cairn.server.pythonPath". Tried: ' +
        tried.map((candidate) => `${candidate.command} (${candidate.source})`).join(', '),
    );
  }
}

/** The first candidate that passes its probe, or ServerNotFoundError. */
export async function resolveLaunch(
  candidates: LaunchCandidate[],
  check: (candidate: LaunchCandidate) => Promise<boolean> = probe,
): Promise<LaunchCandidate> {
  for (const candidate of candidates) {
    if (await check(candidate)) {
      return candidate;
    }
  }
  throw new ServerNotFoundError(candidates);
}
