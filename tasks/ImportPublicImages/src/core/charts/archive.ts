// A chart archive (.tgz) read in memory: gunzip with a bound on the inflated size, then a tar
// reader that keeps regular files only and refuses what a chart never holds and an attacker
// would send: a path that climbs out (`..`, absolute), a link (symbolic or hard), a device, more
// entries than MAX_ENTRIES, an entry over MAX_FILE_BYTES. Nothing touches the disk: a zip bomb
// stops at the bound inside zlib. Pure (zlib and Buffer only). Also what needed images (issue 18)
// reads values.yaml and templates with.
import { gunzipSync } from 'node:zlib';

/** The archive itself (compressed): charts are kilobytes; the largest common ones are under 1 MiB. */
export const MAX_ARCHIVE_BYTES = 4 * 1024 * 1024;
/** All entries inflated: Helm itself stops at 100 MiB; a chart's text is rarely over a few MiB. */
export const MAX_INFLATED_BYTES = 32 * 1024 * 1024;
/** One file: Helm's own default cap per file (MaxDecompressedFileSize). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Entries (files and folders): a large chart has a few hundred. */
export const MAX_ENTRIES = 10000;

export interface ArchiveLimits {
  inflatedBytes: number;
  fileBytes: number;
  entries: number;
}

export const ARCHIVE_LIMITS: ArchiveLimits = {
  inflatedBytes: MAX_INFLATED_BYTES,
  fileBytes: MAX_FILE_BYTES,
  entries: MAX_ENTRIES,
};

export type ArchiveResult =
  { ok: true; files: ReadonlyMap<string, Uint8Array> } | { ok: false; message: string };

const BLOCK = 512;

function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(end < 0 ? field : field.subarray(0, end)).toString('utf8');
}

function octal(block: Uint8Array, start: number, length: number): number | undefined {
  const field = block.subarray(start, start + length);
  if ((field[0] ?? 0) & 0x80) return undefined; // base-256: sizes no chart has
  const s = text(block, start, length).trim();
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : undefined;
}

/** A path inside the archive, normalised (`./a//b` is `a/b`), or why it is refused. */
function entryPath(raw: string): { path: string } | { problem: string } {
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw) || raw.includes('\\')) {
    return { problem: `the archive holds an absolute or Windows path (${JSON.stringify(raw)})` };
  }
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    return { problem: `the archive holds a path that climbs out (${JSON.stringify(raw)})` };
  if (parts.length === 0) return { problem: 'the archive holds an entry without a name' };
  return { path: parts.join('/') };
}

/** The `path` record of a pax extended header, when it has one. */
function paxPath(data: Uint8Array): string | undefined {
  let at = 0;
  let path: string | undefined;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(Buffer.from(data.subarray(at, space)).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0 || at + length > data.length) break;
    const record = Buffer.from(data.subarray(space + 1, at + length - 1)).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    at += length;
  }
  return path;
}

/** The tar's regular files by path, or why the archive is refused. */
export function readTar(tar: Uint8Array, limits: ArchiveLimits = ARCHIVE_LIMITS): ArchiveResult {
  const files = new Map<string, Uint8Array>();
  const fail = (message: string): ArchiveResult => ({ ok: false, message });
  let at = 0;
  let entries = 0;
  let longName: string | undefined;
  while (at + BLOCK <= tar.length) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break; // the end-of-archive blocks
    if (++entries > limits.entries)
      return fail(`the archive holds more than ${limits.entries} entries`);
    const size = octal(header, 124, 12);
    if (size === undefined) return fail('the archive has a damaged tar header');
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = text(header, 257, 6).startsWith('ustar') ? text(header, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    longName = undefined;
    const start = at + BLOCK;
    const end = start + size;
    if (end > tar.length) return fail('the archive is cut short');
    at = start + Math.ceil(size / BLOCK) * BLOCK;
    if (size > limits.fileBytes) {
      return fail(
        `the archive holds ${JSON.stringify(name)} of ${size} bytes; at most ${limits.fileBytes} are read per file`,
      );
    }
    const data = tar.subarray(start, end);
    if (type === 'x' || type === 'L') {
      longName =
        type === 'x' ? paxPath(data) : Buffer.from(data).toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'g') continue; // global pax header: nothing a chart needs
    if (type === '1' || type === '2')
      return fail(`the archive holds a link (${JSON.stringify(name)}); a chart holds files only`);
    if (type === '5') continue;
    if (type !== '0' && type !== '\0' && type !== '7') {
      return fail(
        `the archive holds a special file (${JSON.stringify(name)}, type ${JSON.stringify(type)})`,
      );
    }
    const p = entryPath(name);
    if ('problem' in p) return fail(p.problem);
    if (files.has(p.path)) return fail(`the archive holds ${JSON.stringify(p.path)} twice`);
    files.set(p.path, data);
  }
  return { ok: true, files };
}

/** gunzip (at most `limits.inflatedBytes` inflated) then readTar: a chart's files, in memory. */
export function readChartArchive(
  tgz: Uint8Array,
  limits: ArchiveLimits = ARCHIVE_LIMITS,
): ArchiveResult {
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz, { maxOutputLength: limits.inflatedBytes });
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError
      ? {
          ok: false,
          message: `the archive inflates past ${limits.inflatedBytes} bytes (a zip bomb, or not a chart)`,
        }
      : { ok: false, message: `the archive is not gzip (${(err as Error).message})` };
  }
  return readTar(tar, limits);
}

/** The chart's Chart.yaml: `<chart>/Chart.yaml` at the top folder (helm package's layout). */
export function chartYamlOf(
  files: ReadonlyMap<string, Uint8Array>,
): { path: string; bytes: Uint8Array } | undefined {
  for (const [path, bytes] of files) {
    const parts = path.split('/');
    if (parts.length === 2 && parts[1] === 'Chart.yaml') return { path, bytes };
  }
  return undefined;
}
