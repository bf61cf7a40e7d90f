// A hostile HTTP Helm repository, https://kubernetes.github.io/hostile: every archive matches the
// index's digest (so a client gets past that check) but is one a chart reader must refuse in memory
// without touching the disk: path traversal, an absolute path, a symbolic link, a hard link, a zip
// bomb (1 GiB of zeros in about 1 MiB: gzip members concatenated), 10000 files (more than a chart
// needs), an archive over 32 MiB (stored, not compressed), and bytes that are not gzip. Built on
// the first request to it.
import zlib from 'node:zlib';
import { stringify as toYaml } from 'yaml';
import { helmGzip, tarArchive, tarHeader, type TarEntry, CHART_MTIME } from './chartgen';
import type { HelmFile } from './charts';
import { sha256 } from './store';

export const HOSTILE_REPO = { host: 'kubernetes.github.io', path: '/hostile' };

/** What each hostile chart (version 1.0.0) holds. */
export const HOSTILE_CHARTS = [
  'traversal',
  'absolute',
  'symlink',
  'hardlink',
  'bomb',
  'many-files',
  'oversized',
  'not-gzip',
] as const;

export const BOMB_BYTES = 1024 * 1024 * 1024;
export const MANY_FILES = 10000;
export const OVERSIZED_BYTES = 32 * 1024 * 1024;

const text = (s: string) => Buffer.from(s);
const chartYaml = (name: string) =>
  text(
    `apiVersion: v2\nappVersion: 1.0.0\ndescription: A hostile archive (${name})\nname: ${name}\nversion: 1.0.0\n`,
  );
const base = (name: string): TarEntry[] => [
  { name: `${name}/Chart.yaml`, data: chartYaml(name) },
  { name: `${name}/values.yaml`, data: text('image:\n  repository: quay.io/bench/img-000\n') },
];

/** 1 GiB of zeros as `<name>/templates/zeros.yaml`: one gzip member for the headers, then
 * members of 4 MiB of zeros each (gunzip reads concatenated members as one stream). */
function bomb(name: string): Buffer {
  const head = tarArchive(base(name)).subarray(0, -1024);
  const zerosHeader = tarHeader(`${name}/templates/zeros.yaml`, BOMB_BYTES, CHART_MTIME);
  const member = zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024), { level: 9 });
  const parts = [helmGzip(Buffer.concat([head, zerosHeader]))];
  for (let n = 0; n < BOMB_BYTES / (4 * 1024 * 1024); n++) parts.push(member);
  parts.push(zlib.gzipSync(Buffer.alloc(1024)));
  return Buffer.concat(parts);
}

function archive(name: (typeof HOSTILE_CHARTS)[number]): Buffer {
  const pack = (extra: TarEntry[], level = 9) =>
    helmGzip(tarArchive([...base(name), ...extra]), level);
  switch (name) {
    case 'traversal':
      return pack([{ name: `${name}/../../../../tmp/evil.txt`, data: text('escaped\n') }]);
    case 'absolute':
      return pack([{ name: '/etc/cron.d/evil', data: text('* * * * * root true\n') }]);
    case 'symlink':
      return pack([
        {
          name: `${name}/templates/link.yaml`,
          data: Buffer.alloc(0),
          type: '2',
          linkname: '/etc/passwd',
        },
      ]);
    case 'hardlink':
      return pack([
        {
          name: `${name}/templates/link.yaml`,
          data: Buffer.alloc(0),
          type: '1',
          linkname: '/etc/passwd',
        },
      ]);
    case 'bomb':
      return bomb(name);
    case 'many-files':
      return pack(
        Array.from({ length: MANY_FILES }, (_, i) => ({
          name: `${name}/templates/f-${String(i).padStart(5, '0')}.yaml`,
          data: text(`# ${i}\n`),
        })),
      );
    case 'oversized':
      // Stored (deflate level 0), so the archive itself is over 32 MiB.
      return pack(
        [{ name: `${name}/files/blob.bin`, data: Buffer.alloc(OVERSIZED_BYTES, 0x5a) }],
        0,
      );
    case 'not-gzip':
      return text('<!DOCTYPE html>\n<html><body><h1>Download</h1></body></html>\n');
  }
}

/** The repository's files (index.yaml and one archive per hostile chart), by path. */
export function hostileFiles(): Map<string, HelmFile> {
  const files = new Map<string, HelmFile>();
  const entries: Record<string, Record<string, unknown>[]> = {};
  for (const name of HOSTILE_CHARTS) {
    const body = archive(name);
    const file = `${name}-1.0.0.tgz`;
    files.set(`${HOSTILE_REPO.path}/${file}`, { body, contentType: 'application/gzip' });
    entries[name] = [
      {
        apiVersion: 'v2',
        appVersion: '1.0.0',
        created: '2024-08-01T00:00:00Z',
        description: `A hostile archive (${name})`,
        digest: sha256(body).slice('sha256:'.length),
        name,
        urls: [file],
        version: '1.0.0',
      },
    ];
  }
  const index = toYaml({ apiVersion: 'v1', entries, generated: '2024-08-01T00:00:00Z' });
  files.set(`${HOSTILE_REPO.path}/index.yaml`, {
    body: Buffer.from(index),
    contentType: 'application/x-yaml',
  });
  return files;
}
