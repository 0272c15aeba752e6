import { spawnSync } from 'node:child_process';
import { aikdArgv } from '../../../scripts/test/aikd-command.ts';

/** Run the real `aikd` command in a child process. */
export function aikd(args: string[], env: NodeJS.ProcessEnv = {}, input?: string) {
  const r = spawnSync(process.execPath, aikdArgv(args), {
    encoding: 'utf8',
    env: { ...process.env, AIKD_BACKEND: '', ...env },
    input,
    maxBuffer: 256 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
