import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@aikd/core';
import { IMAGE_EXTENSIONS } from './constants.ts';

export interface TextLine {
  /** 1-based line number in the file. */
  line: number;
  text: string;
}

/** A whole UTF-8 text file, BOM stripped; a missing or unreadable file is an InputError saying what it should be. */
export function readText(file: string, what = 'a readable text file'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError({ file, expected: what, got: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The non-blank lines of a text file (BOM and CR stripped), with their line numbers. */
export function readTextLines(file: string, what = 'a readable text file'): TextLine[] {
  const text = readText(file, what);
  const out: TextLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.replace(/\r$/, '');
    if (t.trim() !== '') out.push({ line: i + 1, text: t });
  }
  return out;
}

/** Split on any run of whitespace (tabs or spaces, as LFW-style files mix them). */
export function tokens(text: string): string[] {
  return text.trim().split(/\s+/);
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function hasImageExtension(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && IMAGE_EXTENSIONS.has(name.slice(dot).toLowerCase());
}

/**
 * Image files below `dir`, as '/'-separated paths relative to it, sorted so ids come out in the same order on
 * every platform. Hidden files and folders are skipped.
 */
export function listImageFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  const entries = readdirSync(join(dir, prefix), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listImageFiles(dir, rel));
    else if ((e.isFile() || e.isSymbolicLink()) && hasImageExtension(e.name)) out.push(rel);
  }
  return out;
}

/** Parse a non-negative decimal integer token (digits only, leading zeros allowed), else undefined. */
export function parseCount(token: string | undefined): number | undefined {
  if (token === undefined || !/^\d+$/.test(token)) return undefined;
  const n = Number(token);
  return Number.isSafeInteger(n) ? n : undefined;
}
