/**
 * Problems found while reading a dataset. Loaders report every problem through a sink: a normal open turns the
 * first error into an InputError (file, line, what was expected), while `aikd datasets check` collects them all
 * and keeps going, so one run lists every bad line.
 */
import { InputError } from '@aikd/core';

export interface DatasetProblem {
  severity: 'error' | 'warning';
  /** The file the problem is in (pairs file, side file, image, .bin). */
  file?: string;
  /** Where in it: "line 12", "byte offset 4096", "image Aaron/Aaron_0001.jpg". */
  where?: string;
  expected: string;
  got?: string;
}

/** The problem as one line, in the same shape as an InputError message. */
export function problemLine(p: DatasetProblem): string {
  return new InputError(p).message;
}

export interface ProblemSink {
  /** True when problems are being collected (check mode): loaders then skip bad records and carry on. */
  readonly collecting: boolean;
  report(p: DatasetProblem): void;
  readonly problems: readonly DatasetProblem[];
}

/**
 * Strict mode (default): errors throw at once, warnings are kept. Collecting mode (`onProblem` given): every
 * problem is kept and passed on.
 */
export function createProblemSink(onProblem?: (p: DatasetProblem) => void): ProblemSink {
  const problems: DatasetProblem[] = [];
  return {
    collecting: !!onProblem,
    problems,
    report(p) {
      if (!onProblem && p.severity === 'error') throw new InputError(p);
      problems.push(p);
      onProblem?.(p);
    },
  };
}
