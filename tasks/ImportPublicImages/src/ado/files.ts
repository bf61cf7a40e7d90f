// The task's files on the agent: the image list it reads and the result file it writes. Every
// failure names the input, the path and what to do, instead of a raw EISDIR or EEXIST.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeImageList, type DecodedList } from '../core/listFile';
import { listInFolder, probePath } from '../core/paths';

/** An image list is a few kilobytes; a bigger file is not one (and is not read into memory). */
export const MAX_LIST_BYTES = 4 * 1024 * 1024;

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
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR')
      return fail(`${where} was not found. ${LIST_FIX}`);
    return fail(`${where} cannot be read (${reason(err)}). ${LIST_FIX}`);
  }
  if (stat.isDirectory()) {
    const inside = listInFolder(path, resolved);
    const hint = fs.existsSync(inside)
      ? ` It holds an images.txt: set imageListPath to ${listInFolder(path, file)}.`
      : ` ${LIST_FIX}`;
    return fail(`${where} is a folder, not a file.${hint}`);
  }
  if (!stat.isFile()) return fail(`${where} is not a regular file. ${LIST_FIX}`);
  if (stat.size > MAX_LIST_BYTES) {
    return fail(
      `${where} is ${stat.size} bytes; an image list is a few kilobytes (at most ${MAX_LIST_BYTES}), so this is not one. ${LIST_FIX}`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(resolved);
  } catch (err) {
    return fail(`${where} cannot be read (${reason(err)}). ${LIST_FIX}`);
  }
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

/**
 * Checks, before any request, that the result file (and its summary beside it) can be written:
 * creates its folder and writes and removes a probe file there. Throws the reason otherwise.
 */
export function checkResultPath(resultPath: string): void {
  const dir = path.dirname(resultPath);
  const probe = probePath(path, resultPath, process.pid);
  try {
    if (fs.existsSync(resultPath) && fs.statSync(resultPath).isDirectory()) {
      throw Object.assign(new Error(`EISDIR: ${resultPath}`), { code: 'EISDIR' });
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
    if (fs.existsSync(resultPath)) fs.accessSync(resultPath, fs.constants.W_OK);
  } catch (err) {
    throw new Error(`${resultPathError(resultPath, err)} Nothing was imported.`, { cause: err });
  }
}
