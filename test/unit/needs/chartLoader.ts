// A chart folder under test/fixtures/charts/ as the archive reader gives it: a map from the path
// inside the archive (`<chart>/values.yaml`) to the file's bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/charts');

export function chartFiles(name: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const walk = (dir: string, rel: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = `${rel}/${d.name}`;
      if (d.isDirectory()) walk(path.join(dir, d.name), r);
      else files.set(r, fs.readFileSync(path.join(dir, d.name)));
    }
  };
  walk(path.join(FIXTURES, name), name);
  return files;
}
