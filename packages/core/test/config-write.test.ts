/** setYamlValue: one entry changed, everything else in the file (comments, order, other entries) as the user wrote it. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, setYamlValue } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'aikd-yaml-'));

describe('setYamlValue', () => {
  it('adds and replaces an entry, keeping comments and the other entries', () => {
    const file = join(dir, 'models.yaml');
    writeFileSync(file, '# my weights\nmodels:\n  # the paper\'s CosFace\n  cosface: { path: weights/c.onnx } # exported by me\n  adaface: { path: a.onnx }\n');
    setYamlValue(file, ['models', 'crfiqa-l'], { path: '/cache/x/model.onnx', imported: { sha256: 'ab' } });
    setYamlValue(file, ['models', 'adaface'], { path: 'b.onnx' });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# my weights');
    expect(text).toContain("# the paper's CosFace");
    expect(text).toContain('cosface: { path: weights/c.onnx } # exported by me');
    expect(text).toMatch(/adaface:\n\s+path: b\.onnx/);
    expect(text).toMatch(/crfiqa-l:\n\s+path: \/cache\/x\/model\.onnx\n\s+imported:\n\s+sha256: ab/);
    expect(text.indexOf('cosface')).toBeLessThan(text.indexOf('adaface'));
  });

  it('creates a missing file with the header as its opening comment', () => {
    const file = join(dir, 'new', 'models.yaml');
    setYamlValue(file, ['models', 'cosface'], { path: 'c.onnx' }, 'written by a test\nsecond line');
    expect(readFileSync(file, 'utf8')).toBe('# written by a test\n# second line\n\nmodels:\n  cosface:\n    path: c.onnx\n');
  });

  it('a file that is not YAML is left as it is, with an error naming it', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'models: [\n');
    expect(() => setYamlValue(file, ['models', 'x'], { path: 'p' })).toThrow(ConfigError);
    expect(() => setYamlValue(file, ['models', 'x'], { path: 'p' })).toThrow(/broken\.yaml: YAML syntax: .* \(nothing was written\)/);
    expect(readFileSync(file, 'utf8')).toBe('models: [\n');
  });
});
