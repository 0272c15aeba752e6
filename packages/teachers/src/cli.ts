import type { Command } from '@aikd/core/cli';

/** This package's `aikd` subcommands (none yet). */
export function register(_program: Command): void {}
