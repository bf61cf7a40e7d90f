// Where the task's files are: the list and key files it reads, the result file and the summary it
// writes beside it, the list's path in an annotation. Pure path logic over a `path`
// implementation passed in (Node's `path` on the agent; `path.win32` and `path.posix` in the
// tables), so Windows semantics (drive letters, backslashes, UNC shares, names compared without
// case) are proven on any machine. No file system here: ado/ reads and writes.
import type * as NodePath from 'node:path';

/** The part of Node's `path` this logic uses: `path` itself, `path.win32` or `path.posix`. */
export type PathApi = Pick<
  typeof NodePath,
  'resolve' | 'join' | 'dirname' | 'basename' | 'extname' | 'relative' | 'isAbsolute' | 'sep'
>;

/** Windows compares file names without case (NTFS as Windows uses it; what path.win32 stands for). */
const caseless = (p: PathApi): boolean => p.sep === '\\';

/** A path input (imageListPath, resultPath, a cosignPublicKeys path) resolved against `cwd`. */
export function resolveInputPath(p: PathApi, cwd: string, input: string): string {
  return p.resolve(cwd, input);
}

/** resultPath's default: `import-public-images.json` in the agent's temp folder. */
export function defaultResultPath(p: PathApi, tempDir: string): string {
  return p.join(tempDir, 'import-public-images.json');
}

/**
 * The summary's file, beside the result: `<name without .json>.summary.md` (`.JSON` too on
 * Windows, where the extension's case does not matter).
 */
export function summaryFileName(p: PathApi, resultPath: string): string {
  const base = p.basename(resultPath);
  const ext = p.extname(base);
  const isJson = caseless(p) ? ext.toLowerCase() === '.json' : ext === '.json';
  return `${isJson ? base.slice(0, -ext.length) : base}.summary.md`;
}

/** The summary's full path beside the result, or in `dir` (the agent's temp folder) instead. */
export function summaryPath(p: PathApi, resultPath: string, dir = p.dirname(resultPath)): string {
  return p.join(dir, summaryFileName(p, resultPath));
}

/** The file written and removed to prove resultPath's folder writable, beside it. */
export function probePath(p: PathApi, resultPath: string, pid: number): string {
  return p.join(p.dirname(resultPath), `.${p.basename(resultPath)}.${pid}.probe`);
}

/** `images.txt` inside a folder named as the list, as the input would name it. */
export function listInFolder(p: PathApi, input: string): string {
  return p.join(input, 'images.txt');
}

/**
 * `child` relative to `parent` when it is inside it (or is it: ''), else undefined. Windows:
 * drive letters and names compared without case, a path on another drive or share is outside.
 */
export function insideOf(p: PathApi, parent: string, child: string): string | undefined {
  const rel = p.relative(p.resolve(parent), p.resolve(child));
  if (rel === '') return '';
  if (p.isAbsolute(rel) || rel === '..' || rel.startsWith(`..${p.sep}`)) return undefined;
  if (caseless(p) && /^[A-Za-z]:/.test(rel)) return undefined;
  return rel;
}

/** Whether `child` is `parent` or inside it. */
export function isInside(p: PathApi, parent: string, child: string): boolean {
  return insideOf(p, parent, child) !== undefined;
}

/**
 * The list's path in an annotation (`##vso[task.logissue sourcepath=...]`): relative to the
 * repository with forward slashes when the file is inside it, so the annotation links to the file
 * on every agent; its full path otherwise.
 */
export function annotationPath(p: PathApi, repository: string, file: string): string {
  const rel = insideOf(p, repository, file);
  return rel === undefined || rel === '' ? p.resolve(file) : rel.split(p.sep).join('/');
}
