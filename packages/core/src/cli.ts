/**
 * What a package needs to contribute `aikd` subcommands. Each package's `src/cli.ts` exports
 * `register(program)`; heavy modules are imported inside the action handlers so `aikd --help` stays instant.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

export { Command, Option, InvalidArgumentError };

export type RegisterCommands = (program: Command) => void;

/** commander argument parser for a finite number, with a readable error. */
export function numberArg(name: string, check?: (x: number) => boolean, expected = 'a number') {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || (check && !check(x))) throw new InvalidArgumentError(`${name}: expected ${expected}, got "${value}"`);
    return x;
  };
}

export const intArg = (name: string, min = -Infinity) =>
  numberArg(name, (x) => Number.isInteger(x) && x >= min, min > -Infinity ? `an integer >= ${min}` : 'an integer');

/** Repeatable / comma-separated option values: `--fmr 1e-3 --fmr 1e-4` or `--fmr 1e-3,1e-4`. */
export function listArg<T>(parse: (s: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), ...value.split(',').filter(Boolean).map(parse)];
}
