// The task's files on the agent: the files a user names that it reads (the image list, the
// cosign keys) and the result file it writes. Every failure names the input, the path and what to
// do, instead of a raw EISDIR or EEXIST. A file read is a regular file only (opened non-blocking
// and checked on its descriptor: a FIFO cannot hang the run, a device cannot fill its memory) and
// at most its cap (+1 byte, to tell a file that grew). An output is written through a temporary
// file in its folder and a rename (a symlink at its path is replaced, its target never written),
// and a path whose symlinks lead out of the working directory and the agent's temp folder is
// refused.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeImageList, type DecodedList } from '../core/list/listFile';
import { listInFolder, probePath } from '../core/list/paths';

/** An image list is a few kilobytes; a bigger file is not one (and is not read into memory). */
export const MAX_LIST_BYTES = 4 * 1024 * 1024;
/** A PEM public key is under 1 KiB (RSA 4096: about 800 bytes); a bigger file is not one. */
export const MAX_KEY_BYTES = 64 * 1024;

/** What reading a user-named file gave: its bytes, or why not (said by the caller, per input). */
export type FileRead =
  | { ok: true; bytes: Buffer }
  | { ok: false; problem: 'missing' | 'folder' | 'special' | 'unreadable'; why: string }
  | { ok: false; problem: 'too-big'; why: string; size: number };

/**
 * Reads a regular file of at most `maxBytes`: opened with O_NONBLOCK (a FIFO opens at once instead
 * of waiting for a writer), checked on the open descriptor (no swap between the check and the
 * read), and read up to maxBytes + 1 bytes whatever its size says (a file that grows, a /proc
 * file that says 0).
 */
export function readRegularFile(resolved: string, maxBytes: number): FileRead {
  let fd: number;
  try {
    fd = fs.openSync(resolved, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { ok: false, problem: 'missing', why: 'no such file' };
    if (code === 'EISDIR') return { ok: false, problem: 'folder', why: 'it is a folder' };
    return { ok: false, problem: 'unreadable', why: code ?? reason(err) };
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) return { ok: false, problem: 'folder', why: 'it is a folder' };
    if (!stat.isFile()) {
      const what = stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : 'a device';
      return { ok: false, problem: 'special', why: `it is ${what}, not a regular file` };
    }
    const tooBig = (size: number): FileRead => ({
      ok: false,
      problem: 'too-big',
      size,
      why: `it is ${size} bytes, over the ${maxBytes} bytes allowed`,
    });
    if (stat.size > maxBytes) return tooBig(stat.size);
    // maxBytes + 1 at most, whatever the size said: a file that grew is still caught.
    const buf = Buffer.allocUnsafe(maxBytes + 1);
    let n = 0;
    for (let r = -1; r !== 0 && n < buf.length; n += r) {
      r = fs.readSync(fd, buf, n, buf.length - n, null);
    }
    if (n > maxBytes) return tooBig(n);
    return { ok: true, bytes: Buffer.from(buf.subarray(0, n)) };
  } catch (err) {
    return { ok: false, problem: 'unreadable', why: errorCode(err) ?? reason(err) };
  } finally {
    fs.closeSync(fd);
  }
}

const LIST_FIX =
  'Set imageListPath to the list file, relative to the working directory (the sources directory) or absolute.';

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads the image list named by the input `file` (resolved to `resolved`). */
export function readImageList(file: string, resolved: string): DecodedList {
  const where = `The image list ${file} (input imageListPath, resolved to ${resolved})`;
  const fail = (message: string): DecodedList => ({ ok: false, message });
  const read = readRegularFile(resolved, MAX_LIST_BYTES);
  if (!read.ok) {
    switch (read.problem) {
      case 'missing':
        return fail(`${where} was not found. ${LIST_FIX}`);
      case 'folder': {
        const inside = listInFolder(path, resolved);
        const hint = fs.existsSync(inside)
          ? ` It holds an images.txt: set imageListPath to ${listInFolder(path, file)}.`
          : ` ${LIST_FIX}`;
        return fail(`${where} is a folder, not a file.${hint}`);
      }
      case 'special':
        return fail(`${where} is not a regular file (${read.why}). ${LIST_FIX}`);
      case 'too-big':
        return fail(
          `${where} is ${read.size} bytes; an image list is a few kilobytes (at most ${MAX_LIST_BYTES}), so this is not one. ${LIST_FIX}`,
        );
      default:
        return fail(`${where} cannot be read (${read.why}). ${LIST_FIX}`);
    }
  }
  const { bytes } = read;
  const sha256 = createHash('sha256').update(bytes).digest('hex'); // the audit record's list.sha256
  return { ...decodeImageList(file, resolved, bytes), sha256 };
}

/** The nearest existing folder-or-file at or above `p`. */
function nearestExisting(p: string): string {
  let cur = p;
  while (!fs.existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return cur;
}

/**
 * What stands in the way of writing `file` (the result file or its summary), as a sentence naming
 * the input resultPath, the path and the fix.
 */
export function resultPathError(resultPath: string, err: unknown): string {
  const code = errorCode(err);
  let why: string;
  const blocker = nearestExisting(path.dirname(resultPath));
  if ((code === 'EEXIST' || code === 'ENOTDIR') && !fs.statSync(blocker).isDirectory()) {
    why = `${blocker} is a file, where a folder of it should be`;
  } else if (code === 'EISDIR') {
    why = 'it is a folder; name a file in it, such as import-public-images.json';
  } else if (code === 'EACCES' || code === 'EPERM') {
    why = `no permission to write in ${path.dirname(resultPath)} (${code})`;
  } else if (code === 'EROFS') {
    why = `${path.dirname(resultPath)} is on a read-only file system`;
  } else {
    why = reason(err);
  }
  return (
    `Input resultPath: cannot write the result file ${resultPath}: ${why}. Set resultPath to a ` +
    'file in a folder the agent can write, such as $(Agent.TempDirectory)/import-public-images.json (the default).'
  );
}

/** The folders an output may lead into through a symlink: the working directory, the agent's temp. */
export function outputRoots(): string[] {
  return [process.cwd(), process.env.AGENT_TEMPDIRECTORY ?? os.tmpdir()].map(realOrResolved);
}

function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

const within = (p: string, root: string): boolean =>
  p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * Where `file` really leads when a symlink on its way (a folder of it, or the file itself) takes
 * it out of `roots`; undefined when no symlink is on its way (the path as the user wrote it) or
 * the symlinks stay inside.
 */
export function outputEscape(
  file: string,
  roots: readonly string[] = outputRoots(),
): string | undefined {
  const lexical = path.resolve(file);
  let real: string;
  let isLink = false;
  try {
    isLink = fs.lstatSync(lexical).isSymbolicLink();
  } catch {
    // absent: its folder decides
  }
  if (isLink) {
    const target = path.resolve(path.dirname(lexical), fs.readlinkSync(lexical));
    real = realOrResolved(target);
  } else {
    const dir = nearestExisting(path.dirname(lexical));
    real = path.join(realOrResolved(dir), path.relative(dir, lexical));
  }
  if (!isLink && real === lexical) return undefined;
  return roots.some((r) => within(real, r)) ? undefined : real;
}

/**
 * Writes an output file without following a symlink at its path: a new file in the same folder
 * (O_EXCL: never an existing file or link), then renamed over the path (a symlink there is
 * replaced, its target untouched).
 */
export function writeOutputFile(file: string, data: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  fs.writeFileSync(temp, data, { flag: 'wx', mode: 0o644 });
  try {
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * Checks, before any request, that the result file (and its summary beside it) can be written:
 * a symlink on its way does not lead out of the working directory and the agent's temp folder,
 * and its folder is created and a probe file written and removed there. Throws the reason otherwise.
 */
export function checkResultPath(
  resultPath: string,
  roots: readonly string[] = outputRoots(),
): void {
  const dir = path.dirname(resultPath);
  const probe = probePath(path, resultPath, process.pid);
  const escape = outputEscape(resultPath, roots);
  if (escape !== undefined) {
    throw new Error(
      `Input resultPath: ${resultPath} leads through a symlink to ${escape}, outside the working ` +
        `directory and the agent's temp folder (${roots.join(', ')}); the task writes no file ` +
        'there. Set resultPath to a file in one of them, such as ' +
        '$(Agent.TempDirectory)/import-public-images.json (the default). Nothing was imported.',
    );
  }
  try {
    if (fs.existsSync(resultPath) && fs.statSync(resultPath).isDirectory()) {
      throw Object.assign(new Error(`EISDIR: ${resultPath}`), { code: 'EISDIR' });
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(probe, '', { flag: 'wx' }); // never through an existing file or link
    fs.rmSync(probe, { force: true });
    if (fs.existsSync(resultPath)) fs.accessSync(resultPath, fs.constants.W_OK);
  } catch (err) {
    throw new Error(`${resultPathError(resultPath, err)} Nothing was imported.`, { cause: err });
  }
}
