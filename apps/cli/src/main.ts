#!/usr/bin/env node
/**
 * `aikd` — the AI-KD Workbench command. Packages contribute their subcommands through `register(program)`
 * in their `src/cli.ts`; workbench.ts composes the catalogues they read; this file adds the global options and turns
 * errors into one line + exit code 1.
 */
import { Command, Option } from '@aikd/core/cli';
import { setOutputMode, errorLine, AikdError, isDiskFull, writeFailed } from '@aikd/core';
import { commandModules } from './commands.ts';
import { composeWorkbench } from './workbench.ts';

export function buildProgram(): Command {
  const program = new Command('aikd')
    .description('AI-KD Workbench: face image quality assessment, alignment-invariant distillation, EDC evaluation')
    .version('0.1.0', '-V, --version')
    .addOption(new Option('--json', 'machine-readable output on stdout (logs stay on stderr)'))
    .addOption(new Option('--quiet', 'no progress or informational logs'))
    .addOption(new Option('--backend <name>', 'tensor backend: auto, tensorflow, wasm or cpu (default: AIKD_BACKEND or auto)'))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    .hook('preAction', (_this, action) => {
      const o = action.optsWithGlobals() as { json?: boolean; quiet?: boolean; backend?: string };
      setOutputMode({ json: !!o.json, quiet: !!o.quiet });
      // the runtime reads AIKD_BACKEND when the first command needs tensors
      if (o.backend) process.env.AIKD_BACKEND = o.backend;
    });
  // the composition root registers the packages' parts before any command reads the catalogues (help included)
  for (const register of commandModules(composeWorkbench())) register(program);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      // commander already printed help/version/usage errors
      process.exitCode = err.exitCode ?? 1;
      return;
    }
    process.stderr.write(`error: ${isDiskFull(e) && !(e instanceof AikdError) ? writeFailed((e as NodeJS.ErrnoException).path ?? '(a file)', e).message : errorLine(e)}\n`);
    if (process.env.AIKD_DEBUG && e instanceof Error && !(e instanceof AikdError)) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  }
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').slice(-3).join('/'));
if (isEntry) await main();
