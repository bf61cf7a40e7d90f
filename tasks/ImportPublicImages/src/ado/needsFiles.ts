// The files the needed-images analysis reads on the agent: the manifests the manifestPaths globs
// match, and the values files of chartValues. Regular files only (a symlink is not followed, a
// folder or a device is refused), each at most MAX_YAML_BYTES, and the walk bounded; a glob that
// matches nothing is a warning naming it. Every problem names the input, the file and the fix.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileGlob, matchGlob, mayEnter, type FileGlob } from '../core/needs/glob';
import type { FileProblem } from '../core/needs/yamlDocs';

/** One manifest or values file: a rendered chart is a few MB; more is not a manifest. */
export const MAX_YAML_BYTES = 16 * 1024 * 1024;
/** All manifest files together. */
export const MAX_TOTAL_BYTES = 512 * 1024 * 1024;
/** Files the globs may match, and folder entries the walk may look at. */
export const MAX_FILES = 20000;
export const MAX_ENTRIES = 500000;

export interface ReadFile {
  /** The path as shown: relative to the root when under it, with `/` separators. */
  file: string;
  bytes: Uint8Array;
}

export interface ManifestFiles {
  files: ReadFile[];
  /** A glob that matched no file, and why nothing was read from it. */
  warnings: string[];
  problems: FileProblem[];
}

function shown(root: string, full: string): string {
  const rel = path.relative(root, full);
  return (rel.startsWith('..') || path.isAbsolute(rel) ? full : rel).split(path.sep).join('/');
}

/** Reads one regular file of at most `max` bytes, or says why not. */
export function readRegularFile(
  full: string,
  label: string,
  input: string,
  max = MAX_YAML_BYTES,
): { ok: true; bytes: Uint8Array } | { ok: false; problem: FileProblem } {
  const fail = (why: string): { ok: false; problem: FileProblem } => ({
    ok: false,
    problem: { file: label, message: `${label} (input ${input}) ${why}` },
  });
  let st: fs.Stats;
  try {
    st = fs.lstatSync(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? fail('was not found: write its path relative to the sources directory, or absolute.')
      : fail(`cannot be read (${code ?? String(err)}).`);
  }
  if (st.isSymbolicLink()) return fail('is a symbolic link: name the file it points to.');
  if (!st.isFile()) return fail('is not a regular file: name a YAML file.');
  if (st.size > max)
    return fail(`is ${st.size} bytes, more than the ${max} a YAML file may be: split it.`);
  try {
    return { ok: true, bytes: fs.readFileSync(full) };
  } catch (err) {
    return fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
  }
}

/** The files matched by `patterns` (an include glob each, `!glob` excludes), under `root`. */
export function readManifestFiles(patterns: readonly string[], root: string): ManifestFiles {
  const globs = patterns.map(compileGlob);
  const excludes = globs.filter((g) => g.exclude);
  const out: ManifestFiles = { files: [], warnings: [], problems: [] };
  const seen = new Set<string>();
  let entries = 0;
  let total = 0;
  const excluded = (full: string): boolean =>
    excludes.some((g) => {
      const rel = path.relative(path.resolve(root, g.base), full);
      return !rel.startsWith('..') && matchGlob(g, rel.split(path.sep).join('/'));
    });
  for (const glob of globs.filter((g) => !g.exclude)) {
    const matched: string[] = [];
    const base = path.resolve(root, glob.base);
    const walk = (dir: string, rel: string): void => {
      let names: fs.Dirent[];
      try {
        names = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // a folder that does not exist or cannot be listed holds no match
      }
      names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const d of names) {
        if (++entries > MAX_ENTRIES)
          throw new Error(tooMany(glob, `${MAX_ENTRIES} folder entries`));
        const r = rel === '' ? d.name : `${rel}/${d.name}`;
        if (d.isDirectory()) {
          if (mayEnter(glob, r)) walk(path.join(dir, d.name), r);
        } else if (matchGlob(glob, r)) matched.push(path.join(dir, d.name));
      }
    };
    walk(base, '');
    const kept = matched.filter((f) => !excluded(f));
    if (kept.length === 0) {
      out.warnings.push(
        `manifestPaths: ${glob.text} matches no file under ${base}; check the pattern (paths are relative to the sources directory).`,
      );
    }
    for (const full of kept) {
      if (seen.has(full)) continue;
      seen.add(full);
      if (seen.size > MAX_FILES) throw new Error(tooMany(glob, `${MAX_FILES} files`));
      const label = shown(root, full);
      const read = readRegularFile(full, label, 'manifestPaths');
      if (!read.ok) {
        out.problems.push(read.problem);
        continue;
      }
      total += read.bytes.length;
      if (total > MAX_TOTAL_BYTES)
        throw new Error(tooMany(glob, `${MAX_TOTAL_BYTES} bytes of manifests`));
      out.files.push({ file: label, bytes: read.bytes });
    }
  }
  return out;
}

function tooMany(glob: FileGlob, what: string): string {
  return `Input manifestPaths: the patterns reach more than ${what} (at ${glob.text}); narrow them to the folders that hold the manifests. Nothing was imported.`;
}
