/** Where the real Cairn server is: the interpreter pytest runs under (CAIRN_PYTHON), else the repo's venv. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../../../..');

export function cairnPython(): string {
  const fromEnv = process.env.CAIRN_PYTHON;
  if (fromEnv) {
    return fromEnv;
  }
  const venv = resolve(REPO_ROOT, '.venv/bin/python');
  if (!existsSync(venv)) {
    throw new Error(`No Cairn interpreter: set CAIRN_PYTHON or create ${venv} (scripts/setup dev)`);
  }
  return venv;
}
