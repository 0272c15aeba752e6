import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Document, Node as YamlNode, parseDocument } from 'yaml';
import type { z } from 'zod';
import { AikdError, InputError } from './errors.ts';
import { writeFileAtomic } from './fs.ts';

// yaml is loaded when a configuration is first read, not with every command that imports core
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

export class ConfigError extends AikdError {
  readonly issues: string[];
  constructor(file: string, issues: string[]) {
    super(`${file}: ${issues[0]}${issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1).join('; ')})` : ''}`, 'CONFIG_ERROR');
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

/** Find the YAML node at a key path, to report a line number. */
function nodeAt(doc: ReturnType<typeof parseDocument>, path: readonly PropertyKey[]): YamlNode | undefined {
  const { isMap, isSeq, isScalar } = yaml();
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (isScalar(it.key) ? it.key.value : it.key) === key);
      if (!pair) return isMap(node) ? (node as YamlNode) : undefined;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else break;
  }
  return node as YamlNode | undefined;
}

/**
 * Line numbers of key paths in a YAML text (`['methods', 1, 'params', 'T']` → 14), for errors found after the
 * schema passed (a method id that does not exist, a parameter its method rejects). Undefined when unknown.
 */
export function yamlLineLocator(text: string): (path: readonly PropertyKey[]) => number | undefined {
  const { LineCounter, parseDocument } = yaml();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  return (path) => {
    const node = nodeAt(doc, path);
    return node?.range ? lc.linePos(node.range[0]).line : undefined;
  };
}

/**
 * Parse YAML text and validate it against a zod schema. Every problem is reported as
 * `line L: key.path: what was expected`, prefixed by the file name.
 */
export function parseYamlConfig<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
  const { LineCounter, parseDocument } = yaml();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    throw new ConfigError(file, [`line ${pos.line}: YAML syntax: ${e.message.split('\n')[0]}`]);
  }
  const raw = doc.toJS();
  const res = schema.safeParse(raw);
  if (res.success) return res.data;
  const issues = res.error.issues.map((iss) => {
    const node = nodeAt(doc, iss.path);
    const line = node?.range ? `line ${lc.linePos(node.range[0]).line}: ` : '';
    return `${line}${formatPath(iss.path)}: ${iss.message}`;
  });
  throw new ConfigError(file, issues);
}

export function loadYamlConfig<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  return parseYamlConfig(readYamlText(file), file, schema);
}

/** A YAML file's text; an InputError naming the file when it cannot be read. */
export function readYamlText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError({ file, expected: 'a readable YAML file', got: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
}

/**
 * Set the value at `path` in a YAML file, keeping everything else in it as written (comments, order, other
 * entries), and write it atomically. A file that does not exist yet is created, opening with `header` as a comment.
 */
export function setYamlValue(file: string, path: readonly (string | number)[], value: unknown, header?: string): void {
  const { Document, parseDocument } = yaml();
  let doc: Document;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length) throw new ConfigError(file, [`YAML syntax: ${doc.errors[0]!.message.split('\n')[0]} (nothing was written)`]);
  } else {
    doc = new Document({});
    if (header) doc.commentBefore = header.split('\n').map((l) => ` ${l}`).join('\n');
  }
  doc.setIn(path, doc.createNode(value));
  writeFileAtomic(file, String(doc));
}
