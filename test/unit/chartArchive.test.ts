// core/charts/archive.ts: a chart archive read in memory, and the hostile archives (built here,
// in memory) it refuses: climbing and absolute paths, links, special files, too many entries, an
// entry over the per-file bound, a zip bomb, a cut archive, not gzip.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  ARCHIVE_LIMITS,
  chartYamlOf,
  readChartArchive,
} from '../../tasks/ImportPublicImages/src/core/charts/archive';
import { chartTgz, paxRecord, tar, tgz } from './tarBuilder';

describe('core/charts/archive: a chart read in memory', () => {
  it('gives every regular file by its path inside the archive, folders left out', () => {
    const r = readChartArchive(chartTgz());
    assert.ok(r.ok);
    assert.deepEqual(
      [...r.files.keys()],
      [
        'ingress-nginx/Chart.yaml',
        'ingress-nginx/values.yaml',
        'ingress-nginx/templates/deployment.yaml',
      ],
    );
    assert.equal(
      Buffer.from(r.files.get('ingress-nginx/templates/deployment.yaml') ?? []).toString(),
      'kind: Deployment\n',
    );
    assert.equal(chartYamlOf(r.files)?.path, 'ingress-nginx/Chart.yaml');
  });

  it('reads a long path from a pax header and normalises ./ and //', () => {
    const long = `chart/templates/${'a'.repeat(120)}.yaml`;
    const r = readChartArchive(
      tgz([
        { name: 'PaxHeader', type: 'x', data: paxRecord('path', long) },
        { name: 'ignored-short-name', data: 'x: 1\n' },
        { name: './chart//Chart.yaml', data: 'name: chart\nversion: 1.0.0\n' },
      ]),
    );
    assert.ok(r.ok);
    assert.deepEqual([...r.files.keys()], [long, 'chart/Chart.yaml']);
  });
});

describe('core/charts/archive: hostile archives are refused, nothing written anywhere', () => {
  const small = { ...ARCHIVE_LIMITS, entries: 5, fileBytes: 1024, inflatedBytes: 64 * 1024 };
  // [what, archive bytes, part of the refusal]
  const cases: Array<[string, () => Buffer, RegExp]> = [
    [
      'a path that climbs out',
      () => tgz([{ name: 'chart/../../etc/passwd', data: 'x' }]),
      /climbs out/,
    ],
    ['an absolute path', () => tgz([{ name: '/etc/cron.d/x', data: 'x' }]), /absolute/],
    ['a Windows path', () => tgz([{ name: 'C:\\x\\y', data: 'x' }]), /absolute or Windows/],
    [
      'a symbolic link',
      () => tgz([{ name: 'chart/values.yaml', type: '2', linkname: '/etc/passwd' }]),
      /link/,
    ],
    [
      'a hard link',
      () => tgz([{ name: 'chart/values.yaml', type: '1', linkname: 'chart/Chart.yaml' }]),
      /link/,
    ],
    ['a device', () => tgz([{ name: 'chart/dev', type: '3' }]), /special file/],
    [
      'a pax path that climbs out',
      () =>
        tgz([
          { name: 'p', type: 'x', data: paxRecord('path', '../x') },
          { name: 'ok', data: 'x' },
        ]),
      /climbs out/,
    ],
    [
      'more entries than the bound',
      () => tgz(Array.from({ length: 6 }, (_, i) => ({ name: `chart/f${i}`, data: 'x' }))),
      /more than 5 entries/,
    ],
    [
      'an entry over the per-file bound',
      () => tgz([{ name: 'chart/big', data: Buffer.alloc(2048) }]),
      /at most 1024 are read per file/,
    ],
    ['a zip bomb', () => gzipSync(Buffer.alloc(10 * 1024 * 1024)), /inflates past 65536 bytes/],
    [
      'an archive cut short',
      () => gzipSync(tar([{ name: 'chart/x', data: Buffer.alloc(900) }]).subarray(0, 1024)),
      /cut short/,
    ],
    [
      'a file twice',
      () =>
        tgz([
          { name: 'chart/x', data: 'a' },
          { name: './chart/x', data: 'b' },
        ]),
      /twice/,
    ],
    ['not gzip', () => Buffer.from('<html>not found</html>'), /not gzip/],
  ];
  for (const [what, bytes, message] of cases) {
    it(what, () => {
      const r = readChartArchive(bytes(), small);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.message, message);
    });
  }

  it('a zip bomb past the default bound (32 MiB) is refused: zlib stops there', () => {
    // 64 MiB of zeros (~64 KiB gzipped): inflated whole, it would read as an empty, valid tar.
    const r = readChartArchive(gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /inflates past 33554432 bytes/);
  });
});
