import type { Command } from '@aikd/core/cli';

/** This app's `aikd` subcommands (none yet). */
export function register(_program: Command): void {}
