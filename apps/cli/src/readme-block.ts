/** A generated block of the README: the text between its start and end markers, replaced whole. */
export function withGeneratedBlock(readme: string, start: string, end: string, block: string, what: string): string {
  const i = readme.indexOf(start), j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README: the ${what} markers are missing ("${start}" … "${end}")`);
  return readme.slice(0, i) + block + readme.slice(j + end.length);
}
